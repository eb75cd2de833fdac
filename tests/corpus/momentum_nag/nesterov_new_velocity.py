"""NAG that takes PyTorch's update with the look-ahead gradient

source: a mix of Sutskever's look-ahead gradient and torch.optim.SGD(nesterov=True)'s update line
task: nesterov
verdict: wrong
name: NAG stepped with the new velocity (θ + β·m_t − η·g)
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        g = grad(theta + beta * m)
        m = beta * m - lr * g
        theta = theta + beta * m - lr * g
        path.append(theta)
    return np.array(path)
