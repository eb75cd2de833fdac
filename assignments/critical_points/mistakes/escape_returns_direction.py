"""returned the direction instead of the new point

task: escape_saddle
"""
import numpy as np


def escape_saddle(f, theta, step=0.1):
    theta = np.array(theta, dtype=float)
    lam, vectors = np.linalg.eigh(numerical_hessian(f, theta))
    if lam[0] >= -1e-6 * max(1.0, np.max(np.abs(lam))):
        return theta.copy()
    u = vectors[:, 0]
    return u if f(theta + step * u) <= f(theta - step * u) else -u
