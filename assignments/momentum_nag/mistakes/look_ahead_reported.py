"""the look-ahead point reported (PyTorch/Keras convention)

task: nesterov
"""
import numpy as np


def nesterov(grad, theta0, lr, beta, steps):
    # torch.optim.SGD(momentum=beta, nesterov=True, dampening=0), written out
    p = np.array(theta0, dtype=float)
    buf = np.zeros_like(p)
    path = [p]
    for _ in range(steps):
        g = grad(p)
        buf = beta * buf + g
        p = p - lr * (g + beta * buf)
        path.append(p)
    return np.array(path)
