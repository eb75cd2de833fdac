"""an eigenvalue exactly at ±τ counted beyond it (≥ instead of >)

task: classify_critical_point
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    lam = np.linalg.eigvalsh((np.asarray(H, dtype=float) + np.asarray(H, dtype=float).T) / 2)
    tau = tol * max(1.0, float(np.max(np.abs(lam))))
    if np.any(lam >= tau) and np.any(lam <= -tau):
        return "saddle point"
    if np.all(lam >= tau):
        return "local minimum"
    if np.all(lam <= -tau):
        return "local maximum"
    return "degenerate"
