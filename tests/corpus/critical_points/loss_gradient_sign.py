"""the loss gradient with the inner derivative's sign lost

source: ∂/∂w1 (ŷ − w1w2x)² written as 2(ŷ − w1w2x)·w2x
task: loss_gradient
verdict: wrong
name: gradient sign flipped
"""
import numpy as np


def loss_gradient(w):
    w1, w2 = np.asarray(w, dtype=float)
    r = Y_HAT - w1 * w2 * X
    return np.array([2 * r * w2 * X, 2 * r * w1 * X])
