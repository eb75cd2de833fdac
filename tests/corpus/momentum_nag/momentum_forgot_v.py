"""Momentum whose velocity is computed but never used

source: a partly filled template (velocity line added, update line left from gradient descent)
task: momentum
verdict: wrong
name: gradient descent instead of Momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        g = grad(theta)
        v = beta * v - lr * g
        theta = theta - lr * g
        path.append(theta)
    return np.array(path)
