"""every row the same array object

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m *= beta
        m -= lr * grad(theta)
        theta += m  # changes the one array that every row of path refers to
        path.append(theta)
    return path
