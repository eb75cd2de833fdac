"""absolute instead of relative tolerance

task: escape_saddle
"""
import numpy as np


def escape_saddle(f, theta, step=0.1):
    theta = np.array(theta, dtype=float)
    lam, vectors = np.linalg.eigh(numerical_hessian(f, theta))
    if lam[0] >= -1e-6:  # not scaled with the Hessian
        return theta.copy()
    u = vectors[:, 0]
    forward, backward = theta + step * u, theta - step * u
    return forward if f(forward) <= f(backward) else backward
