"""gradient descent that appends θ and then updates it in place

source: a common pattern of Géron, Hands-On ML ch. 4 (theta_path.append(theta)) with theta -= ... in place
task: gradient_descent
verdict: wrong
name: every row the same array object
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta -= lr * grad(theta)
        path.append(theta)
    return path
