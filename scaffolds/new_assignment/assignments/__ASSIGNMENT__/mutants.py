"""Mutants of the reference that change nothing a student could observe, each with the reason.

`autograder vet --mutants` changes one thing at a time in each reference function and
grades the result; a mutant whose task keeps full marks survives, unless it is listed here
as equivalent. The key is (task, the line before, the line after), as the vetting page shows
a survivor; a key that matches no mutant any more is reported as stale.
"""

EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("gradient_step", "theta = np.array(theta, dtype=float)", "theta = theta"):
        "gradient_step never writes into theta: `theta - lr * …` is a new float64 array whatever theta is "
        "(a list, an int array), so the copy changes nothing observable.",
}
