"""A student's symbolic answer, rebuilt in the grader from its whitelisted tree.

The sandbox sends a sympy Matrix as a `wire.MatrixTree`: nested tuples of number, symbol,
add, mul, pow and a few named functions. We rebuild it with sympy's constructors only.
Never `sympify`, `parse_expr` or `eval`: sympy's parsers run Python code, and the strings
inside a tree came from a student.

Rebuilding is bounded: a hostile tree must not make the grader compute 10**(10**60) or
expand a product of a thousand binomials, so literal sizes and total exponents are capped.
"""

from __future__ import annotations

import math

import sympy as sp

from autograder.wire import MatrixTree, Tree

FUNCTIONS = {"exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "Abs": sp.Abs}
MAX_POWER = 12  # the product of nested numeric exponents; a 2×2 Hessian of a quartic needs 2
MAX_DIGITS = 20_000  # digits of all integer literals, weighted by the exponents they sit under
MAX_DEGREE = 24  # the polynomial degree we are willing to expand


class Refused(ValueError):
    """A tree we will not rebuild; the message is for the student."""


def rebuild(tree: Tree) -> sp.Expr:
    """The sympy expression of a tree, built from sympy constructors only."""
    budget = [MAX_DIGITS]
    return _build(tree.node, 1, budget)


def _build(node: tuple, power: int, budget: list[int]) -> sp.Expr:
    kind = node[0]
    if kind == "int":
        _spend(budget, len(node[1]) * power)
        return sp.Integer(int(node[1]))
    if kind == "rat":
        _spend(budget, (len(node[1]) + len(node[2])) * power)
        if int(node[2]) == 0:
            raise Refused("a fraction with denominator 0")
        return sp.Rational(int(node[1]), int(node[2]))
    if kind == "float":
        value = float(node[1])
        if not math.isfinite(value):
            raise Refused(f"the number {node[1][:30]} is not finite")
        return sp.Float(value)
    if kind == "sym":
        return sp.Symbol(node[1])
    if kind == "add":
        return sp.Add(*[_build(a, power, budget) for a in node[1:]])
    if kind == "mul":
        return sp.Mul(*[_build(a, power, budget) for a in node[1:]])
    if kind == "pow":
        exponent = _build(node[2], 1, budget)
        if exponent.is_Number:
            size = abs(float(exponent)) if exponent.is_finite else math.inf
            if size * power > MAX_POWER:
                raise Refused(f"the exponent {exponent} is far larger than a Hessian of this loss needs")
            return sp.Pow(_build(node[1], max(power, math.ceil(size * power)), budget), exponent)
        return sp.Pow(_build(node[1], power, budget), exponent)
    if kind == "fn":
        return FUNCTIONS[node[1]](_build(node[2], power, budget))
    raise Refused(f"an expression node {kind!r}")


def _spend(budget: list[int], cost: int) -> None:
    budget[0] -= cost
    if budget[0] < 0:
        raise Refused("the expression has too many or too large numbers")


def degree_bound(node: tuple) -> float:
    """An upper bound of the polynomial degree, or inf when the tree is not a polynomial."""
    kind = node[0]
    if kind in ("int", "rat", "float"):
        return 0
    if kind == "sym":
        return 1
    if kind == "add":
        return max(degree_bound(a) for a in node[1:])
    if kind == "mul":
        return sum(degree_bound(a) for a in node[1:])
    if kind == "pow" and node[2][0] == "int" and int(node[2][1]) >= 0:
        return degree_bound(node[1]) * int(node[2][1])
    if kind == "pow" and degree_bound(node[1]) == 0 and degree_bound(node[2]) == 0:
        return 0
    return math.inf


# --- trusted-side helper: the tree of a sympy expression (tests and fixtures only) ------

def to_tree(expr) -> Tree:
    return Tree(_tree(sp.Integer(expr) if isinstance(expr, int) else expr))


def _tree(expr) -> tuple:
    if isinstance(expr, sp.Integer):
        return ("int", str(int(expr)))
    if isinstance(expr, sp.Rational):
        return ("rat", str(int(expr.p)), str(int(expr.q)))
    if isinstance(expr, sp.Float):
        return ("float", repr(float(expr)))
    if isinstance(expr, sp.Symbol):
        return ("sym", expr.name)
    if isinstance(expr, sp.Add):
        return ("add",) + tuple(_tree(a) for a in expr.args)
    if isinstance(expr, sp.Mul):
        return ("mul",) + tuple(_tree(a) for a in expr.args)
    if isinstance(expr, sp.Pow):
        return ("pow", _tree(expr.base), _tree(expr.exp))
    name = type(expr).__name__
    if name in FUNCTIONS:
        return ("fn", name, _tree(expr.args[0]))
    raise ValueError(f"{name} has no tree form")


def matrix_tree(matrix: sp.Matrix) -> MatrixTree:
    return MatrixTree((matrix.rows, matrix.cols), tuple(to_tree(e) for e in matrix))
