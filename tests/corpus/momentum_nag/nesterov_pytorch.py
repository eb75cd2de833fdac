"""NAG as PyTorch's SGD(nesterov=True) computes it

source: torch/optim/sgd.py: buf = momentum*buf + grad; grad = grad + momentum*buf; param -= lr*grad
task: nesterov
verdict: wrong
name: the look-ahead point reported (PyTorch/Keras convention)
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    p = np.array(theta0, dtype=float)
    buf = np.zeros_like(p)
    out = [p]
    for _ in range(steps):
        g = grad(p)
        buf = beta * buf + g
        p = p - lr * (g + beta * buf)
        out.append(p)
    return np.array(out)
