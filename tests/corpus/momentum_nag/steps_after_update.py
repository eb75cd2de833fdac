"""steps_to_tolerance that counts after each update

source: the do-while form of a training loop (update, then test convergence)
task: steps_to_tolerance
verdict: wrong
name: a step count off by one
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(1, 10_001):
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
            if np.linalg.norm(grad(theta)) < tol:
                return t
        return None

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
