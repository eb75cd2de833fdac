"""gradient descent that breaks once the gradient is tiny

source: the usual `if np.linalg.norm(g) < eps: break` of textbook GD loops (e.g. Boyd & Vandenberghe, Alg. 9.3)
task: gradient_descent
verdict: wrong
name: a loop that stops before `steps` updates
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        g = grad(theta)
        if np.linalg.norm(g) < 1e-10:
            break
        theta = theta - lr * g
        path.append(theta)
    return np.array(path)
