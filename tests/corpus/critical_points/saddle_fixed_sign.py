"""escape step along eigh's sign, whatever f does

source: "escape along the eigenvector" read literally (Goodfellow et al. §8.2.3), without comparing both sides
task: escape_saddle
verdict: wrong
name: escape sign not chosen to decrease f
"""
import numpy as np


def escape_saddle(f, theta, step=0.1):
    theta = np.array(theta, dtype=float)
    lam, vectors = np.linalg.eigh(numerical_hessian(f, theta))
    if lam[0] >= -1e-6 * max(1.0, np.abs(lam).max()):
        return theta.copy()
    return theta + step * vectors[:, 0]
