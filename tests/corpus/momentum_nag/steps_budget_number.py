"""steps_to_tolerance that returns the budget when it never converges

source: a loop that returns its counter after `for t in range(max_iter)` ends (max_iter as "not converged")
task: steps_to_tolerance
verdict: wrong
name: a number instead of None
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_001):
            if np.linalg.norm(grad(theta)) < tol:
                return t
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
        return 10_000

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
