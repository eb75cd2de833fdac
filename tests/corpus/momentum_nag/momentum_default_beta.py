"""Momentum with β written in as 0.9

source: Keras SGD(momentum=0.9) defaults copied into a loop
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
        m = 0.9 * m - lr * grad(theta)
        theta = theta + m
        path.append(theta)
    return np.array(path)
