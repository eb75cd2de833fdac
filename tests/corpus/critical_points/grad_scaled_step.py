"""central differences with a step relative to |θi|

source: numdifftools / statsmodels approx_fprime_cs style steps, h·max(1, |x|)
task: numerical_gradient
verdict: wrong
name: step scaled by max(1, |θi|)
"""
import numpy as np


def numerical_gradient(f, theta, h=1e-5):
    theta = np.array(theta, dtype=float)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = h * max(1.0, abs(theta[i]))
        e = np.zeros_like(theta)
        e[i] = step
        grad[i] = (f(theta + e) - f(theta - e)) / (2 * step)
    return grad
