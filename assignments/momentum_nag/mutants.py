"""Mutants of the reference that change nothing a student could observe, each with the reason.

`autograder vet --mutants` counts these as equivalent, not as survivors. The key is (task,
the line before, the line after) as the vetting page prints a mutant. Inputs arrive as
float64 arrays (the wire carries no other kind of array).
"""

NEVER_WRITTEN = ("every update makes a new array (theta - …, theta + m) and np.array(path) copies the rows, so "
                 "the start is never written into and never returned: the copy changes nothing observable")

EQUIVALENT = {
    ("gradient_descent", "theta = np.array(theta0, dtype=float)", "theta = theta0"): NEVER_WRITTEN,
    ("momentum", "theta = np.array(theta0, dtype=float)", "theta = theta0"): NEVER_WRITTEN,
    ("nesterov", "theta = np.array(theta0, dtype=float)", "theta = theta0"): NEVER_WRITTEN,
    ("minibatch_sgd", "w = np.array(w0, dtype=float)", "w = w0"): NEVER_WRITTEN,
    ("steps_to_tolerance", "theta = np.array(theta0, dtype=float)", "theta = theta0"): NEVER_WRITTEN,
    ("steps_to_tolerance", "theta = theta + m", "theta += m"):
        "steps_to_tolerance keeps no trajectory, and theta is its own copy of theta0, so updating it in place "
        "changes nothing observable",
    ("steps_to_tolerance",
     "return {'gd': first_small(0.0, False), 'momentum': first_small(beta, False), 'nesterov': first_small(beta, True)}",
     "return {'gd': first_small(0.0, True), 'momentum': first_small(beta, False), 'nesterov': first_small(beta, True)}"):
        "with β = 0 the look-ahead point θ + 0·m is θ itself, bit for bit",
}
