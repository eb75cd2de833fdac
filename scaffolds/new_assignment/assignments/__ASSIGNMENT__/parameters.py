"""The student's own constants, drawn inside vetted ranges, and the notebook's expectations.

Each constant comes from its own stream `params/<NAME>`, so adding one later shifts no
other. Draw inside the ranges that `measures.py` declares, with a margin for rounding:
the numbers a student reads are the rounded ones.
"""

import numpy as np

from autograder.variants import Variant

CURVATURE = (1.0, 4.0)
STEP = (0.25, 0.85)  # η·curvature: every step shrinks the distance to the minimum, none overshoots far


def parameters(variant: Variant) -> dict:
    curvature = round(float(variant.rng("params/CURVATURE").uniform(*CURVATURE)), 2)
    lr = round(float(variant.rng("params/LR").uniform(*STEP)) / curvature, 3)
    return {"CURVATURE": curvature, "LR": lr}


def own_grad(params: dict):
    """The gradient of the student's loss L(θ) = ½·CURVATURE·‖θ‖², exactly as the notebook defines it."""
    return lambda theta: params["CURVATURE"] * np.asarray(theta, dtype=float)


SELF_CHECK_THETA = np.array([1.5, -0.5])


def notebook_context(params: dict, reference) -> dict:
    """Values the template shows: the self-check's expected step, computed by the reference at generation time."""
    return {
        "selfcheck_theta": SELF_CHECK_THETA,
        "selfcheck_expected": reference.gradient_step(own_grad(params), SELF_CHECK_THETA, params["LR"]),
    }
