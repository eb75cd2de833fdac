"""gradient descent instead of Momentum

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        m = -lr * grad(theta)
        theta = theta + m
        path.append(theta)
    return np.array(path)
