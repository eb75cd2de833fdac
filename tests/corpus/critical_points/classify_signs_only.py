"""the Hessian test without a degenerate class

source: the three-case second-derivative test of calculus textbooks (Stewart, Calculus §14.7), eigenvalue form
task: classify_critical_point
verdict: wrong
name: no degenerate class
"""
import numpy as np


def classify_critical_point(H, tol=1e-6):
    lam = np.linalg.eigvalsh(np.asarray(H, dtype=float))
    if np.all(lam > 0):
        return "local minimum"
    if np.all(lam < 0):
        return "local maximum"
    return "saddle point"
