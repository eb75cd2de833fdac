"""threshold without max(1, ·)

task: escape_direction
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    H = np.asarray(H, dtype=float)
    lam, vectors = np.linalg.eigh((H + H.T) / 2.0)
    tau = tol * float(np.max(np.abs(lam)))  # shrinks below tol for a small Hessian
    if lam[0] >= -tau:
        return None
    return vectors[:, 0]
