"""Mutants of the reference that change nothing a student could observe, each with the reason.

`autograder vet --mutants` counts these as equivalent, not as survivors. The key is (task,
the line before, the line after) as the vetting page prints a mutant. Inputs arrive as
float64 arrays (the wire carries no other kind of array), and a Hessian passed to
classify_critical_point and escape_direction is symmetric by their contract.
"""

NEVER_WRITTEN = ("the function never writes into theta (theta + e, theta - e, theta + step*u are new arrays), and "
                 "inputs arrive as float64 arrays, so the copy changes nothing observable")
SYMMETRIC = "for a symmetric H, the contract's input, H + H equals H + H.T to the bit"

EQUIVALENT = {
    ("numerical_gradient", "def numerical_gradient(f, theta, h=1e-05):", "def numerical_gradient(f, theta, h=-1e-05):"):
        "central differences are odd in h twice over: (f(θ−he) − f(θ+he))/(−2h) is the same number to the bit",
    ("numerical_gradient", "theta = np.array(theta, dtype=float)", "theta = theta"): NEVER_WRITTEN,
    ("numerical_hessian", "def numerical_hessian(f, theta, h=0.0001):", "def numerical_hessian(f, theta, h=-0.0001):"):
        "every term of both formulas is even in h: the same four (three) values of f, added in another order, "
        "differ by round-off only",
    ("numerical_hessian", "theta = np.array(theta, dtype=float)", "theta = theta"): NEVER_WRITTEN,
    ("numerical_hessian", "for j in range(i):", "for j in range(i + 1):"):
        "j = i overwrites H_ii with the mixed formula at e_i + e_i, (f(θ+2he_i) − 2f(θ) + f(θ−2he_i))/(4h²): the "
        "diagonal of central differences of the central-difference gradient with step h, which the contract accepts",
    ("numerical_hessian", "return (hess + hess.T) / 2.0", "return (hess + hess) / 2.0"):
        "hess is filled symmetrically (hess[j, i] = hess[i, j]), so it equals its transpose to the bit",
    ("classify_critical_point", "lam = np.linalg.eigvalsh((H + H.T) / 2.0)", "lam = np.linalg.eigvalsh((H + H) / 2.0)"):
        SYMMETRIC,
    ("escape_direction", "lam, vectors = np.linalg.eigh((H + H.T) / 2.0)", "lam, vectors = np.linalg.eigh((H + H) / 2.0)"):
        SYMMETRIC,
    ("escape_saddle", "def escape_saddle(f, theta, step=0.1):", "def escape_saddle(f, theta, step=-0.1):"):
        "θ + step·u and θ − step·u are the same two candidates with either sign of step, and the lower one is "
        "returned (on an exact tie either is right)",
    ("escape_saddle", "theta = np.array(theta, dtype=float)", "theta = theta"): NEVER_WRITTEN,
    ("escape_saddle", "return theta.copy()", "return theta"):
        "theta is already the function's own copy (first line), so the input is never returned",
    ("escape_saddle", "return forward if f(forward) <= f(backward) else backward",
     "return forward if f(forward) < f(backward) else backward"):
        "they differ only when f is exactly equal on both sides, where either side is right",
    ("escape_saddle", "if lam[0] >= -tau:", "if lam[0] > -tau:"):
        "the numerical Hessian's smallest eigenvalue is exactly −τ only by round-off, which no f chosen by a "
        "check can arrange",
}
