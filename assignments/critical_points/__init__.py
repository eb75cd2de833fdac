"""Assignment `critical_points`: the lecture "When gradient is small" with the student's own loss.

Each student gets a loss L(w) = (Y_HAT − w1·w2·X)² with their own X and Y_HAT; the tasks go
from its gradient and Hessian to finite differences, the Hessian test and escaping a saddle.

The anatomy every assignment shares (docs/writing-an-assignment.md): this declaration;
`parameters.py` (X, Y_HAT and their ranges; the notebook's expectations), `measures.py`,
`cases.py` (the hidden test surfaces, expanded exactly by `polynomials.py`), `checks/` (one
module per group of tasks: derivatives, symbolic_hessian, classify, escape), `judges.py`,
`known.py`, `figures.py`, `mistakes/`, `mutants.py` and `notebook.j2`; `symbolic.py` rebuilds a
student's sympy answer from its whitelisted tree.
"""

from __future__ import annotations

from autograder.assignment import Assignment, Task

from .checks import checks
from .parameters import notebook_context, parameters

TASKS = (
    Task("loss_gradient", 2.0, "the analytic gradient of your loss"),
    Task("symbolic_hessian", 3.0, "the exact Hessian of your loss as a sympy Matrix"),
    Task("numerical_gradient", 3.0, "central-difference gradient of any f"),
    Task("numerical_hessian", 3.0, "finite-difference Hessian of any f, symmetric"),
    Task("classify_critical_point", 4.0, "the Hessian test, with its degenerate class"),
    Task("escape_direction", 2.0, "a unit eigenvector of the most negative eigenvalue, or None"),
    Task("escape_saddle", 3.0, "one step away from a saddle, downhill"),
)


ASSIGNMENT = Assignment(
    name="critical_points",
    title="When gradient is small: critical points, the Hessian test and escaping saddles",
    tasks=TASKS,
    parameters=parameters,
    notebook_context=notebook_context,
    checks=checks,
)
