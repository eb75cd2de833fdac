"""an eigenvalue exactly at −τ counted below it (≤ instead of <)

task: escape_direction
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    H = np.asarray(H, dtype=float)
    lam, vectors = np.linalg.eigh((H + H.T) / 2.0)
    tau = tol * max(1.0, float(np.max(np.abs(lam))))
    if lam[0] > -tau:  # λ = −τ exactly is not below −τ
        return None
    return vectors[:, 0]
