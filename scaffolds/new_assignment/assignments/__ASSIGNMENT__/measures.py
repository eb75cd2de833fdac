"""How hard a variant is: the numbers `autograder vet` compares across the class, with the
range every variant must fall in. Computed through the reference, not from the formula
the parameters were drawn by, so that a drift between the two shows."""

import numpy as np

from autograder.instructor.measures import Measure

from .parameters import own_grad


def _contraction(params, reference) -> float:
    theta = np.array([1.0, 1.0])
    return float(np.linalg.norm(reference.gradient_step(own_grad(params), theta, params["LR"])) / np.linalg.norm(theta))


MEASURES = (
    Measure("step_times_curvature", "η·CURVATURE (one step overshoots beyond 1, diverges beyond 2)",
            lambda params, reference: params["LR"] * params["CURVATURE"], low=0.2, high=0.9),
    Measure("contraction", "‖θ1‖ / ‖θ0‖ on the student's loss: what one step leaves of the distance to the minimum",
            _contraction, low=0.1, high=0.8),
)
