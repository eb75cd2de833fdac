"""Momentum that reads the notebook's BETA instead of its argument

source: notebook code that uses the given constants (the lecture's own example cell)
task: momentum
verdict: wrong
name: the argument beta ignored
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = BETA * m - lr * grad(theta)
        theta = theta + m
        path.append(theta)
    return np.array(path)
