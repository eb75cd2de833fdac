"""Assignment `momentum_nag`: gradient descent, Momentum, NAG and minibatch SGD, graded whole.

The anatomy every assignment shares (docs/writing-an-assignment.md): this declaration;
`parameters.py` (the student's quadratic, start, step, β and data set, vetted; the notebook's
expectations), `measures.py`, `cases.py` (the hidden surfaces, starts and data sets),
`checks/` (trajectories, minibatch_sgd, steps_to_tolerance), `judges.py`, `known.py`,
`figures.py`, `mistakes/`, `mutants.py` and `notebook.j2`; `optimisers.py` runs the right
methods and the mistaken ones, for the judges, the cases and the parameters' vetting.
"""

from autograder.assignment import Assignment, Task

from .checks import checks
from .parameters import notebook_context, parameters

ASSIGNMENT = Assignment(
    name="momentum_nag",
    title="Batch and Momentum: gradient descent, Momentum, Nesterov and minibatch SGD",
    tasks=(
        Task("gradient_descent", 3.0, "the gradient-descent trajectory θ0..θ_steps"),
        Task("momentum", 4.0, "Momentum in the lecture's convention m_t = β·m_{t−1} − η·∇L(θ_{t−1})"),
        Task("nesterov", 5.0, "NAG returning θ_t (not the look-ahead point)"),
        Task("minibatch_sgd", 5.0, "minibatch SGD with pinned shuffling, last partial batch used"),
        Task("steps_to_tolerance", 3.0, "steps until ‖∇L(θ_t)‖ < tol for each method, None beyond 10 000"),
    ),
    parameters=parameters,
    notebook_context=notebook_context,
    checks=checks,
    observers={
        # A list of arrays that are all one object: θ appended to the trajectory, then changed
        # in place (known.ALIASED). Seen only on the raw value; as an array it is just wrong rows.
        "aliased_rows": "isinstance(value, (list, tuple)) and len(value) > 1 and "
                        "all(isinstance(r, np.ndarray) for r in value) and len({id(r) for r in value}) < len(value)",
    },
)
