"""gradient descent in float32

source: a port of a PyTorch notebook (torch.tensor defaults to float32)
task: gradient_descent
verdict: wrong
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    theta = np.asarray(theta0, dtype=np.float32)
    path = [theta]
    for _ in range(steps):
        theta = (theta - lr * grad(theta)).astype(np.float32)
        path.append(theta)
    return np.array(path)
