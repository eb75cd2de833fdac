"""eigenvector of the largest eigenvalue

task: escape_direction
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    lam, vectors = np.linalg.eigh(np.asarray(H, dtype=float))
    tau = tol * max(1.0, np.max(np.abs(lam)))
    if lam[0] >= -tau:
        return None
    return vectors[:, -1]  # eigh sorts ascending: the last column belongs to the largest eigenvalue
