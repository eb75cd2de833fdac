"""factor 2 missing

task: loss_gradient
"""
import numpy as np


def loss_gradient(w):
    w1, w2 = np.asarray(w, dtype=float)
    residual = w1 * w2 * X - Y_HAT
    return np.array([X * residual * w2, X * residual * w1])
