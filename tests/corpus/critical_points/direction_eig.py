"""escape direction with np.linalg.eig, sorted by hand

source: np.linalg.eig + argsort, as many tutorials do before meeting eigh
task: escape_direction
verdict: right
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    A = np.asarray(H, dtype=float)
    lam, vec = np.linalg.eig((A + A.T) / 2)
    lam, vec = lam.real, vec.real
    k = int(np.argmin(lam))
    if lam[k] >= -tol * max(1.0, np.abs(lam).max()):
        return None
    return vec[:, k] / np.linalg.norm(vec[:, k])
