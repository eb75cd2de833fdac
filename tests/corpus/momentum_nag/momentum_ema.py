"""Momentum as an exponential moving average of gradients

source: deeplearning.ai, Improving Deep Neural Networks, week 2: v = beta*v + (1-beta)*dW; W -= alpha*v
task: momentum
verdict: wrong
name: the EMA form (1−β)·g
"""
import numpy as np


def momentum(grad, theta0, lr, beta, steps):
    theta = np.array(theta0, dtype=float)
    v = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        v = beta * v + (1 - beta) * grad(theta)
        theta = theta - lr * v
        path.append(theta)
    return np.array(path)
