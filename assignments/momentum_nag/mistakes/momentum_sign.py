"""Momentum's sign flipped

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta)
        theta = theta - m  # the velocity form's sign, on the lecture's m
        path.append(theta)
    return np.array(path)
