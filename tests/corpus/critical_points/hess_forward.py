"""a Hessian of forward differences of forward differences

source: CraGL/Hyperspectral-Inverse-Skinning hessian.py (rows (grad(x0 + eps e_i) - grad(x0)) / eps, grad by approx_fprime)
task: numerical_hessian
verdict: wrong
name: forward differences
"""
import numpy as np


def numerical_hessian(f, theta, h=1e-4):
    x0 = np.array(theta, dtype=float)
    n = x0.size
    E = h * np.eye(n)
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = (f(x0 + E[i] + E[j]) - f(x0 + E[i]) - f(x0 + E[j]) + f(x0)) / h**2
    return (H + H.T) / 2
