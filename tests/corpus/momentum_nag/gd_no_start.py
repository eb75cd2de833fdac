"""gradient descent that records θ only after each update

source: d2l.ai 12.3 `gd(eta, f_grad)` style loop, results appended after the update
task: gradient_descent
verdict: wrong
name: a trajectory without θ0
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    results = []
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        results.append(theta)
    return np.array(results)
