"""eigenvector not normalised

task: escape_direction
"""
import numpy as np


def escape_direction(H, tol=1e-6):
    lam, vectors = np.linalg.eigh(np.asarray(H, dtype=float))
    tau = tol * max(1.0, np.max(np.abs(lam)))
    if lam[0] >= -tau:
        return None
    u = vectors[:, 0]
    return u / u[np.argmax(np.abs(u))]  # "u = (1, 1)" as on the slide: largest entry 1, not norm 1
