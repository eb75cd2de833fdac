"""Momentum with a velocity that is subtracted

source: sahithi-sss/TensorTonic-Solutions nesterov-momentum.py (v = momentum*v + lr*grad; w = w - v)
task: momentum
verdict: right
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    w = np.asarray(theta0, dtype=float)
    v = np.zeros_like(w)
    ws = [w]
    for _ in range(steps):
        v = beta * v + lr * grad(w)
        w = w - v
        ws.append(w)
    return np.stack(ws)
