"""central differences over np.nditer, changing x in place and restoring it

source: CS231n gradient_check.py `eval_numerical_gradient` (x[ix] = oldval + h; … x[ix] = oldval)
task: numerical_gradient
verdict: right
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    x = np.array(theta, dtype=float)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h
        fxph = f(x)
        x[ix] = oldval - h
        fxmh = f(x)
        x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad
