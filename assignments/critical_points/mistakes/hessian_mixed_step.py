"""mixed entries with another step than h

task: numerical_hessian
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    theta = np.array(theta, dtype=float)
    n = theta.size
    hess = np.empty((n, n))
    f0 = f(theta)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h
        hess[i, i] = (f(theta + ei) - 2.0 * f0 + f(theta - ei)) / h**2
        for j in range(i):
            ej = np.zeros(n)
            ej[j] = h
            # a "symmetric" pair of half steps on each side
            a, b = ei / 2, ej / 2
            hess[i, j] = (f(theta + a + b) - f(theta + a - b) - f(theta - a + b) + f(theta - a - b)) / h**2
            hess[j, i] = hess[i, j]
    return hess
