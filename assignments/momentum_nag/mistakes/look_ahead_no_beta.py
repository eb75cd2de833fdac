"""a look-ahead without β (θ + m instead of θ + β·m)

task: nesterov
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta + m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
