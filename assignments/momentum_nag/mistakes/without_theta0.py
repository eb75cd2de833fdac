"""a trajectory without θ0

task: gradient_descent
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = []
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        path.append(theta)
    return np.array(path)
