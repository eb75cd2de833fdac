"""Reference solutions of the assignment `critical_points` ("When gradient is small").

Run only in the trusted process, with the student's constants X and Y_HAT as globals,
exactly as the notebook's given cells define them. Each docstring pins the convention
the student must follow; it becomes the stub of the student's solution cell.

The functions do not call one another except `escape_saddle` -> `numerical_hessian`, so
a mistake in one task does not cost points in another.
"""

import numpy as np
import sympy as sp


def loss_gradient(w):
    """The analytic gradient of your loss L(w) = (Y_HAT - w1*w2*X)**2 at w = (w1, w2).

    Use your constants X and Y_HAT (defined above) and the chain rule; no finite
    differences here. Do not modify w.

    Returns a float64 array of shape (2,): [dL/dw1, dL/dw2].
    """
    w1, w2 = np.asarray(w, dtype=float)
    residual = w1 * w2 * X - Y_HAT
    return np.array([2.0 * X * residual * w2, 2.0 * X * residual * w1])


def symbolic_hessian():
    """The exact Hessian of your loss as a 2x2 sympy Matrix in the symbols w1, w2.

    Entry [i, j] is d^2 L / (dwi dwj) for L = (Y_HAT - w1*w2*X)**2 with your numbers X and
    Y_HAT (as sympy numbers, e.g. sp.Rational(str(X)) or sp.nsimplify(X); plain floats work
    too). Create the symbols with exactly these names: w1, w2 = sp.symbols("w1 w2").

    Returns a sympy.Matrix of shape (2, 2), whose entries are expressions in w1 and w2.
    """
    w1, w2 = sp.symbols("w1 w2")
    x, y_hat = sp.nsimplify(X), sp.nsimplify(Y_HAT)
    loss = (y_hat - w1 * w2 * x) ** 2
    return sp.hessian(loss, (w1, w2))


def numerical_gradient(f, theta, h=1e-5):
    """The central-difference gradient of any f: R^n -> R at theta.

        g_i = (f(theta + h*e_i) - f(theta - h*e_i)) / (2*h)

    with e_i the i-th unit vector and exactly the step h in every coordinate (no scaling
    of h by |theta_i|). Call f only with float64 arrays of the shape of theta; do not
    modify theta.

    Returns a float64 array of shape (n,).
    """
    theta = np.array(theta, dtype=float)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (f(theta + e) - f(theta - e)) / (2.0 * h)
    return grad


def numerical_hessian(f, theta, h=1e-4):
    """The finite-difference Hessian of any f: R^n -> R at theta, from values of f.

        H_ii = (f(theta + h*e_i) - 2*f(theta) + f(theta - h*e_i)) / h**2
        H_ij = (f(theta + h*e_i + h*e_j) - f(theta + h*e_i - h*e_j)
                - f(theta - h*e_i + h*e_j) + f(theta - h*e_i - h*e_j)) / (4*h**2)   (i != j)

    with exactly the step h in every coordinate (no scaling by |theta_i|). Central
    differences of your central-difference gradient with step h are accepted too. Return
    an exactly symmetric matrix: finish with H = (H + H.T) / 2. Do not modify theta.

    Returns a float64 array of shape (n, n).
    """
    theta = np.array(theta, dtype=float)
    n = theta.size
    steps = h * np.eye(n)
    f0 = f(theta)
    hess = np.empty((n, n))
    for i in range(n):
        ei = steps[i]
        hess[i, i] = (f(theta + ei) - 2.0 * f0 + f(theta - ei)) / h**2
        for j in range(i):
            ej = steps[j]
            hess[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4.0 * h**2)
            hess[j, i] = hess[i, j]
    return (hess + hess.T) / 2.0


def classify_critical_point(H, tol=1e-6):
    """The type of a critical point from its (symmetric) Hessian H, by eigenvalue signs.

    With the eigenvalues lam of H and the threshold tau = tol * max(1, max|lam|):
      some lam > tau and some lam < -tau   -> "saddle point"
      every lam > tau                      -> "local minimum"
      every lam < -tau                     -> "local maximum"
      otherwise (some |lam| <= tau)        -> "degenerate"   (the Hessian test cannot tell)
    Do not modify H.

    Returns exactly one of the strings "local minimum", "local maximum", "saddle point",
    "degenerate".
    """
    H = np.asarray(H, dtype=float)
    lam = np.linalg.eigvalsh((H + H.T) / 2.0)
    tau = tol * max(1.0, float(np.max(np.abs(lam))))
    if np.any(lam > tau) and np.any(lam < -tau):
        return "saddle point"
    if np.all(lam > tau):
        return "local minimum"
    if np.all(lam < -tau):
        return "local maximum"
    return "degenerate"


def escape_direction(H, tol=1e-6):
    """A unit eigenvector u of the most negative eigenvalue of the symmetric matrix H.

    With tau = tol * max(1, max|lam|) as in classify_critical_point: when no eigenvalue
    is below -tau, return None. Either sign of u is right, and so is any unit vector of
    the eigenspace when the most negative eigenvalue is repeated. Hint:
    np.linalg.eigh returns the eigenvalues in ascending order and the eigenvectors as
    the COLUMNS of its second result. Do not modify H.

    Returns a float64 array of shape (n,) with norm 1, or None.
    """
    H = np.asarray(H, dtype=float)
    lam, vectors = np.linalg.eigh((H + H.T) / 2.0)
    tau = tol * max(1.0, float(np.max(np.abs(lam))))
    if lam[0] >= -tau:
        return None
    return vectors[:, 0]


def escape_saddle(f, theta, step=0.1):
    """One step away from a saddle point along a direction of negative curvature.

    H = numerical_hessian(f, theta) (default h); u = the unit eigenvector of its most
    negative eigenvalue (as escape_direction(H) with tol=1e-6 gives it). Then compare
    f(theta + step*u) and f(theta - step*u) and return the point with the smaller f
    (the true f, not its Taylor model: cubic terms can make one side go up). When H has
    no eigenvalue below -tau, return an unchanged copy of theta. Do not modify theta.

    Returns a float64 array of shape (n,): the new point, not the direction.
    """
    theta = np.array(theta, dtype=float)
    H = numerical_hessian(f, theta)
    lam, vectors = np.linalg.eigh(H)
    tau = 1e-6 * max(1.0, float(np.max(np.abs(lam))))
    if lam[0] >= -tau:
        return theta.copy()
    u = vectors[:, 0]
    forward, backward = theta + step * u, theta - step * u
    return forward if f(forward) <= f(backward) else backward
