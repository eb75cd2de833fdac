"""Test functions shared by the grader and the sandbox.

A check names a surface by plain parameters (a `wire.Surface`); the sandbox builds the
callable handed to the student from them, and the grader evaluates the very same
formulas for reference values. Two families cover every surface the assignments use:

- ``quadratic``: f(θ) = ½(θ−c)ᵀA(θ−c) + d
- ``poly``: f(θ) = d + Σ_k coef_k · Π_j z_j^e_kj with z = M(θ−c), which spans the
  lecture loss, Himmelblau, Rosenbrock, double wells, the six-hump camel and every
  degenerate polynomial case, each rotated, scaled and shifted at will.

Only numpy here: the module runs inside the sandbox.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _point(theta, n: int) -> np.ndarray:
    x = np.asarray(theta, dtype=float)
    if x.shape != (n,):
        raise ValueError(f"this function takes a point of shape ({n},), got shape {x.shape}")
    return x


class Quadratic:
    def __init__(self, A, c, d: float = 0.0):
        self.A = np.asarray(A, dtype=float)
        self.c = np.asarray(c, dtype=float)
        self.d = float(d)
        self.n = self.c.size
        self.calls = 0  # of f, grad and hess: a student's function is told how often it asked
        # An axis-aligned bowl's gradient is A's diagonal times θ − c, elementwise: the numbers of
        # A @ (θ − c), since a product with an exact zero adds nothing (where θ holds an inf, ±inf
        # instead of the matrix product's nan), in less of each step of a student's loop.
        diagonal = np.diagonal(self.A) if self.A.shape == (self.n, self.n) else None
        self._diagonal = None if diagonal is None or np.count_nonzero(self.A - np.diag(diagonal)) else diagonal.copy()

    def f(self, theta) -> float:
        self.calls += 1
        r = _point(theta, self.n) - self.c
        return float(0.5 * r @ self.A @ r + self.d)

    def grad(self, theta) -> np.ndarray:
        self.calls += 1
        r = _point(theta, self.n) - self.c
        return self.A @ r if self._diagonal is None else self._diagonal * r

    def values(self, points) -> np.ndarray:
        """f at each row of a (k, n) array at once (for pictures)."""
        r = np.asarray(points, dtype=float) - self.c
        return 0.5 * np.einsum("ki,ij,kj->k", r, self.A, r) + self.d

    def grads(self, points) -> np.ndarray:
        """∇f at each row of a (k, n) array at once (the grader's look at a case's runs), equal to
        `grad` up to the order of its sums."""
        return (np.asarray(points, dtype=float) - self.c) @ self.A.T

    def hess(self, theta) -> np.ndarray:
        self.calls += 1
        _point(theta, self.n)
        return self.A.copy()


class Poly:
    def __init__(self, terms, M=None, c=None, d: float = 0.0):
        self.coef = np.array([float(t[0]) for t in terms])
        self.exps = np.array([[int(e) for e in t[1]] for t in terms], dtype=int)
        self.n = self.exps.shape[1]
        self.M = np.eye(self.n) if M is None else np.asarray(M, dtype=float)
        self.c = np.zeros(self.n) if c is None else np.asarray(c, dtype=float)
        self.d = float(d)
        self.calls = 0
        # The monomials of ∂f/∂z_j (coefficients and exponents), for every j at once: the
        # gradient is asked for thousands of times per student, the polynomial never changes.
        self._grad_factors, self._grad_exps = [], []
        for j in range(self.n):
            e = self.exps.copy()
            self._grad_factors.append(self.coef * e[:, j])
            e[:, j] = np.maximum(e[:, j] - 1, 0)
            self._grad_exps.append(e)
        self._grad_factors = np.array(self._grad_factors)
        self._grad_exps = np.array(self._grad_exps, dtype=float).reshape(self.n, -1, self.n)

    def _z(self, theta) -> np.ndarray:
        return self.M @ (_point(theta, self.n) - self.c)

    @staticmethod
    def _powers(z: np.ndarray, exps: np.ndarray) -> np.ndarray:
        # 0**0 is 1 here, as a monomial needs; negative exponents never occur.
        return np.prod(np.where(exps > 0, z ** np.maximum(exps, 0), 1.0), axis=1)

    def f(self, theta) -> float:
        self.calls += 1
        return float(self.d + self.coef @ self._powers(self._z(theta), self.exps))

    def values(self, points) -> np.ndarray:
        """f at each row of a (k, n) array at once (for pictures)."""
        z = (np.asarray(points, dtype=float) - self.c) @ self.M.T
        monomials = np.prod(np.where(self.exps > 0, z[:, None, :] ** np.maximum(self.exps, 0), 1.0), axis=2)
        return self.d + monomials @ self.coef

    def grad(self, theta) -> np.ndarray:
        self.calls += 1
        z = self._z(theta)
        # The same products in the same order as one monomial at a time, so the same bits. The
        # exponents are never negative, and x ** 0 is 1 for every float x (nan and inf too).
        powers = np.multiply.reduce(z ** self._grad_exps, axis=2)
        gz = np.zeros(self.n)
        for j in range(self.n):
            gz[j] = self._grad_factors[j] @ powers[j]
        return self.M.T @ gz

    def grads(self, points) -> np.ndarray:
        """∇f at each row of a (k, n) array at once (the grader's look at a case's runs), equal to
        `grad` up to the order of its sums."""
        z = (np.asarray(points, dtype=float) - self.c) @ self.M.T
        powers = np.multiply.reduce(z[:, None, None, :] ** self._grad_exps, axis=-1)
        return np.einsum("jt,kjt->kj", self._grad_factors, powers) @ self.M

    def hess(self, theta) -> np.ndarray:
        self.calls += 1
        z = self._z(theta)
        hz = np.zeros((self.n, self.n))
        for j in range(self.n):
            for k in range(j, self.n):
                e = self.exps.copy()
                factor = self.coef * e[:, j]
                e[:, j] = np.maximum(e[:, j] - 1, 0)
                factor = factor * np.where(e[:, k] > 0, e[:, k], 0)
                e[:, k] = np.maximum(e[:, k] - 1, 0)
                hz[j, k] = hz[k, j] = factor @ self._powers(z, e)
        return self.M.T @ hz @ self.M


FAMILIES = {"quadratic": Quadratic, "poly": Poly}


def build(family: str, params: dict):
    """The surface object of a family, from plain parameters."""
    if family not in FAMILIES:
        raise ValueError(f"unknown surface family {family!r}")
    return FAMILIES[family](**params)


def function(family: str, params: dict, returns: str = "f") -> Callable:
    """The plain callable a student receives: f, its gradient or its Hessian."""
    surface = build(family, params)
    if returns not in ("f", "grad", "hess"):
        raise ValueError(f"unknown surface output {returns!r}")
    return getattr(surface, returns)
