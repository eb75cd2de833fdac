"""a Hessian whose mixed entries use half steps

source: Abramowitz & Stegun 25.3.26-style mixed difference written with steps h/2 on each side
task: numerical_hessian
verdict: wrong
name: mixed entries with another step than h
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x = np.array(theta, dtype=float)
    n = x.size
    E = np.eye(n)
    H = np.empty((n, n))
    fx = f(x)
    for i in range(n):
        H[i, i] = (f(x + h * E[i]) - 2 * fx + f(x - h * E[i])) / h**2
        for j in range(i + 1, n):
            a, b = 0.5 * h * E[i], 0.5 * h * E[j]
            H[i, j] = H[j, i] = (f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b)) / h**2
    return H
