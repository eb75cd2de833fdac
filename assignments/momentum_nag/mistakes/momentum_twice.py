"""the momentum term added twice

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        previous = m
        m = beta * m - lr * grad(theta)
        theta = theta + beta * previous + m
        path.append(theta)
    return np.array(path)
