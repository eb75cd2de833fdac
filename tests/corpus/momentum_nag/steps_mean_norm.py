"""steps_to_tolerance on the norm divided by the dimension

source: a "per-parameter" gradient size, np.linalg.norm(g) / len(g)
task: steps_to_tolerance
verdict: wrong
name: the gradient's norm divided by n or √n
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_001):
            g = grad(theta)
            if np.linalg.norm(g) / len(g) < tol:
                return t
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
        return None

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
