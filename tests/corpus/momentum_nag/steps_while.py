"""steps_to_tolerance with while loops

source: textbook stopping rule "while ‖∇f(x)‖ ≥ ε" (Nocedal & Wright, Alg. 3.1 style) with a step budget
task: steps_to_tolerance
verdict: right
"""
import numpy as np


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    def run(b, nesterov):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        t = 0
        while np.linalg.norm(grad(theta)) >= tol:
            if t == 10_000:
                return None
            m = b * m - lr * grad(theta + b * m if nesterov else theta)
            theta = theta + m
            t += 1
        return t

    return {"gd": run(0.0, False), "momentum": run(beta, False), "nesterov": run(beta, True)}
