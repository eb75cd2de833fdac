"""NAG whose look-ahead point is θ + m

source: Wikipedia-style pseudo code read as "look where the velocity carries you" without the β
task: nesterov
verdict: wrong
name: a look-ahead without β (θ + m instead of θ + β·m)
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        lookahead = theta + m
        m = beta * m - lr * grad(lookahead)
        theta = theta + m
        path.append(theta)
    return np.array(path)
