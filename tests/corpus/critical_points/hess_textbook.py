"""the pinned formulas, upper triangle mirrored

source: the four-point mixed difference of Wikipedia "Finite difference" (multivariate), numeric_hessian.m style loops
task: numerical_hessian
verdict: right
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x = np.array(theta, dtype=float)
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h
        H[i, i] = (f(x + ei) - 2 * f(x) + f(x - ei)) / h**2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
            H[j, i] = H[i, j]
    return H
