"""steps_to_tolerance that stops at ‖∇L‖ ≤ tol

source: numpy-style convergence tests `if np.linalg.norm(g) <= tol` (scipy.optimize's gtol is ≤ too)
task: steps_to_tolerance
verdict: wrong
name: ‖∇L‖ ≤ tol instead of < tol
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_001):
            if np.linalg.norm(grad(theta)) <= tol:
                return t
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
        return None

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
