"""The checks of `momentum_nag` for one student, built in the grader: one module per group of tasks.

Every hidden case comes from a grading stream `ctx.rng("<task>/<check>")`, so a report can
be reproduced and no two students see the same hidden cases.
"""

from __future__ import annotations

from autograder.assignment import GradingContext
from autograder.checks import Check

from .. import figures
from .minibatch_sgd import sgd_checks
from .steps_to_tolerance import tolerance_checks
from .trajectories import METHODS, optimiser_checks, own_cases


def checks(ctx: GradingContext) -> list[Check]:
    own = own_cases(ctx)
    shown = figures.window(own["gradient_descent"].case["surface"], [case.expected for case in own.values()])
    return [
        *(c for method in METHODS for c in optimiser_checks(ctx, method, own[method.task], shown)),
        *sgd_checks(ctx),
        *tolerance_checks(ctx),
    ]
