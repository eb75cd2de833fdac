"""Momentum that evaluates the gradient at the look-ahead point

source: Ruder, An overview of gradient descent optimization algorithms (2016), NAG's formula used for Momentum
task: momentum
verdict: wrong
name: Nesterov's update instead of Momentum's
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        v = beta * v - lr * grad(theta + beta * v)
        theta = theta + v
        path.append(theta)
    return np.array(path)
