"""gradient descent with in-place updates and a copy of each row

source: CS231n optim.py `sgd` (w -= learning_rate * dw), with the trajectory kept as copies
task: gradient_descent
verdict: right
"""
import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    x = np.array(theta0, dtype=float)
    history = [x.copy()]
    for _ in range(steps):
        x -= lr * grad(x)
        history.append(x.copy())
    return np.array(history)
