"""absolute instead of relative tolerance

task: classify_critical_point
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    tau = tol  # not scaled with the size of H
    if np.any(lam > tau) and np.any(lam < -tau):
        return "saddle point"
    if np.all(lam > tau):
        return "local minimum"
    if np.all(lam < -tau):
        return "local maximum"
    return "degenerate"
