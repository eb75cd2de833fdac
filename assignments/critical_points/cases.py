"""Test surfaces with known critical points, drawn from a student's hidden grading streams.

Every surface is one of the two `autograder.surfaces` families with plain parameters
(lists, floats, ints), so it can cross to the sandbox as a `wire.Surface`, be drawn in a
report figure and be typed in again by a student from the report's "reproduce" hint.
Random numbers are rounded to a few decimals for that last reason: the rounded numbers
*are* the surface, and all exact values are computed from them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from autograder import surfaces, wire
from autograder.checks import array_text

from .polynomials import Polynomial, rational, scaled_terms


@dataclass(frozen=True)
class Surf:
    label: str  # how the student reads it: "rotated Himmelblau #2"
    family: str
    params: dict
    formula: str  # f in the variables z = M(θ − c), for the reproduce hint
    axes: tuple[str, str] = ("θ₁", "θ₂")  # what a figure calls its two coordinates

    def build(self):
        return surfaces.build(self.family, self.params)

    def wire(self, returns: str = "f") -> wire.Surface:
        return wire.Surface(self.family, self.params, returns)

    def spec(self) -> dict:
        """The surface as a figure spec wants it."""
        return {"family": self.family, "params": self.params}

    def reproduce(self, theta=None) -> str:
        if self.family == "quadratic":
            text = f"f(θ) = ½(θ − c)ᵀA(θ − c) with A = {self.params['A']}, c = {self.params['c']}"
        else:
            names = ", ".join(variables(len(self.params["c"])))
            text = f"f(θ) = {self.formula} with ({names}) = M(θ − c), M = {self.params['M']}, c = {self.params['c']}"
        return text if theta is None else f"{text}; θ = {exact(theta)}"


@dataclass(frozen=True)
class Point:
    theta: np.ndarray
    kind: str  # what the point truly is: "local minimum", "saddle point", ...


def variables(n: int) -> list[str]:
    return ["x", "y"] if n == 2 else (["x"] if n == 1 else [f"z{i + 1}" for i in range(n)])


def short(values) -> str:
    """A vector or matrix as the student reads it in a check's title."""
    return array_text(values, precision=4, separator=", ", suppress_small=True, line_width=200).replace("\n", "")


def exact(values) -> str:
    """Every digit, so the student can paste it back."""
    return repr(np.asarray(values, dtype=float).tolist())


# --- building blocks ------------------------------------------------------------------

def rotation2(rng: np.random.Generator, scale: float = 1.0) -> list[list[float]]:
    phi = rng.uniform(0.0, 2.0 * np.pi)
    c, s = np.cos(phi), np.sin(phi)
    return np.round(scale * np.array([[c, -s], [s, c]]), 3).tolist()


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def magnitudes(rng: np.random.Generator, k: int, low: float = 0.5, high: float = 5.0, gap: float = 1.25) -> np.ndarray:
    """k eigenvalue magnitudes in [low, high], pairwise apart by a factor ≥ gap (ratio ≥ 0.02 by far)."""
    while True:
        values = np.sort(rng.uniform(low, high, k))
        if k < 2 or np.all(values[1:] / values[:-1] >= gap):
            return rng.permutation(values)


def signature_matrix(rng: np.random.Generator, eigenvalues) -> np.ndarray:
    """A random symmetric matrix with exactly these eigenvalues (a rotated diagonal)."""
    q = orthogonal(rng, len(eigenvalues))
    a = q @ np.diag(np.asarray(eigenvalues, dtype=float)) @ q.T
    return (a + a.T) / 2.0


def poly_params(terms: list, M, c) -> dict:
    """The parameters of the `poly` family: monomial terms in z = M(θ − c)."""
    return {"terms": terms, "M": [list(map(float, row)) for row in M], "c": [float(v) for v in c], "d": 0.0}


def shift(rng: np.random.Generator, n: int = 2, size: float = 1.0) -> list[float]:
    return np.round(rng.uniform(-size, size, n), 2).tolist()


X_, Y_ = Polynomial.variables(2)
IDENTITY = [[1.0, 0.0], [0.0, 1.0]]


# --- the lecture's family -------------------------------------------------------------

def lecture_loss(x: float = 1.0, y_hat: float = 1.0, label: str = "the lecture's loss (1 − w1·w2)²") -> Surf:
    """L(w) = (ŷ − w1·w2·x)²: origin a saddle, the valley w1·w2 = ŷ/x degenerate minima."""
    expr = (rational(y_hat) - X_ * Y_ * rational(x)) ** 2
    return Surf(label, "poly", poly_params(expr.terms(), IDENTITY, [0.0, 0.0]), f"({y_hat!r} - {x!r}*x*y)**2",
                axes=("w₁", "w₂"))


# --- Himmelblau -----------------------------------------------------------------------

HIMMELBLAU_SQUARES = [(X_**2 + Y_ - 11) ** 2, (X_ + Y_**2 - 7) ** 2]
# The nine critical points of Himmelblau's function and their types, Newton-refined to full float
# precision (tests/test_critical_points.py refines them again and must get exactly these): written
# out, since refining them and CAMEL_POINTS cost every grading process a fifth of a second.
HIMMELBLAU_POINTS = (
    ((3.0, 2.0), "local minimum"),
    ((-2.805118086952745, 3.131312518250573), "local minimum"),
    ((-3.779310253377747, -3.2831859912861696), "local minimum"),
    ((3.5844283403304917, -1.8481265269644036), "local minimum"),
    ((-0.2708445906673476, -0.9230385564799815), "local maximum"),
    ((3.385154183607021, 0.0738518798377491), "saddle point"),
    ((0.08667750455539634, 2.8842547011747763), "saddle point"),
    ((-3.0730257507643897, -0.0813530442879675), "saddle point"),
    ((-0.12796134673068008, -1.9537149802445763), "saddle point"),
)


def himmelblau(rng: np.random.Generator, number: int) -> tuple[Surf, list[Point]]:
    """±k·H(z), z = r·R·(θ − c): a negative sign swaps minima and the maximum."""
    k = round(float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)), 2)
    M = rotation2(rng, round(float(rng.uniform(0.6, 1.4)), 2))
    c = shift(rng)
    surf = Surf(f"rotated Himmelblau #{number}", "poly", poly_params(scaled_terms(k, HIMMELBLAU_SQUARES), M, c),
                f"{k!r}*((x**2 + y - 11)**2 + (x + y**2 - 7)**2)")
    swap = {"local minimum": "local maximum", "local maximum": "local minimum", "saddle point": "saddle point"}
    points = []
    for p, kind in HIMMELBLAU_POINTS:
        theta = np.asarray(c) + np.linalg.solve(np.asarray(M), p)
        points.append(Point(theta, kind if k > 0 else swap[kind]))
    return surf, points


# --- rotated double wells ---------------------------------------------------------------

def double_well(rng: np.random.Generator, number: int, n: int = 2) -> tuple[Surf, list[Point]]:
    """Σ a_i (z_i² − s_i²)², z = M(θ − c): 3ⁿ critical points z_i ∈ {0, ±s_i}."""
    while True:
        a = np.round(rng.uniform(0.5, 1.5, n), 2)
        s = np.round(rng.uniform(0.6, 1.4, n), 2)
        curv = np.sort(a * s**2)
        if n < 2 or np.all(curv[1:] / curv[:-1] >= 1.3):  # distinct curvatures: a unique escape direction
            break
    M = rotation2(rng) if n == 2 else np.round(orthogonal(rng, n), 3).tolist()
    c = shift(rng, n)
    zs = Polynomial.variables(n)
    expr = sum(rational(a[i]) * (z**2 - rational(s[i]) ** 2) ** 2 for i, z in enumerate(zs))
    formula = " + ".join(f"{a[i]!r}*({z}**2 - {s[i]!r}**2)**2" for i, z in enumerate(variables(n)))
    surf = Surf(f"rotated double well #{number}", "poly", poly_params(expr.terms(), M, c), formula)
    points = []
    for choice in itertools.product((0, 1, -1), repeat=n):
        z = np.array(choice, dtype=float) * s
        zeros = choice.count(0)
        kind = "local maximum" if zeros == n else "local minimum" if zeros == 0 else "saddle point"
        points.append(Point(np.asarray(c) + np.linalg.solve(np.asarray(M), z), kind))
    return surf, points


# --- Rosenbrock and the six-hump camel -------------------------------------------------

def rosenbrock(rng: np.random.Generator) -> tuple[Surf, Point]:
    """(a − x)² + b(y − x²)², shifted: one minimum, eigenvalue ratio ~1e-3 (not degenerate)."""
    a = round(float(rng.uniform(0.7, 1.3)), 2)
    b = float(rng.integers(60, 140))
    c = shift(rng)
    expr = (rational(a) - X_) ** 2 + int(b) * (Y_ - X_**2) ** 2
    surf = Surf("shifted Rosenbrock", "poly", poly_params(expr.terms(), IDENTITY, c), f"({a!r} - x)**2 + {b!r}*(y - x**2)**2")
    return surf, Point(np.asarray(c) + np.array([a, a * a]), "local minimum")


CAMEL = ((4 - rational(2.1) * X_**2 + X_**4 / 3) * X_**2 + X_ * Y_ + (-4 + 4 * Y_**2) * Y_**2).terms()


# The 15 critical points of the six-hump camel (6 minima, 2 maxima, 7 saddles) and their types,
# found by Newton from a 23×13 grid and refined like HIMMELBLAU_POINTS.
CAMEL_POINTS = (
    ((-1.703606714969981, 0.7960835686726251), "local minimum"),
    ((-1.6380679841897787, -0.22867406904439408), "saddle point"),
    ((-1.6071047529201976, -0.5686514548841313), "local minimum"),
    ((-1.296070267167109, -0.6050843880386585), "saddle point"),
    ((-1.2302298765166524, -0.16233458445899493), "local maximum"),
    ((-1.1092053368047865, 0.7682680925095399), "saddle point"),
    ((-0.08984201310031806, 0.7126564030207396), "local minimum"),
    ((0.0, 0.0), "saddle point"),
    ((0.08984201310031806, -0.7126564030207396), "local minimum"),
    ((1.1092053368047865, -0.7682680925095399), "saddle point"),
    ((1.2302298765166524, 0.16233458445899493), "local maximum"),
    ((1.296070267167109, 0.6050843880386585), "saddle point"),
    ((1.6071047529201976, 0.5686514548841313), "local minimum"),
    ((1.6380679841897787, 0.22867406904439408), "saddle point"),
    ((1.7036067149699807, -0.7960835686726251), "local minimum"),
)


def camel(rng: np.random.Generator) -> tuple[Surf, list[Point]]:
    c = shift(rng, size=0.5)
    formula = "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2"
    surf = Surf("shifted six-hump camel", "poly", poly_params(CAMEL, IDENTITY, c), formula)
    return surf, [Point(np.asarray(c) + p, kind) for p, kind in CAMEL_POINTS]


# --- degenerate and cubic cases ---------------------------------------------------------

DEGENERATE = {  # name: (polynomial, its formula, what the point truly is; the Hessian test says "degenerate")
    "x⁴ + y⁴": (X_**4 + Y_**4, "x**4 + y**4", "local minimum"),
    "x⁴ − y⁴": (X_**4 - Y_**4, "x**4 - y**4", "saddle point"),
    "monkey saddle x³ − 3xy²": (X_**3 - 3 * X_ * Y_**2, "x**3 - 3*x*y**2", "saddle point"),
    "x² + y⁴": (X_**2 + Y_**4, "x**2 + y**4", "local minimum"),
    "x² − y⁴": (X_**2 - Y_**4, "x**2 - y**4", "saddle point"),
    "x² + y³": (X_**2 + Y_**3, "x**2 + y**3", "saddle point"),
}


def degenerate(rng: np.random.Generator, name: str) -> tuple[Surf, Point]:
    """A degenerate critical point at c, rotated: the Hessian is singular there."""
    expr, formula, kind = DEGENERATE[name]
    M, c = rotation2(rng), shift(rng)
    surf = Surf(f"rotated {name}", "poly", poly_params(expr.terms(), M, c), formula)
    return surf, Point(np.asarray(c, dtype=float), kind)


def cubic_saddle(rng: np.random.Generator, number: int, a: float) -> tuple[Surf, Point]:
    """2x² − y² + a·y³ in rotated coordinates: a saddle at c whose two escape signs differ.

    Not x² − y²: a Hessian with trace 0 leaves the sign of eigh's eigenvectors to the rounding
    of its diagonal, so that no sign could be called "eigh's own".
    """
    M, c = rotation2(rng), shift(rng)
    expr = 2 * X_**2 - Y_**2 + rational(a) * Y_**3
    surf = Surf(f"asymmetric saddle #{number}", "poly", poly_params(expr.terms(), M, c), f"2*x**2 - y**2 + {a!r}*y**3")
    return surf, Point(np.asarray(c, dtype=float), "saddle point")


def quadratic(A: np.ndarray, c, label: str) -> Surf:
    """½(θ − c)ᵀA(θ − c); its type is the sign pattern of A's eigenvalues."""
    return Surf(label, "quadratic", {"A": np.asarray(A, dtype=float).tolist(), "c": [float(v) for v in c], "d": 0.0}, "")


def cubic_probe(rng: np.random.Generator, degree: int = 3) -> Surf:
    """A random 2-D polynomial with sizeable higher derivatives: a large step h shows the formula used.

    Of degree 4, it has an odd cross term x³y too: the mixed difference of x²y, xy² or x²y² is exact at
    any step, so only such a term shows a mixed entry taken with another step than h.
    """
    coefs = np.round(rng.uniform(0.5, 1.5, 4) * rng.choice([-1.0, 1.0], 4), 2)
    expr = (rational(coefs[0]) * X_**degree + rational(coefs[1]) * X_**2 * Y_
            + rational(coefs[2]) * X_ * Y_**2 + rational(coefs[3]) * Y_**degree)
    a, b, c, d = (float(v) for v in coefs)
    formula = f"{a!r}*x**{degree} + {b!r}*x**2*y + {c!r}*x*y**2 + {d!r}*y**{degree}"
    if degree == 4:
        e = float(np.round(rng.uniform(0.5, 1.5) * rng.choice([-1.0, 1.0]), 2))
        expr = expr + rational(e) * X_**3 * Y_
        formula += f" + {e!r}*x**3*y"
    formula = formula.replace("+ -", "- ")
    return Surf(formula, "poly", poly_params(expr.terms(), IDENTITY, [0.0, 0.0]), formula)
