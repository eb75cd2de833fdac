"""forward differences, as scipy.optimize.approx_fprime computes them

source: scipy.optimize.approx_fprime ((f(xk + d) - f(xk)) / d)
task: numerical_gradient
verdict: wrong
name: forward differences
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    xk = np.array(theta, dtype=float)
    f0 = f(xk)
    grad = np.zeros_like(xk)
    for k in range(xk.size):
        d = np.zeros_like(xk)
        d[k] = h
        grad[k] = (f(xk + d) - f0) / d[k]
    return grad
