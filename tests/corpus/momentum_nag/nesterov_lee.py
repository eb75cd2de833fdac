"""NAG in the lecture's convention

source: Hung-yi Lee, ML 2021 lecture "When gradient is small" / Sutskever et al. 2013, eq. (3)-(4)
task: nesterov
verdict: right
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta + beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
