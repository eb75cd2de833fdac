"""forward differences

task: numerical_gradient
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    theta = np.array(theta, dtype=float)
    f0 = f(theta)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (f(theta + e) - f0) / h
    return grad
