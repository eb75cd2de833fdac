"""NAG with an EMA velocity

source: deeplearning.ai's momentum form (1-β)·g carried over to NAG
task: nesterov
verdict: wrong
name: the EMA form (1−β)·g
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * (1 - beta) * grad(theta + beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
