"""Polynomials with exact rational coefficients: the monomials of the test surfaces, without sympy.

A surface is written as before, `(a - x)**2 + b*(y - x**2)**2`, over `Polynomial.variables(2)`.
Expanded in exact arithmetic and each coefficient rounded once, it gives the very floats that
`sympy.Poly(sympy.expand(...)).terms()` gives for the same rational expression, in its order
(exponents in descending lexicographic order), at a small fraction of the cost. Numbers enter as
`rational(x)`, the decimal a float was written as; a float itself is refused, so that no binary
approximation slips into an exact expansion.
"""

from __future__ import annotations

from fractions import Fraction


def rational(value) -> Fraction:
    """The exact decimal a float was written as (the cases round their numbers)."""
    return Fraction(repr(float(value)))


class Polynomial:
    __slots__ = ("n", "coefs")

    def __init__(self, n: int, coefs: dict[tuple[int, ...], Fraction]):
        self.n = n
        self.coefs = {e: c for e, c in coefs.items() if c}

    @classmethod
    def variables(cls, n: int) -> list[Polynomial]:
        return [cls(n, {tuple(int(i == j) for j in range(n)): Fraction(1)}) for i in range(n)]

    def _lift(self, other) -> Polynomial:
        if isinstance(other, Polynomial):
            return other
        if not isinstance(other, (int, Fraction)):
            raise TypeError(f"an exact polynomial takes ints and Fractions, not {type(other).__name__} (use rational())")
        return Polynomial(self.n, {(0,) * self.n: Fraction(other)})

    def __add__(self, other) -> Polynomial:
        other, coefs = self._lift(other), dict(self.coefs)
        for e, c in other.coefs.items():
            coefs[e] = coefs.get(e, 0) + c
        return Polynomial(self.n, coefs)

    __radd__ = __add__

    def __neg__(self) -> Polynomial:
        return Polynomial(self.n, {e: -c for e, c in self.coefs.items()})

    def __sub__(self, other) -> Polynomial:
        return self + -self._lift(other)

    def __rsub__(self, other) -> Polynomial:
        return self._lift(other) + -self

    def __mul__(self, other) -> Polynomial:
        other, coefs = self._lift(other), {}
        for e, c in self.coefs.items():
            for f, d in other.coefs.items():
                key = tuple(a + b for a, b in zip(e, f))
                coefs[key] = coefs.get(key, 0) + c * d
        return Polynomial(self.n, coefs)

    __rmul__ = __mul__

    def __truediv__(self, number) -> Polynomial:
        return self * (1 / Fraction(number))

    def __pow__(self, k: int) -> Polynomial:
        out = self._lift(1)
        for _ in range(k):
            out = out * self
        return out

    def terms(self) -> list[list]:
        """[[coefficient, exponents], …] as the `poly` surface family takes them."""
        return [[float(c), list(e)] for e, c in sorted(self.coefs.items(), reverse=True)]


def scaled_terms(k: float, parts: list[Polynomial]) -> list[list]:
    """The terms of k·(p₁ + p₂) for a float k, as sympy expands it: k times each part's integer
    coefficients in floats, then like terms added in floats (for Himmelblau's two squares, the
    very floats of sympy for every k the cases draw: the tests compare all of them)."""
    sums: dict[tuple[int, ...], float] = {}
    for part in parts:
        for e, c in part.coefs.items():
            value = k * float(c)
            sums[e] = sums[e] + value if e in sums else value
    return [[v, list(e)] for e, v in sorted(sums.items(), reverse=True) if v]
