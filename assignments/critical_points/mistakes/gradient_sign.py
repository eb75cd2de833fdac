"""gradient sign flipped

task: loss_gradient
"""
import numpy as np


def loss_gradient(w):
    w1, w2 = np.asarray(w, dtype=float)
    residual = Y_HAT - w1 * w2 * X  # the inner derivative's minus sign is lost below
    return np.array([2.0 * X * residual * w2, 2.0 * X * residual * w1])
