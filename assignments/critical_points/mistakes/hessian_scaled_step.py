"""Hessian step scaled by max(1, |θi|)

task: numerical_hessian
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    theta = np.array(theta, dtype=float)
    n = theta.size
    steps = h * np.maximum(1.0, np.abs(theta))
    E = np.diag(steps)
    f0 = f(theta)
    hess = np.empty((n, n))
    for i in range(n):
        hess[i, i] = (f(theta + E[i]) - 2 * f0 + f(theta - E[i])) / steps[i] ** 2
        for j in range(i):
            hess[i, j] = hess[j, i] = (f(theta + E[i] + E[j]) - f(theta + E[i] - E[j]) - f(theta - E[i] + E[j])
                                       + f(theta - E[i] - E[j])) / (4 * steps[i] * steps[j])
    return hess
