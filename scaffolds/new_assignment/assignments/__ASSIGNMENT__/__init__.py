"""Assignment `__ASSIGNMENT__`: say here, in a sentence, what the student learns.

Every assignment has the same anatomy (docs/writing-an-assignment.md walks through it):

    __init__.py    this declaration: the tasks and their points
    parameters.py  the student's constants, their vetted ranges, the notebook's expectations
    measures.py    the difficulty measures `autograder vet` compares across the class
    cases.py       the hidden grading cases, drawn from the student's grading streams
    checks/        one module of checks per task (or group of tasks)
    judges.py      how an answer is compared and a known mistake recognised
    known.py       the known mistakes: their names and advice
    figures.py     the pictures a report shows
    mistakes/      one file per known mistake (used by `vet`, the demo and the tests)
    mutants.py     mutants of the reference that change nothing observable, and why
    notebook.j2    the notebook template
"""

from autograder.assignment import Assignment, Task

from .checks import checks
from .parameters import notebook_context, parameters

TASKS = (
    Task("gradient_step", 2.0, "one step of gradient descent, θ − η·∇L(θ)"),
)

ASSIGNMENT = Assignment(
    name="__ASSIGNMENT__",
    title="__TITLE__",
    tasks=TASKS,
    parameters=parameters,
    notebook_context=notebook_context,
    checks=checks,
)
