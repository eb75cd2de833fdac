"""Reference solutions of the assignment `__ASSIGNMENT__` (trusted side only).

The grader runs this file with the student's constants (CURVATURE, LR) as its globals, as
the notebook's given cells define them. Each function's docstring becomes the student's
stub: it pins the convention the checks hold them to. Take everything from the
arguments, so that one reference serves the student's own problem and every hidden case.
"""

import numpy as np


def gradient_step(grad, theta, lr):
    """One step of gradient descent: θ − η·∇L(θ).

    grad:  a function returning ∇L(θ), shape (n,), for a point θ of shape (n,)
    theta: the point θ, shape (n,); do not modify it
    lr:    the learning rate η

    Returns the new point as a float64 array of shape (n,).
    """
    theta = np.array(theta, dtype=float)
    return theta - lr * np.asarray(grad(theta), dtype=float)
