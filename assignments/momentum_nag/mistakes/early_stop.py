"""a loop that stops before `steps` updates

task: momentum
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        g = grad(theta)
        if np.linalg.norm(g) < 1e-8:  # converged: no need to go on
            break
        m = beta * m - lr * g
        theta = theta + m
        path.append(theta)
    return np.array(path)
