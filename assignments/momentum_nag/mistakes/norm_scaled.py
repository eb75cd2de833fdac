"""the gradient's norm divided by n or √n

task: steps_to_tolerance
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def count(b, look_ahead):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(10_001):
            if np.linalg.norm(grad(theta)) / theta.size < tol:  # the mean size per coordinate
                return t
            m = b * m - lr * grad(theta + b * m if look_ahead else theta)
            theta = theta + m
        return None

    return {"gd": count(0.0, False), "momentum": count(beta, False), "nesterov": count(beta, True)}
