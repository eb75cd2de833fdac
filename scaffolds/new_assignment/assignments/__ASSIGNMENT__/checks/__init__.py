"""Every check of `__ASSIGNMENT__` for one student, built in the grader: one module per task
(or group of tasks), each a function of the grading context."""

from autograder.assignment import GradingContext
from autograder.checks import Check

from .gradient_step import gradient_step_checks

BUILDERS = (gradient_step_checks,)


def checks(ctx: GradingContext) -> list[Check]:
    return [check for build in BUILDERS for check in build(ctx)]
