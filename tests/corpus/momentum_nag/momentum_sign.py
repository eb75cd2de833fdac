"""Momentum whose velocity adds the gradient and is added

source: CS231n notes, "Momentum update" written as v = mu*v + learning_rate*dx; x += v
task: momentum
verdict: wrong
name: Momentum's sign flipped
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    x = np.array(theta0, dtype=float)
    v = np.zeros_like(x)
    xs = [x]
    for _ in range(steps):
        v = beta * v + lr * grad(x)
        x = x + v
        xs.append(x)
    return np.array(xs)
