"""Momentum with the velocity started at ones

source: np.ones_like where np.zeros_like was meant (a frequent slip in course forums)
task: momentum
verdict: wrong
name: a velocity that starts at ones, not zeros
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.ones_like(theta)
    path = [theta]
    for _ in range(steps):
        v = beta * v - lr * grad(theta)
        theta = theta + v
        path.append(theta)
    return np.array(path)
