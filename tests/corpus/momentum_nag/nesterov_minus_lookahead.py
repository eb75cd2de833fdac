"""NAG whose look-ahead goes against the velocity

source: TensorTonic-style w_lookahead = w - momentum*v kept with the lecture's m = β·m − η·g
task: nesterov
verdict: wrong
name: a look-ahead with the wrong sign
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta - beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)
