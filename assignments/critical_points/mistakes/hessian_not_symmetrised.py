"""Hessian not symmetrised

task: numerical_hessian
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    theta = np.array(theta, dtype=float)
    n = theta.size
    E = h * np.eye(n)
    f0 = f(theta)
    hess = np.zeros((n, n))
    for i in range(n):
        hess[i, i] = (f(theta + E[i]) - 2 * f0 + f(theta - E[i])) / h**2
        for j in range(i):  # only the lower triangle is filled; the upper one stays 0
            hess[i, j] = (f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j])
                          + f(theta - E[i] - E[j])) / (4 * h**2)
    return hess
