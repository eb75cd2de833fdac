"""central differences divided by h

source: (f(x+h) − f(x−h)) / h, the two-point formula with its 2 dropped
task: numerical_gradient
verdict: wrong
name: central difference without the 2
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    theta = np.array(theta, dtype=float)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (f(theta + e) - f(theta - e)) / h
    return grad
