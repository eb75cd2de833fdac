"""the Hessian test with an absolute threshold

source: `np.isclose(lam, 0, atol=tol)`-style zero tests
task: classify_critical_point
verdict: wrong
name: absolute instead of relative tolerance
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    lam = np.linalg.eigvalsh((np.asarray(H, dtype=float) + np.asarray(H, dtype=float).T) / 2)
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle point"
    if np.all(lam > tol):
        return "local minimum"
    if np.all(lam < -tol):
        return "local maximum"
    return "degenerate"
