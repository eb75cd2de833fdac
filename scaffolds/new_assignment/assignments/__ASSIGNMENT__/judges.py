"""How an answer is compared, and how a known mistake is recognised: by computing, here, what
the mistake would return on the same input and seeing whether the student's value is that."""

from typing import Sequence

import numpy as np

from autograder import surfaces
from autograder.checks import Verdict, compare

from . import figures, known


def step(value, expected: np.ndarray, case: dict, shows: str) -> Verdict:
    grad = surfaces.function("quadratic", case["surface"], "grad")(case["theta"])
    mistakes = [(name, model(case["theta"], grad, case["lr"]), known.ADVICE[name]) for name, model in known.MODELS]
    verdict = compare(value, expected, rtol=1e-9, atol=1e-12, shows=shows, what="your new point", mistakes=mistakes)
    if verdict.passed or len(case["theta"]) != 2 or not isinstance(value, np.ndarray) or value.shape != (2,):
        return verdict
    return Verdict(False, verdict.message, verdict.mistake, verdict.details,
                   figures.step(case, expected, value))


def first_failure(verdicts: Sequence[Verdict], summary: str) -> Verdict:
    """One verdict for several inputs: the first failure, or a pass that says how many."""
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    return Verdict(True, summary)
