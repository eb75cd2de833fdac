"""escape sign not chosen to decrease f

task: escape_saddle
"""
import numpy as np


def escape_saddle(f, theta, step=0.1):
    theta = np.array(theta, dtype=float)
    lam, vectors = np.linalg.eigh(numerical_hessian(f, theta))
    if lam[0] >= -1e-6 * max(1.0, np.max(np.abs(lam))):
        return theta.copy()
    return theta - step * vectors[:, 0]  # always the same side, never compared
