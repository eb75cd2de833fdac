"""escape direction from a row of eigh's matrix

source: the classic slip with np.linalg.eigh (eigenvectors are its columns; vectors[0] is a row)
task: escape_direction
verdict: wrong
name: a row of eigh's matrix instead of a column
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    lam, vectors = np.linalg.eigh(np.asarray(H, dtype=float))
    if lam[0] >= -tol * max(1.0, np.abs(lam).max()):
        return None
    return vectors[0]
