"""NAG in the reformulated (look-ahead variable) form

source: Saito, Deep Learning from Scratch, common/optimizer.py `Nesterov` (params += mu*mu*v; params -= (1+mu)*lr*grad)
task: nesterov
verdict: wrong
name: the look-ahead point reported (PyTorch/Keras convention)
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    params = np.array(theta0, dtype=float)
    v = np.zeros_like(params)
    path = [params.copy()]
    for _ in range(steps):
        g = grad(params)
        params += beta * beta * v
        params -= (1 + beta) * lr * g
        v *= beta
        v -= lr * g
        path.append(params.copy())
    return np.array(path)
