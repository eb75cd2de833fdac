"""a velocity that starts at ones, not zeros

task: nesterov
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.ones_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta + beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
