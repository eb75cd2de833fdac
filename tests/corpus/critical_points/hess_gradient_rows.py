"""a Hessian whose rows are central differences of a central-difference gradient, not symmetrised

source: codeowlers/unconstrained-optimzation algorithms/hessian.py (hessian[i] = (gradient(f, x+) - gradient(f, x-)) / (2*eps))
task: numerical_hessian
verdict: right
"""
# Not symmetrised, yet symmetric to the bit: the four values of f in H[i, j] and H[j, i] are the same, and
# their differences, of nearby numbers, are exact (Sterbenz), so both groupings give the same float.
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x0 = np.array(theta, dtype=float)
    n = x0.size

    def gradient(x):
        g = np.zeros(n)
        for j in range(n):
            e = np.zeros(n)
            e[j] = h
            g[j] = (f(x + e) - f(x - e)) / (2 * h)
        return g

    H = np.zeros((n, n))
    for i in range(n):
        x_plus, x_minus = x0.copy(), x0.copy()
        x_plus[i] += h
        x_minus[i] -= h
        H[i] = (gradient(x_plus) - gradient(x_minus)) / (2 * h)
    return H
