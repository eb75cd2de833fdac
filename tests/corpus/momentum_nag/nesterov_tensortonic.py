"""NAG whose look-ahead line is commented out

source: sahithi-sss/TensorTonic-Solutions nesterov-momentum.py (#wl = w - momentum*v; v = momentum*v + lr*grad)
task: nesterov
verdict: wrong
name: NAG that is plain Momentum
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    w = np.asarray(theta0, dtype=float)
    v = np.zeros_like(w)
    ws = [w]
    for _ in range(steps):
        # wl = w - beta * v
        v = beta * v + lr * grad(w)
        w = w - v
        ws.append(w)
    return np.stack(ws)
