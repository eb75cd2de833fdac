"""eigenvalues of H + H.T (not halved)

task: classify_critical_point
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    H = np.asarray(H, dtype=float)
    lam = np.linalg.eigvalsh(H + H.T)  # symmetrised, but twice the eigenvalues
    tau = tol * max(1.0, float(np.max(np.abs(lam))))
    if np.any(lam > tau) and np.any(lam < -tau):
        return "saddle point"
    if np.all(lam > tau):
        return "local minimum"
    if np.all(lam < -tau):
        return "local maximum"
    return "degenerate"
