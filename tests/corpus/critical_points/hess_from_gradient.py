"""a Hessian from central differences of numerical_gradient at its own default step

source: "differentiate the gradient again" (numdifftools-style Jacobian of a gradient), reusing numerical_gradient
task: numerical_hessian
verdict: wrong
name: Hessian not symmetrised
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x = np.array(theta, dtype=float)
    n = x.size
    H = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[i] = (numerical_gradient(f, x + e) - numerical_gradient(f, x - e)) / (2 * h)
    return H
