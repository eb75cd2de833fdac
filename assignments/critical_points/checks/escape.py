"""Checks of `escape_direction` and `escape_saddle`, by properties.

An escape direction is not unique (either sign; any unit vector of a repeated eigenspace),
so it is judged by what makes it right: unit norm, lying in the eigenspace of the most
negative eigenvalue, and, for the step itself, that the true f goes down. The Taylor
model is never the judge: cubic terms can make one sign go up.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Verdict, close, show

from .. import cases, known
from ..cases import Surf, exact, shift
from ..figures import direction_figure, saddle_figure
from ..judges import batch, safe, surface_calls, unit, vector

SPACE_TOL = 1e-6  # escape_direction: an exact matrix, so the eigenvector is exact to round-off
STEP_SPACE_TOL = 1e-3  # escape_saddle: the direction comes from a numerical Hessian
NORM_TOL = 1e-8


def eigen(H: np.ndarray, tol: float = 1e-6):
    H = np.asarray(H, dtype=float)
    lam, V = np.linalg.eigh((H + H.T) / 2)
    return lam, V, tol * max(1.0, float(np.abs(lam).max()))


def off_space(u: np.ndarray, lam: np.ndarray, V: np.ndarray, value: float) -> float:
    """How far the unit vector u lies outside the eigenspace of the eigenvalue `value`."""
    scale = max(1.0, float(np.abs(lam).max()))
    basis = V[:, np.abs(lam - value) <= 1e-9 * scale]
    return float(np.linalg.norm(u - basis @ (basis.T @ u)))


def wrong_eigenvalue(u: np.ndarray, lam: np.ndarray, V: np.ndarray, tol: float) -> float | None:
    """The other eigenvalue whose eigenspace holds u, if any."""
    for value in lam[::-1]:
        if abs(value - lam[0]) > 1e-9 * max(1.0, float(np.abs(lam).max())) and off_space(u, lam, V, value) <= tol:
            return float(value)
    return None


# --- escape_direction ------------------------------------------------------------------

def direction_verdict(value, H: np.ndarray, tol: float, shows: str, reproduce: str) -> Verdict:
    lam, V, tau = eigen(H, tol)
    n = lam.size
    details = {"input": shows, "got": show(value), "eigenvalues": show(lam), "tau": f"{tau:.3g}", "reproduce": reproduce}
    if lam[0] >= -tau:
        details["expected"] = "None"
        if value is None:
            return Verdict(True, f"None is right for {shows}: no eigenvalue is below −τ = {-tau:.3g}.", details=details)
        mistake, advice = None, ""
        if lam[0] == -tau:
            mistake, advice = known.AT_TAU, " An eigenvalue exactly at −τ is not below it: test λmin < −τ, strictly."
        elif lam[0] < -tol * float(np.abs(lam).max()):
            mistake, advice = known.NO_MAX_ONE, " For a small Hessian (all |λ| below 1) the threshold stays tol."
        elif lam[0] < -tol:
            mistake, advice = known.ABSOLUTE_TOL, " Scale the threshold with the Hessian, as classify_critical_point does."
        return Verdict(False, f"For {shows}: the eigenvalues are {show(lam)}, none below −τ = {-tau:.3g} "
                              "(τ = tol·max(1, max|λ|)); there is no direction of negative curvature, so return None."
                              + advice, mistake=mistake, details=details)
    details["expected"] = f"±{show(V[:, 0])} (a unit eigenvector of λ = {lam[0]:.6g})"
    if value is None:
        return Verdict(False, f"For {shows}: you returned None, but the most negative eigenvalue {lam[0]:.6g} is below "
                              f"−τ = {-tau:.3g}; return a unit eigenvector of it.", details=details)
    u, failure = vector(value, n, shows, "your direction")
    if failure:
        return Verdict(False, failure.message, details=details)
    norm = float(np.linalg.norm(u))
    residual = float(np.linalg.norm(H @ u - lam[0] * u))
    details.update(norm=f"{norm:.10g}", error=f"‖Hu − λmin·u‖ = {residual:.3g}")
    outside = off_space(unit(u), lam, V, lam[0]) if norm > 0 else 1.0
    if outside <= SPACE_TOL and abs(norm - 1) <= NORM_TOL:
        return Verdict(True, f"A unit eigenvector of the most negative eigenvalue {lam[0]:.6g} for {shows} "
                             f"(‖Hu − λmin·u‖ = {residual:.2g}).", details=details)
    if outside <= SPACE_TOL:
        return Verdict(False, f"For {shows}: your vector points the right way but has norm {norm:.6g}; return a unit "
                              "vector (u / np.linalg.norm(u)); eigh's columns already have norm 1.",
                       mistake=known.NOT_NORMALISED, details=details)
    other = wrong_eigenvalue(unit(u), lam, V, SPACE_TOL) if norm > 0 else None
    if other is not None and other == lam[-1]:
        return Verdict(False, f"For {shows}: your vector is an eigenvector of the largest eigenvalue {other:.6g}, along "
                              f"which f curves up; escape along the most negative one, λ = {lam[0]:.6g} "
                              "(eigh sorts eigenvalues in ascending order: column 0).",
                       mistake=known.LARGEST_EIGENVALUE, details=details)
    if other is not None:
        return Verdict(False, f"For {shows}: your vector is an eigenvector of λ = {other:.6g}, not of the most negative "
                              f"eigenvalue {lam[0]:.6g}.", mistake=known.WRONG_EIGENVALUE, details=details)
    if any(np.allclose(np.sort(np.abs(u)), np.sort(np.abs(V[k, :])), atol=1e-8) for k in range(n)):
        return Verdict(False, f"For {shows}: your vector is a row of the eigenvector matrix that np.linalg.eigh returns, "
                              "but the eigenvectors are its columns: vectors[:, 0], not vectors[0].",
                       mistake=known.ROW_NOT_COLUMN, details=details)
    return Verdict(False, f"For {shows}: your vector is not an eigenvector of the most negative eigenvalue "
                          f"{lam[0]:.6g}: ‖Hu − λmin·u‖ = {residual:.3g}.", details=details)


def escape_direction_checks(ctx: GradingContext) -> list[Check]:
    x, y_hat = float(ctx.params["X"]), float(ctx.params["Y_HAT"])
    rng = ctx.hidden_rng("escape_direction")
    own = cases.lecture_loss(x, y_hat, "your loss").build().hess(np.zeros(2))
    lecture = np.array([[0.0, -2.0], [-2.0, 0.0]])

    saddles = []
    for n in range(2, 7):
        signs = rng.permutation(np.r_[1.0, -1.0, rng.choice([-1.0, 1.0], n - 2)])
        saddles.append((f"a random {n}×{n} saddle Hessian", cases.signature_matrix(rng, signs * cases.magnitudes(rng, n)), None))
    maximum = cases.signature_matrix(rng, -cases.magnitudes(rng, 3))
    repeated = [("a 3×3 Hessian with eigenvalues −2, −2, 3", cases.signature_matrix(rng, [-2.0, -2.0, 3.0]), None),
                ("a 4×4 Hessian with eigenvalues −1.5, −1.5, 0.7, 2", cases.signature_matrix(rng, [-1.5, -1.5, 0.7, 2.0]), None)]
    flat = [("a positive definite 3×3 Hessian", cases.signature_matrix(rng, cases.magnitudes(rng, 3)), None),
            ("H with eigenvalues 3 and −1e-9 (round-off)", cases.signature_matrix(rng, [3.0, -1e-9]), None),
            ("H = [[0, 0], [0, 0]]", np.zeros((2, 2)), None),
            ("H = [[2, 0], [0, 0]] (x² + y³ at its critical point)", np.diag([2.0, 0.0]), None)]
    # Near τ = tol for a small Hessian: a threshold scaled any other way moves these across it (the first
    # one fails only the threshold without max(1, ·); margins dwarf round-off).
    small = round(float(rng.uniform(0.15, 0.25)), 3)
    near = [(f"a small Hessian (max|λ| = {small:g}) with the eigenvalue {value:g} near −τ = −1e-6",
             cases.signature_matrix(rng, rng.permutation([small, value])), None) for value in (-4e-7, -6e-7, -1.2e-6)]
    near.append(("H = diag(1, -1e-6): an eigenvalue exactly at −τ", np.diag([1.0, -1e-6]), None))
    loose = cases.signature_matrix(rng, [2.0, -0.05])
    # …and for a large one, an eigenvalue below −tol but above −τ: no escape (τ divided by max|λ|, not
    # multiplied, would escape).
    big = round(float(rng.uniform(80.0, 120.0)), 1)
    near.append((f"a large Hessian (max|λ| = {big:g}) with the eigenvalue −5e-5 above −τ = {-1e-6 * big:.3g}",
                 cases.signature_matrix(rng, rng.permutation([big, -5e-5])), None))
    groups = [
        ("the lecture's saddle: H = [[0, −2], [−2, 0]]", [("H = [[0, -2], [-2, 0]]", lecture, None)], "visible"),
        ("the saddle of your loss at the origin", [("H = Hessian of your loss at w = (0, 0)", own, None)], "visible"),
        ("random saddle Hessians, n = 2 … 6", saddles, "hidden"),
        ("a local maximum: the most negative of three negative eigenvalues", [("a negative definite 3×3 Hessian", maximum, None)],
         "visible"),
        ("a repeated most negative eigenvalue: any unit vector of its eigenspace", repeated, "visible"),
        ("no negative curvature: None", flat, "visible"),
        ("the threshold τ = tol·max(1, max|λ|): the smallest eigenvalue near −τ", near, "hidden"),
        ("the tol argument is used", [("H with eigenvalues 2 and −0.05, tol = 0.1", loose, 0.1),
                                      ("H with eigenvalues 2 and −0.05 (default tol)", loose, None)], "visible"),
    ]
    return [_direction_check(name, inputs, vis) for name, inputs, vis in groups]


def _direction_check(name: str, inputs: list, visibility: str) -> Check:
    calls = tuple(Call("escape_direction", (np.array(H),) + (() if tol is None else (tol,)), "array_or_none", shows)
                  for shows, H, tol in inputs)

    @safe
    def judge(outcomes):
        verdicts = []
        for outcome, (shows, H, tol) in zip(outcomes, inputs):
            reproduce = f"escape_direction(np.array({exact(H)})" + ("" if tol is None else f", tol={tol}") + ")"
            verdict = direction_verdict(outcome.value, H, 1e-6 if tol is None else tol, shows, reproduce)
            if not verdict.passed:
                figure = direction_figure(H, outcome.value, f"Escape direction for {shows}")
                return Verdict(verdict.passed, verdict.message, verdict.mistake, verdict.details, figure)
            verdicts.append(verdict)
        return batch(verdicts, "matrices")

    return Check("escape_direction", name, calls, judge, visibility=visibility)


# --- escape_saddle -----------------------------------------------------------------------

def saddle_verdict(value, surf: Surf, theta: np.ndarray, step: float, shows: str, reproduce: str) -> Verdict:
    obj = surf.build()
    lam, V, tau = eigen(obj.hess(theta))
    f0 = obj.f(theta)
    details = {"input": shows, "got": show(value), "eigenvalues of the true Hessian": show(lam), "reproduce": reproduce}
    arr, failure = vector(value, theta.size, shows, "your new point")
    if failure:
        return Verdict(False, failure.message, details=details)
    d = arr - theta
    dist = float(np.linalg.norm(d))
    if lam[0] >= -tau:
        details["expected"] = show(theta)
        if dist <= 1e-12 * (1 + float(np.linalg.norm(theta))):
            return Verdict(True, f"Unchanged, as it should be for {shows}: no eigenvalue below −τ.", details=details)
        absolute = lam[0] < -1e-6  # what a threshold of 1e-6, not scaled with the Hessian, would follow
        return Verdict(False, f"For {shows}: the Hessian's eigenvalues are {show(lam)}, none below −τ = {-tau:.3g}, so there "
                              "is no direction of negative curvature to follow: return an unchanged copy of theta."
                              + (" Scale the threshold with the Hessian: τ = 1e-6·max(1, max|λ|)." if absolute else ""),
                       mistake=known.ABSOLUTE_TOL if absolute else known.MOVED_WITHOUT_CURVATURE,
                       details=details)
    f_new = obj.f(arr)
    details.update(expected=f"θ ± step·u with u a unit eigenvector of λmin = {lam[0]:.6g}, f decreasing",
                   error=f"‖new − θ‖ = {dist:.6g} (step {step:g}); f: {f0:.6g} → {f_new:.6g}")
    if dist <= 1e-12 * (1 + float(np.linalg.norm(theta))):
        return Verdict(False, f"For {shows}: you returned θ unchanged, but the Hessian has the eigenvalue {lam[0]:.6g} "
                              f"< −τ: step along its eigenvector.", mistake=known.NO_ESCAPE, details=details)
    in_space = off_space(d / dist, lam, V, lam[0]) <= STEP_SPACE_TOL
    if in_space and abs(dist - step) <= 1e-6 * step and f_new < f0:
        return Verdict(True, f"For {shows}: a step of length {step:g} along the most negative curvature; "
                             f"f goes from {f0:.6g} to {f_new:.6g}.", details=details)
    size = float(np.linalg.norm(arr))
    if np.linalg.norm(theta) > 1e-9 and size > 0 and off_space(arr / size, lam, V, lam[0]) <= STEP_SPACE_TOL \
            and (abs(size - 1) <= 1e-6 or abs(size - step) <= 1e-6 * step):
        return Verdict(False, f"For {shows}: you returned a direction ({show(arr)}), not the new point θ + step·u.",
                       mistake=known.RETURNED_DIRECTION, details=details)
    if in_space and abs(dist - step) > 1e-6 * step:
        # At θ = 0 a point 1 away is also the unit direction itself (RETURNED_DIRECTION): no name there.
        at_origin = float(np.linalg.norm(theta)) <= 1e-9
        ignored = (abs(dist - 0.1) <= 1e-6 or (abs(dist - 1.0) <= 1e-6 and not at_origin)) and step not in (0.1, 1.0)
        hint = " (Did you return u itself, or θ + u?)" if abs(dist - 1.0) <= 1e-6 else ""
        return Verdict(False, f"For {shows}: your point is {dist:.6g} away from θ, but the step is {step:g}: "
                              f"return θ + step·u with the step passed in and a unit u.{hint}",
                       mistake=known.STEP_IGNORED if ignored else None, details=details)
    if in_space:
        other = obj.f(theta - d)
        if other < f0:
            return Verdict(False, f"For {shows}: f goes up from {f0:.6g} to {f_new:.6g} at your point, but the opposite "
                                  f"sign gives {other:.6g}. An eigenvector's sign is arbitrary and cubic terms make the two "
                                  "sides differ: compare f(θ + step·u) and f(θ − step·u) and keep the smaller.",
                           mistake=known.WRONG_SIDE, details=details)
        return Verdict(False, f"For {shows}: f does not decrease at your point ({f0:.6g} → {f_new:.6g}).", details=details)
    other = wrong_eigenvalue(d / dist, lam, V, STEP_SPACE_TOL)
    where = f"an eigenvector of λ = {other:.6g}" if other is not None else "not an eigenvector"
    return Verdict(False, f"For {shows}: you stepped along {where}; escape along the eigenvector of the most negative "
                          f"eigenvalue {lam[0]:.6g} of the Hessian.",
                   mistake=known.LARGEST_EIGENVALUE if other is not None and other == lam[-1] else None,
                   details=details)


def escape_saddle_checks(ctx: GradingContext) -> list[Check]:
    x, y_hat = float(ctx.params["X"]), float(ctx.params["Y_HAT"])
    rng = ctx.hidden_rng("escape_saddle")
    origin = np.zeros(2)

    asymmetric = []
    for number, up in ((1, True), (2, False)):
        step, a = round(float(rng.uniform(1.1, 1.4)), 2), round(float(rng.uniform(1.0, 1.5)), 2)
        asymmetric.append(_one_sided_saddle(ctx, rng, number, a, step, up))

    himmel, himmel_points = cases.himmelblau(rng, 1)
    saddles = [p for p in himmel_points if p.kind == "saddle point"]
    chosen = rng.choice(len(saddles), 2, replace=False)
    himmel_cases = [(himmel, saddles[int(i)].theta, round(float(rng.uniform(0.05, 0.2)), 2)) for i in chosen]
    well, well_points = cases.double_well(rng, 1)
    top = next(p for p in well_points if p.kind == "local maximum")
    minimum = next(p for p in himmel_points if p.kind == "local minimum")
    quartic, quartic_point = cases.degenerate(rng, "x⁴ + y⁴")
    monkey, monkey_point = cases.degenerate(rng, "monkey saddle x³ − 3xy²")

    # The threshold τ = 1e-6·max(1, max|λ|) at both ends of its scale: a large Hessian whose smallest
    # eigenvalue is negative but above −τ (stay), and a small one just below −τ (escape).
    big = round(float(rng.uniform(80.0, 120.0)), 1)
    flat_large = cases.quadratic(cases.signature_matrix(rng, [big, -5e-5]), shift(rng),
                                 f"½(θ − c)ᵀA(θ − c) with eigenvalues {big:g} and −5e-5")
    # Eigenvalues clear of −τ even for a Hessian scaled by 2/3 (−1.07e-6), far beyond the numerical Hessian's
    # round-off at a quadratic's centre, but above −2τ. The third: below −τ·max|λ| but above −τ, where a
    # threshold without max(1, ·) escapes.
    small = round(float(rng.uniform(0.4, 0.6)), 2)
    steep_small = cases.quadratic(cases.signature_matrix(rng, [small, -1.6e-6]), shift(rng),
                                  f"½(θ − c)ᵀA(θ − c) with eigenvalues {small:g} and −1.6e-6")
    scale = [(flat_large, np.array(flat_large.params["c"]), 0.1), (steep_small, np.array(steep_small.params["c"]), 0.1)]
    shallow = cases.quadratic(cases.signature_matrix(rng, [0.5, -7.5e-7]), shift(rng),
                              "½(θ − c)ᵀA(θ − c) with eigenvalues 0.5 and −7.5e-7")
    scale.append((shallow, np.array(shallow.params["c"]), 0.1))

    groups = [
        ("the lecture's loss (1 − w1·w2)² at the origin (default step)",
         [(cases.lecture_loss(), origin, None)], "visible"),
        ("your loss at the origin", [(cases.lecture_loss(x, y_hat, "your loss"), origin,
                                      round(float(rng.uniform(0.15, 0.35)), 2))], "visible"),
        ("asymmetric saddles 2x² − y² + a·y³: only one sign goes down", asymmetric, "hidden"),
        ("saddle points of a rotated Himmelblau function", himmel_cases, "hidden"),
        ("the maximum of a rotated double well", [(well, top.theta, round(float(rng.uniform(0.2, 0.4)), 2))], "hidden"),
        ("no negative curvature: an unchanged copy", [(himmel, minimum.theta, 0.1), (quartic, quartic_point.theta, 0.1),
                                                      (monkey, monkey_point.theta, 0.1)], "visible"),
        ("the threshold scales with the Hessian: τ = 1e-6·max(1, max|λ|)", scale, "hidden"),
    ]
    return [_saddle_check(ctx, name, inputs, vis) for name, inputs, vis in groups]


def _one_sided_saddle(ctx: GradingContext, rng: np.random.Generator, number: int, a: float, step: float, up: bool):
    """An asymmetric saddle on which eigh's own sign of u goes up (up) or down (not up): of two such,
    a student who always keeps one sign, either one, fails one. The sign must be eigh's for any
    Hessian of this point a student may compute, not only ours: a rotation whose eigenvector sign
    turns with perturbations of 1e-5 is drawn again."""
    while True:
        seed = int(rng.integers(2**31))
        for sign in (1.0, -1.0):
            surf, point = cases.cubic_saddle(np.random.default_rng(seed), number, sign * a)
            obj = surf.build()
            u = _settled_escape_vector(ctx.reference.numerical_hessian(obj.f, point.theta.copy()), seed)
            if u is None:
                break
            if (obj.f(point.theta + step * u) < obj.f(point.theta)) != up:
                return surf, point.theta, step


def _settled_escape_vector(H: np.ndarray, seed: int) -> np.ndarray | None:
    """eigh's eigenvector of λmin, or None when 16 symmetric perturbations of relative size 1e-5
    do not all keep its sign."""
    u = np.linalg.eigh(H)[1][:, 0]
    noise = np.random.default_rng(seed)
    for _ in range(16):
        E = noise.normal(size=H.shape) * 1e-5 * np.abs(H).max()
        if np.linalg.eigh(H + (E + E.T) / 2)[1][:, 0] @ u <= 0:
            return None
    return u


def follows_own_hessian(value, H, surf: Surf, theta: np.ndarray, step: float, shows: str) -> Verdict | None:
    """A pass when the student's point, judged wrong, is exactly what the reference's procedure gives from
    the student's own numerical_hessian at θ: the mistake is then numerical_hessian's and costs that task
    alone (on some variants a wrong Hessian still escapes downhill, on others not, and a Hessian within
    its own tolerance may still move λmin across −τ). None otherwise."""
    obj = surf.build()
    if not (isinstance(H, np.ndarray) and H.shape == (theta.size, theta.size) and np.all(np.isfinite(H))) \
            or not isinstance(value, np.ndarray) or value.shape != theta.shape:
        return None
    lam, V, tau = eigen(H)
    if lam[0] >= -tau:
        expected = theta
    else:
        forward, backward = theta + step * V[:, 0], theta - step * V[:, 0]
        expected = forward if obj.f(forward) <= obj.f(backward) else backward
    if not close(value, expected, rtol=1e-9, atol=1e-9)[0]:
        return None
    return Verdict(True, f"For {shows}: your point follows from your own numerical_hessian, which is off at this θ "
                         "(numerical_hessian loses its points for it, not this task).", details={"input": shows})


def _saddle_check(ctx: GradingContext, name: str, inputs: list, visibility: str) -> Check:
    calls = surface_calls("escape_saddle", inputs, "step")
    # The student's own Hessian at each θ, which their escape_saddle is meant to use: a fact, not graded
    # here (a numerical_hessian that fails costs this check nothing when escape_saddle does not use it).
    hessians = [dataclasses.replace(call, optional=True)
                for call in surface_calls("numerical_hessian", [(surf, theta, None) for surf, theta, _ in inputs], "h")]

    @safe
    def judge(outcomes):
        verdicts = []
        for call, outcome, own, (surf, theta, step) in zip(calls, outcomes, outcomes[len(calls):], inputs):
            theta = np.array(theta, dtype=float)
            used = 0.1 if step is None else step
            reproduce = f"{surf.reproduce(theta)}; escape_saddle(f, theta, step={used})"
            verdict = saddle_verdict(outcome.value, surf, theta, used, call.shows, reproduce)
            if not verdict.passed:
                mine = own.value if own.status == "ok" else None
                verdict = follows_own_hessian(outcome.value, mine, surf, theta, used, call.shows) or verdict
            if not verdict.passed:
                expected = ctx.reference.escape_saddle(surf.build().f, theta.copy(), used)
                figure = saddle_figure(surf, theta, outcome.value, expected, used, f"Escaping from {surf.label}")
                return Verdict(False, verdict.message, verdict.mistake, verdict.details, figure)
            verdicts.append(verdict)
        return batch(verdicts, "inputs")

    return Check("escape_saddle", name, tuple(calls + hessians), judge, visibility=visibility)
