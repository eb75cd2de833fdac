"""Momentum as PyTorch's SGD writes it (dampening 0)

source: torch/optim/sgd.py: buf = momentum * buf + grad; param -= lr * buf
task: momentum
verdict: right
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    p = np.array(theta0, dtype=float)
    buf = np.zeros_like(p)
    out = [p]
    for _ in range(steps):
        buf = beta * buf + grad(p)
        p = p - lr * buf
        out.append(p)
    return np.array(out)
