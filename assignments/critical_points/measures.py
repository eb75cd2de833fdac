"""How hard a variant is: the numbers `autograder vet` compares across the class.

Each is computed from the student's constants through the reference (the exact Hessian),
not from the formula the parameters were drawn by, so a drift between the two shows.
"""

import numpy as np
import sympy as sp

from autograder.instructor.measures import Measure


def _saddle_eigenvalues(params, reference) -> np.ndarray:
    w1, w2 = sp.symbols("w1 w2")
    H = np.array(reference.symbolic_hessian().subs({w1: 0, w2: 0}).evalf(), dtype=float)
    return np.linalg.eigvalsh(H)


MEASURES = (
    Measure("saddle_lambda_min", "the saddle's negative eigenvalue −2·|X·Y_HAT|",
            lambda p, r: _saddle_eigenvalues(p, r)[0], low=-8.0, high=-1.0),
    Measure("saddle_lambda_max", "the saddle's positive eigenvalue 2·|X·Y_HAT|",
            lambda p, r: _saddle_eigenvalues(p, r)[1], low=1.0, high=8.0),
    Measure("abs_x", "|X|", lambda p, r: abs(p["X"]), low=0.5, high=2.5),
    Measure("abs_y_hat", "|Y_HAT|", lambda p, r: abs(p["Y_HAT"]), low=0.3, high=3.0),
    # The picture of section 6 shows w in [-2, 2]²; the valley w1·w2 = Y_HAT/X comes closest to
    # the origin at |w1| = |w2| = √|Y_HAT/X|, so it is in the picture only when |Y_HAT/X| ≤ 4.
    Measure("valley_level", "|Y_HAT/X|, the level of the valley w1·w2 = Y_HAT/X in the picture",
            lambda p, r: abs(p["Y_HAT"] / p["X"]), low=0.0, high=4.0),
)
