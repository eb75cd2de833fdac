"""steps counted beyond the budget

task: steps_to_tolerance
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def count(b, look_ahead):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_002):  # one step past the budget
            if np.linalg.norm(grad(theta)) < tol:
                return t
            m = b * m - lr * grad(theta + b * m if look_ahead else theta)
            theta = theta + m
        return None

    return {"gd": count(0.0, False), "momentum": count(beta, False), "nesterov": count(beta, True)}
