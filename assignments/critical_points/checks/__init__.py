"""All checks of `critical_points` for one student, built in the grader.

Each task's checks live in their own module; every random number comes from the
student's hidden grading streams (`ctx.hidden_rng(<task>)`), so a report can be reproduced
and no two students see the same hidden surfaces.
"""

from __future__ import annotations

from autograder.assignment import GradingContext
from autograder.checks import Check

from .classify import classify_checks
from .derivatives import loss_gradient_checks, numerical_gradient_checks, numerical_hessian_checks
from .escape import escape_direction_checks, escape_saddle_checks
from .symbolic_hessian import symbolic_hessian_checks

BUILDERS = (
    loss_gradient_checks,
    symbolic_hessian_checks,
    numerical_gradient_checks,
    numerical_hessian_checks,
    classify_checks,
    escape_direction_checks,
    escape_saddle_checks,
)


def checks(ctx: GradingContext) -> list[Check]:
    return [check for build in BUILDERS for check in build(ctx)]
