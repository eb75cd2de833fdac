"""Momentum that adds the old movement once more

source: a misreading of Goodfellow et al., Deep Learning, Alg. 8.2 (v ← αv − εg; θ ← θ + v) as θ ← θ + αv + v
task: momentum
verdict: wrong
name: the momentum term added twice
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        v_old = v
        v = beta * v - lr * grad(theta)
        theta = theta + beta * v_old + v
        path.append(theta)
    return np.array(path)
