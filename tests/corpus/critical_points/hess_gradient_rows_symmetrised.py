"""the same Hessian from gradient rows, symmetrised

source: codeowlers/unconstrained-optimzation hessian.py, finished with (H + H.T) / 2 as the docstring asks
task: numerical_hessian
verdict: right
"""
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
    return (H + H.T) / 2
