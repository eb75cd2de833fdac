"""the pinned formulas evaluated for every (i, j), both triangles, not symmetrised

source: numeric_hessian.m (a MATLAB double loop over i and j) ported to numpy
task: numerical_hessian
verdict: right
"""
# Not symmetrised, yet symmetric to the bit: H[j, i] evaluates f at the very points H[i, j] does.
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x = np.array(theta, dtype=float)
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i] = h
            ej[j] = h
            if i == j:
                H[i, j] = (f(x + ei) - 2 * f(x) + f(x - ei)) / h**2
            else:
                H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h**2)
    return H
