"""the Hessian test as pinned, written with counts

source: the lecture's rule, eigenvalues counted above and below ±τ
task: classify_critical_point
verdict: right
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    A = np.asarray(H, dtype=float)
    lam = np.linalg.eigvalsh((A + A.T) / 2)
    tau = tol * max(1.0, np.abs(lam).max())
    pos, neg = np.sum(lam > tau), np.sum(lam < -tau)
    if pos and neg:
        return "saddle point"
    if pos == lam.size:
        return "local minimum"
    if neg == lam.size:
        return "local maximum"
    return "degenerate"
