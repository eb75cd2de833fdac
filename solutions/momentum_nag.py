"""Reference solutions of the assignment `momentum_nag` (trusted side only).

The loader runs this file with the student's constants (A, b, THETA0, LR, BETA, X_DATA,
Y_DATA) as globals; the functions below take everything as arguments, so they serve the
student's own problem and every hidden grading input alike. Each function's docstring
becomes the student's stub: it pins the convention that the grader checks.
"""

import numpy as np


def gradient_descent(grad, theta0, lr, steps):
    """Plain gradient descent: θ_t = θ_{t−1} − η·∇L(θ_{t−1}).

    grad:   a function returning ∇L(θ) (shape (n,)) for a point θ of shape (n,)
    theta0: the start θ0, shape (n,); do not modify it
    lr:     the learning rate η
    steps:  the number of updates

    Returns the whole trajectory θ0, θ1, …, θ_steps as a float64 array of shape
    (steps+1, n); row 0 is θ0, and every row is a new array.
    """
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta = theta - lr * grad(theta)
        path.append(theta)
    return np.array(path)


def momentum(grad, theta0, lr, beta, steps):
    """Momentum (the lecture's convention; Sutskever et al. 2013 give the same iterates).

    m_0 = 0
    m_t = β·m_{t−1} − η·∇L(θ_{t−1})     (the movement: last movement minus the gradient)
    θ_t = θ_{t−1} + m_t

    Not the EMA form v_t = β·v_{t−1} + (1−β)·g. Returns the trajectory θ0, θ1, …, θ_steps
    as a float64 array of shape (steps+1, n); row 0 is θ0, every row a new array, and
    theta0 is left unmodified.
    """
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta)
        theta = theta + m
        path.append(theta)
    return np.array(path)


def nesterov(grad, theta0, lr, beta, steps):
    """Nesterov accelerated gradient (NAG) in the lecture's convention (Lee / Sutskever).

    m_0 = 0
    m_t = β·m_{t−1} − η·∇L(θ_{t−1} + β·m_{t−1})     (the gradient at the look-ahead point)
    θ_t = θ_{t−1} + m_t

    Returns θ_t, NOT the look-ahead point θ_t + β·m_t that PyTorch (nesterov=True), Keras
    and optax keep as their parameters. The trajectory θ0, θ1, …, θ_steps is a float64 array
    of shape (steps+1, n); row 0 is θ0, every row a new array, and theta0 is left unmodified.
    """
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    path = [theta]
    for _ in range(steps):
        m = beta * m - lr * grad(theta + beta * m)
        theta = theta + m
        path.append(theta)
    return np.array(path)


def minibatch_sgd(X, y, w0, lr, batch_size, epochs, seed):
    """Minibatch SGD for linear least squares, with the shuffling pinned down exactly.

    Model x·w; the loss of a batch B is the mean of (x_i·w − y_i)² over i in B, so its
    gradient is (2/|B|)·X_Bᵀ(X_B·w − y_B) and the update is w ← w − lr·gradient.

    rng = np.random.default_rng(seed), created once before the first epoch. In every
    epoch: order = rng.permutation(N); the batches are the consecutive slices
    order[0:batch_size], order[batch_size:2·batch_size], …; the last one may be smaller
    and is used too.

    Returns every iterate w0, w1, …, one row per update: a float64 array of shape
    (updates+1, d) with updates = epochs·ceil(N / batch_size). X, y and w0 stay unmodified.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.array(w0, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y)
    path = [w]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            residual = X[batch] @ w - y[batch]
            w = w - lr * (2.0 / len(batch)) * (X[batch].T @ residual)
            path.append(w)
    return np.array(path)


def steps_to_tolerance(grad, theta0, lr, beta, tol):
    """How many steps each method needs until the gradient is small.

    Runs gradient descent (lr), Momentum (lr, beta) and NAG (lr, beta) from theta0, in the
    conventions above, and returns {"gd": …, "momentum": …, "nesterov": …}: for each method
    the first t (an int, 0 ≤ t ≤ 10000) with ‖∇L(θ_t)‖ < tol (Euclidean norm, at θ_t itself,
    never at a look-ahead point; t = 0 when θ0 already qualifies), or None if no θ_t with
    t ≤ 10000 does.
    """
    max_steps = 10_000

    def first_small(b, look_ahead):
        theta = np.array(theta0, dtype=float)
        m = np.zeros_like(theta)
        for t in range(max_steps + 1):
            g = grad(theta)
            if np.linalg.norm(g) < tol:
                return t
            if look_ahead:
                g = grad(theta + b * m)
            m = b * m - lr * g
            theta = theta + m
        return None

    # Gradient descent is Momentum with β = 0, step for step and bit for bit.
    return {
        "gd": first_small(0.0, False),
        "momentum": first_small(beta, False),
        "nesterov": first_small(beta, True),
    }
