"""central differences with the step written in

source: cxw745/AI_SYSU_2023 lab6/gradient.py and Saito's numerical_gradient (h = 1e-4 inside the function)
task: numerical_gradient
verdict: wrong
name: the argument h ignored
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    h = 1e-4
    x = np.array(theta, dtype=float)
    grad = np.zeros_like(x)
    for idx in range(x.shape[0]):
        tmp = x[idx]
        x[idx] = tmp + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp
    return grad
