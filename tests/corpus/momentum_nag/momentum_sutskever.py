"""Momentum as Sutskever et al. 2013 write it

source: Saito, Deep Learning from Scratch, common/optimizer.py `Momentum` (v = momentum*v - lr*grad; params += v)
task: momentum
verdict: right
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    path = [theta.copy()]
    for _ in range(steps):
        v = beta * v - lr * grad(theta)
        theta = theta + v
        path.append(theta.copy())
    return np.array(path)
