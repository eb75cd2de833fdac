"""Checks of `classify_critical_point`: the Hessian test with its degenerate class.

Known mistakes are recognised by running, here, the classifier each mistake amounts to on
the same matrix and seeing whether it gives the student's label.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Verdict, show

from .. import cases, known
from ..cases import exact, short
from ..judges import batch, safe

LABELS = ("local minimum", "local maximum", "saddle point", "degenerate")


def eigenvalues(H) -> np.ndarray:
    H = np.asarray(H, dtype=float)
    return np.linalg.eigvalsh((H + H.T) / 2)


def by_threshold(lam: np.ndarray, tau: float, strict: bool = True) -> str:
    """The Hessian test with threshold τ; `strict=False` models counting λ = ±τ as beyond it."""
    above, below = (lam > tau, lam < -tau) if strict else (lam >= tau, lam <= -tau)
    if np.any(above) and np.any(below):
        return "saddle point"
    if np.all(above):
        return "local minimum"
    if np.all(below):
        return "local maximum"
    return "degenerate"


def tau_of(lam: np.ndarray, tol: float) -> float:
    return tol * max(1.0, float(np.abs(lam).max()))


SWAP = {"local minimum": "local maximum", "local maximum": "local minimum"}


def right(lam: np.ndarray, tol: float) -> str:
    return by_threshold(lam, tau_of(lam, tol))


def _no_degenerate(lam: np.ndarray, zero_counts: bool) -> str:
    """Signs alone, with no degenerate class: zero eigenvalues counted with either sign, or with neither."""
    positive, negative = (lam >= 0, lam <= 0) if zero_counts else (lam > 0, lam < 0)
    return "local minimum" if positive.all() else "local maximum" if negative.all() else "saddle point"


# The label each known mistake gives for a matrix with eigenvalues lam and the tol passed in (several
# models of one name are several ways to write it), with its advice. A check names a mistake only when
# that mistake alone gives the student's label on every input of the check: one label is a weak
# fingerprint, which several mistakes (or the right answer) often share.
MODELS = (
    (known.MIN_MAX_SWAPPED, lambda lam, tol: SWAP.get(right(lam, tol), right(lam, tol)),
     "All eigenvalues positive means f curves up in every direction: a local minimum."),
    (known.TOL_IGNORED, lambda lam, tol: right(lam, 1e-6),
     "Use the tol passed in: τ = tol·max(1, max|λ|)."),
    (known.ABSOLUTE_TOL, lambda lam, tol: by_threshold(lam, tol),
     "Scale the threshold with the matrix: τ = tol·max(1, max|λ|). Round-off in a Hessian with entries of 1e6 "
     "is about 1e-10·1e6, far above an absolute 1e-6."),
    (known.EXACTLY_TAU, lambda lam, tol: by_threshold(lam, tau_of(lam, tol), strict=False),
     "An eigenvalue equal to ±τ is not beyond the threshold: a local minimum needs every λ > τ (strictly), a saddle "
     "point eigenvalues > τ and < −τ; λ = τ leaves the test undecided."),
    (known.UNHALVED, lambda lam, tol: right(2 * lam, tol),
     "Symmetrise as (H + H.T) / 2: H + H.T has twice the eigenvalues, which moves them across τ for small Hessians."),
    (known.NO_MAX_ONE, lambda lam, tol: by_threshold(lam, tol * float(np.abs(lam).max())),
     "τ = tol·max(1, max|λ|): for a tiny Hessian (all |λ| below 1) the threshold stays tol."),
    (known.MIXED_SIGNS_DEGENERATE,
     lambda lam, tol: "degenerate" if np.any(np.abs(lam) <= tau_of(lam, tol)) else right(lam, tol),
     "Eigenvalues of both signs beyond ±τ already prove a saddle point, whatever the others are."),
    (known.NO_DEGENERATE, lambda lam, tol: _no_degenerate(lam, True),
     "When some |λ| ≤ τ the second-order test cannot decide (x² + y⁴ is a minimum, x² − y⁴ a saddle, both "
     "with Hessian diag(2, 0)): return \"degenerate\"."),
    (known.NO_DEGENERATE, lambda lam, tol: _no_degenerate(lam, False), None),
)
ADVICE = {name: advice for name, _, advice in MODELS if advice}


def named_mistake(inputs: list[tuple[np.ndarray, float, object]]) -> str | None:
    """The one mistake whose labels are the student's on every (eigenvalues, tol, label) input, or None."""
    names = {name for name, label, _ in MODELS
             if all(isinstance(got, str) and label(lam, tol) == got for lam, tol, got in inputs)}
    return names.pop() if len(names) == 1 else None


def label_verdict(value, H, tol: float, shows: str, reproduce: str, reference) -> Verdict:
    lam = eigenvalues(H)
    tau = tau_of(lam, tol)
    expected = reference.classify_critical_point(np.array(H, dtype=float), tol)
    details = {"input": shows, "got": show(value), "expected": repr(expected),
               "eigenvalues": show(lam), "tau": f"{tau:.3g}", "reproduce": reproduce}
    if not isinstance(value, str):
        return Verdict(False, f"For {shows}: your function returned {show(value)}, not a string; return one of "
                              f"{', '.join(map(repr, LABELS))}.", details=details)
    if value == expected:
        return Verdict(True, f"{value!r} is right for {shows}.", details=details)
    if value not in LABELS:
        near = [lab for lab in LABELS if lab.split()[-1] in value.lower() or value.lower().strip() in lab]
        return Verdict(False, f"For {shows}: {value[:80]!r} is not one of the four labels "
                              f"{', '.join(map(repr, LABELS))}" + (f" (did you mean {near[0]!r}?)" if near else "") + ".",
                       mistake=known.NOT_A_LABEL, details=details)
    return Verdict(False, f"For {shows}: the eigenvalues are {show(lam)} and τ = tol·max(1, max|λ|) = {tau:.3g}, so "
                          f"the answer is {expected!r}, not {value!r}.", details=details)


def classify_checks(ctx: GradingContext) -> list[Check]:
    x, y_hat = float(ctx.params["X"]), float(ctx.params["Y_HAT"])
    rng = ctx.hidden_rng("classify_critical_point")
    own = cases.lecture_loss(x, y_hat, "your loss")
    w1 = round(float(rng.uniform(0.5, 1.5)), 2)
    valley = np.array([w1, y_hat / x / w1])

    groups = [
        ("the lecture's Hessian at the origin", [("H = [[0, -2], [-2, 0]]", np.array([[0.0, -2.0], [-2.0, 0.0]]))], "visible"),
        ("your loss: the origin and a point of the valley w1·w2 = Y_HAT/X",
         [("H = Hessian of your loss at w = (0, 0)", own.build().hess(np.zeros(2))),
          (f"H = Hessian of your loss at w = {short(valley)} (on the valley)", own.build().hess(valley))], "visible"),
    ]

    signature = []
    for n, kind in zip(range(1, 7), rng.permutation(["min", "max", "saddle", "min", "max", "saddle"])):
        kind = "min" if n == 1 and kind == "saddle" else kind
        signs = {"min": np.ones(n), "max": -np.ones(n)}.get(kind)
        if signs is None:
            signs = rng.permutation(np.r_[1.0, -1.0, rng.choice([-1.0, 1.0], n - 2)])
        A = cases.signature_matrix(rng, signs * cases.magnitudes(rng, n, gap=1.0))
        signature.append((f"a random symmetric {n}×{n} matrix", A))
    groups.append(("random Hessians with a prescribed eigenvalue signature, n = 1 … 6", signature, "hidden"))

    degenerate = []
    for name in ("x⁴ + y⁴", "monkey saddle x³ − 3xy²", "x² − y⁴", "x² + y³"):
        surf, point = cases.degenerate(rng, name)
        degenerate.append((f"H = exact Hessian of {surf.label} at its critical point {short(point.theta)}",
                           surf.build().hess(point.theta)))
    surf, point = cases.degenerate(rng, "x² + y⁴")
    degenerate.append((f"H = numerical Hessian of {surf.label} at {short(point.theta)}",
                       ctx.reference.numerical_hessian(surf.build().f, point.theta.copy())))
    for n in (3, 5):
        lam = rng.choice([-1.0, 1.0]) * cases.magnitudes(rng, n, gap=1.0)
        lam[: n // 2] = 0.0
        degenerate.append((f"a random {n}×{n} semidefinite matrix", cases.signature_matrix(rng, rng.permutation(lam))))
    groups.append(("degenerate Hessians (zero eigenvalues)", degenerate, "visible"))

    mixed = cases.signature_matrix(rng, rng.permutation([cases.magnitudes(rng, 1)[0], 0.0, -cases.magnitudes(rng, 1)[0]]))
    rosen, rosen_min = cases.rosenbrock(rng)
    big = 10.0 ** rng.uniform(6, 7)
    tiny = 10.0 ** rng.uniform(-8, -7)
    scale = [
        ("a 3×3 matrix with eigenvalues of both signs and one zero", mixed),
        (f"H = Hessian of {rosen.label} at its minimum {short(rosen_min.theta)}", rosen.build().hess(rosen_min.theta)),
        ("a large Hessian (eigenvalues ~1e6) with a round-off eigenvalue", cases.signature_matrix(rng, [big, big * 1e-9])),
        ("a large saddle Hessian (eigenvalues ~1e6)", cases.signature_matrix(rng, [big, -0.3 * big])),
        ("a tiny Hessian (eigenvalues ~1e-7)", cases.signature_matrix(rng, [tiny, 0.6 * tiny])),
    ]
    groups.append(("scale: the relative threshold τ = tol·max(1, max|λ|)", scale, "visible"))

    # Near τ = tol for a small Hessian (max|λ| < 1): a threshold scaled any other way, or eigenvalues scaled by
    # an unhalved symmetrisation, moves these across it; the margins dwarf round-off (~1e-17).
    small = round(float(rng.uniform(0.1, 0.2)), 3)
    near = [(f"a small Hessian (max|λ| = {small:g}) with the eigenvalue {value:g} near τ = 1e-6",
             cases.signature_matrix(rng, rng.permutation([small * sign, value]))) for sign, value in
            ((1.0, 3e-7), (1.0, 6e-7), (1.0, 1.2e-6), (-1.0, -1.2e-6), (1.0, -1.3e-6), (-1.0, 7e-7))]
    groups.append(("small Hessians: eigenvalues near τ = tol", near, "hidden"))
    # Exactly at ±τ: diagonal matrices, whose eigenvalues every method returns to the bit.
    boundary = [(f"H = diag({a:g}, {b:g}): an eigenvalue exactly at ±τ = ±1e-6", np.diag([a, b]))
                for a, b in ((1.0, 1e-6), (-1.0, -1e-6), (1e-6, -1.0), (1.0, -1e-6))]
    groups.append(("an eigenvalue exactly at ±τ is not beyond it", boundary, "visible"))

    loose = cases.signature_matrix(rng, [1.0, 0.05])
    # Inputs that tell mistakes apart which the ones above leave alike (named_mistake): a threshold
    # without max(1, ·) from no degenerate class, ≥ τ from no degenerate class, an ignored tol from
    # no degenerate class.
    near.append((f"a small Hessian (max|λ| = {small:g}) with the eigenvalue 5e-08, below τ·max|λ| too",
                 cases.signature_matrix(rng, rng.permutation([small, 5e-8]))))
    boundary.append(("H = diag(1, 0): a zero eigenvalue, inside ±τ", np.diag([1.0, 0.0])))
    flat = cases.signature_matrix(rng, [1.0, 0.0])
    checks = [_check(ctx, name, [(s, H, None) for s, H in inputs], vis) for name, inputs, vis in groups]
    checks.append(_check(ctx, "the tol argument is used", [("H with eigenvalues 1 and 0.05, tol = 0.1", loose, 0.1),
                                                      ("H with eigenvalues 1 and 0.05 (default tol)", loose, None),
                                                      ("H with eigenvalues 1 and 0, tol = 0.1", flat, 0.1)], "visible"))
    return checks


def _check(ctx: GradingContext, name: str, inputs: list, visibility: str) -> Check:
    calls = tuple(Call("classify_critical_point", (np.array(H),) + (() if tol is None else (tol,)), "str", shows)
                  for shows, H, tol in inputs)

    @safe
    def judge(outcomes):
        verdicts = [label_verdict(o.value, H, 1e-6 if tol is None else tol, shows,
                                  f"classify_critical_point(np.array({exact(H)})" + ("" if tol is None else f", tol={tol}") + ")",
                                  ctx.reference)
                    for o, (shows, H, tol) in zip(outcomes, inputs)]
        wrong = next((v for v in verdicts if not v.passed), None)
        if wrong is None or wrong.mistake:
            return batch(verdicts, "matrices")
        name = named_mistake([(eigenvalues(H), 1e-6 if tol is None else tol, o.value)
                              for o, (_, H, tol) in zip(outcomes, inputs)])
        if name is None:
            return wrong
        return dataclasses.replace(wrong, message=f"{wrong.message} Known mistake: {name}. {ADVICE[name]}", mistake=name)

    return Check("classify_critical_point", name, calls, judge, visibility=visibility)
