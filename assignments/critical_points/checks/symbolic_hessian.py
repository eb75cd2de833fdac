"""Checks of `symbolic_hessian`: the student's sympy Matrix against the exact Hessian.

The answer arrives as a `wire.MatrixTree`, is rebuilt with sympy constructors only
(`symbolic.rebuild`) and is compared by expanding both sides to polynomials in w1, w2
and comparing coefficients with a relative tolerance, so floats in the student's
expression (X = 1.37 rather than 137/100) are fine. Entries that are not polynomials
(exp(log(...)), say) are compared by value at a few points instead.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Verdict, show
from autograder.wire import MatrixTree, Opaque

from .. import known
from ..judges import safe
from ..symbolic import MAX_DEGREE, Refused, degree_bound, rebuild

W1, W2 = sp.symbols("w1 w2")
RTOL = 1e-9
SAMPLE_POINTS = ((0.3, -1.1), (1.7, 0.4), (-0.8, -2.3), (2.2, 1.9))


def rational(value) -> sp.Rational:
    """The exact decimal a float was written as (the constants have two decimals), without nsimplify's parser."""
    return sp.Rational(repr(float(value)))


def exact_hessian(x: float, y_hat: float) -> sp.Matrix:
    """∂²L/∂wi∂wj of L = (Y_HAT − w1·w2·X)² in exact rationals, written out: the very expressions
    sympy's hessian gives (expanded), without differentiating for every student."""
    X, Y = rational(x), rational(y_hat)
    mixed = 4 * X**2 * W1 * W2 - 2 * X * Y
    return sp.Matrix([[2 * X**2 * W2**2, mixed], [mixed, 2 * X**2 * W1**2]])


def mistaken_hessians(x: float, y_hat: float) -> list[tuple[str, sp.Matrix, str]]:
    X, Y = rational(x), rational(y_hat)
    H = exact_hessian(x, y_hat)
    no_product = H.copy()
    no_product[0, 1] = no_product[1, 0] = -2 * X * Y + 2 * X**2 * W1 * W2
    return [
        (known.NO_PRODUCT_RULE, no_product,
         "∂/∂w2 of ∂L/∂w1 = −2X·w2·(Y_HAT − w1·w2·X) needs the product rule: both factors contain w2, "
         "so ∂²L/∂w1∂w2 = −2X·Y_HAT + 4X²·w1·w2 (the lecture's −2 + 4w1w2 when X = Y_HAT = 1)."),
        (known.HESSIAN_SIGN, -H, "Check the signs: ∂²L/∂w1² = 2X²w2² is never negative."),
        (known.FACTOR_TWO, H / 2, "The derivative of r² is 2r·r′: keep the factor 2."),
        (known.LECTURE_NUMBERS, exact_hessian(1.0, 1.0),
         f"That is the Hessian of (1 − w1·w2)²; your loss uses X = {x!r} and Y_HAT = {y_hat!r}."),
    ]


class Unusable(Exception):
    """The answer cannot be compared at all; the message says why, for the student."""


def entries(value) -> list[sp.Expr]:
    """The four rebuilt entries of a 2×2 matrix in w1, w2, or Unusable with a message."""
    if isinstance(value, Opaque):
        raise Unusable(f"symbolic_hessian() returned {show(value)}, not a sympy Matrix "
                       "(build it with sp.Matrix([[...], [...]]) or sp.hessian(L, (w1, w2))).")
    if not isinstance(value, MatrixTree):
        raise Unusable(f"symbolic_hessian() returned {show(value)}, not a sympy Matrix.")
    if value.shape != (2, 2):
        raise Unusable(f"symbolic_hessian() returned a {value.shape[0]}×{value.shape[1]} Matrix; the Hessian of "
                       "a loss of two parameters is 2×2.")
    try:
        exprs = [rebuild(t) for t in value.entries]
    except Refused as exc:
        raise Unusable(f"Your Matrix could not be read back: it contains {exc}.") from None
    names = sorted({s.name for e in exprs for s in e.free_symbols} - {"w1", "w2"})
    if names:
        hint = ""
        if any(n.lower().replace("_", "") in ("w1", "w2") for n in names):
            hint = " Name the symbols exactly w1 and w2: w1, w2 = sp.symbols(\"w1 w2\")."
        elif any(n.lower() in ("x", "y_hat", "yhat", "y") for n in names):
            hint = " Use your numbers X and Y_HAT (as numbers), not symbols for them."
        raise Unusable(f"Your Matrix uses the symbol(s) {', '.join(names)}; the Hessian must be an expression in "
                       f"w1 and w2 only.{hint}")
    for e in exprs:
        if e.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise Unusable(f"An entry of your Matrix is infinite or undefined: {str(e)[:200]}.")
    return exprs


def polynomial(expr: sp.Expr):
    """The coefficient dict of expr as a polynomial in w1, w2, or None if it is not one."""
    try:
        return {k: complex(v) for k, v in sp.Poly(sp.expand(expr), W1, W2).as_dict().items()}
    except (sp.PolynomialError, sp.GeneratorsNeeded, TypeError, ValueError):
        return None


def same(got: sp.Expr, tree, want: sp.Expr) -> tuple[bool, float]:
    """Whether two entries agree to RTOL (relative to the expected coefficients), and how far apart."""
    want_poly = polynomial(want)
    scale = max([1.0] + [abs(v) for v in want_poly.values()])
    if degree_bound(tree.node) <= MAX_DEGREE:
        got_poly = polynomial(got)
        if got_poly is not None:
            keys = set(got_poly) | set(want_poly)
            error = max(abs(got_poly.get(k, 0) - want_poly.get(k, 0)) for k in keys) if keys else 0.0
            return error <= RTOL * scale, error
    error = 0.0  # not a polynomial: compare values at fixed points
    for a, b in SAMPLE_POINTS:
        gv = complex(got.evalf(20, subs={W1: a, W2: b}))
        wv = complex(want.evalf(20, subs={W1: a, W2: b}))
        error = max(error, abs(gv - wv)) if math.isfinite(abs(gv)) else math.inf
    return error <= RTOL * scale * 10, error


def matches(exprs, trees, target: sp.Matrix) -> tuple[bool, list[float]]:
    results = [same(e, t, w) for e, t, w in zip(exprs, trees, target)]
    return all(ok for ok, _ in results), [err for _, err in results]


def symbolic_hessian_checks(ctx: GradingContext) -> list[Check]:
    x, y_hat = float(ctx.params["X"]), float(ctx.params["Y_HAT"])
    H = exact_hessian(x, y_hat)
    call = Call("symbolic_hessian", (), "matrix", "symbolic_hessian()")
    reproduce = f"L = (Y_HAT − w1·w2·X)² with X = {x!r}, Y_HAT = {y_hat!r}"

    def read(outcome) -> tuple[list | None, Verdict | None]:
        try:
            return entries(outcome.value), None
        except Unusable as exc:
            return None, Verdict(False, str(exc), details={"input": call.shows, "got": show(outcome.value),
                                                           "reproduce": reproduce})

    @safe
    def structure(outcomes):
        exprs, failure = read(outcomes[0])
        return failure or Verdict(True, "A 2×2 sympy Matrix in the symbols w1, w2.", details={"input": call.shows})

    @safe
    def at_origin(outcomes):
        exprs, failure = read(outcomes[0])
        if failure:
            return failure
        got = np.array([complex(e.evalf(20, subs={W1: 0, W2: 0})) for e in exprs]).reshape(2, 2)
        want = np.array(H.subs({W1: 0, W2: 0}).evalf(), dtype=float)
        error = float(np.abs(got - want).max())
        details = {"input": "w1 = w2 = 0", "got": show(got.real if not got.imag.any() else got), "expected": show(want),
                   "error": f"{error:.3g}", "reproduce": reproduce}
        if error <= RTOL * max(1.0, float(np.abs(want).max())):
            return Verdict(True, f"At the origin your Hessian is {show(want)}: the saddle of your loss.", details=details)
        return Verdict(False, f"At the origin (w1 = w2 = 0) your Hessian gives {details['got']}, but ∂²L/∂wi∂wj "
                              f"there is {show(want)} (off-diagonal −2·X·Y_HAT, diagonal 0).", details=details)

    @safe
    def everywhere(outcomes):
        exprs, failure = read(outcomes[0])
        if failure:
            return failure
        trees = outcomes[0].value.entries
        ok, errors = matches(exprs, trees, H)
        details = {"input": call.shows, "got": str(sp.Matrix(2, 2, exprs))[:600], "expected": str(H),
                   "error": f"largest coefficient difference {max(errors):.3g}", "reproduce": reproduce}
        if ok:
            return Verdict(True, "Your Hessian equals the exact Hessian of your loss.", details=details)
        for name, wrong, advice in mistaken_hessians(x, y_hat):
            if matches(exprs, trees, wrong)[0]:
                return Verdict(False, f"Your Hessian matches {name}. {advice}", mistake=name, details=details)
        worst = int(np.argmax(errors))
        i, j = divmod(worst, 2)
        return Verdict(False, f"Entry [{i}, {j}] of your Hessian is {str(exprs[worst])[:200]}, but ∂²L/∂w{i + 1}∂w{j + 1} "
                              f"= {H[i, j]} (as polynomials in w1, w2, coefficients differ by up to {errors[worst]:.3g}).",
                       details=details)

    return [
        Check("symbolic_hessian", "a 2×2 sympy Matrix in the symbols w1, w2", (call,), structure),
        Check("symbolic_hessian", "the Hessian at the origin (the saddle)", (call,), at_origin),
        Check("symbolic_hessian", "equals the exact Hessian of your loss everywhere", (call,), everywhere, weight=2.0),
    ]
