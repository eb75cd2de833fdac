"""NAG as the CS231n notes write it

source: CS231n notes, neural-networks-3: v_prev = v; v = mu*v - lr*dx; x += -mu*v_prev + (1+mu)*v
task: nesterov
verdict: wrong
name: the look-ahead point reported (PyTorch/Keras convention)
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    x = np.array(theta0, dtype=float)
    v = np.zeros_like(x)
    xs = [x]
    for _ in range(steps):
        v_prev = v
        v = beta * v - lr * grad(x)
        x = x - beta * v_prev + (1 + beta) * v
        xs.append(x)
    return np.array(xs)
