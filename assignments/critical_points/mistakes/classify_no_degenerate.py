"""no degenerate class

task: classify_critical_point
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    if np.all(lam >= 0):
        return "local minimum"
    if np.all(lam <= 0):
        return "local maximum"
    return "saddle point"
