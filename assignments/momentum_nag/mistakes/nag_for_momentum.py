"""Nesterov's update instead of Momentum's

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta + beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
