"""steps_to_tolerance over range(10000)

source: for it in range(max_iter) with max_iter = 10000 as the budget
task: steps_to_tolerance
verdict: wrong
name: the budget's last step never tested
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_000):
            if np.linalg.norm(grad(theta)) < tol:
                return t
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
        return None

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
