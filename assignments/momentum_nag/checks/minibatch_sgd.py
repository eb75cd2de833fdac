"""Checks of minibatch_sgd: every iterate, with the shuffling pinned down exactly."""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Outcome, Verdict, show

from .. import figures, judges, known
from ..cases import sgd_case
from ..optimisers import minibatch
from ..parameters import BATCH_SIZE, SGD_LR

SGD_KEYS = ("w0", "lr", "batch_size", "epochs", "seed")


class SgdCase:
    def __init__(self, ctx: GradingContext, case: dict, shows: str | None = None):
        self.case = case
        args = (case["X"], case["y"], case["w0"], case["lr"], case["batch_size"], case["epochs"], case["seed"])
        self.args = args
        self.expected = ctx.reference.minibatch_sgd(*args)
        self.shows = shows or (f"a data set with {case['label']}, lr = {case['lr']:.6g}, seed = {case['seed']}, "
                               f"w0 = {show(case['w0'])}")
        self.reproduce = judges.reproduce(case, ("X", "y", *SGD_KEYS))

    @cached_property
    def mistakes(self) -> list[tuple[str, np.ndarray]]:
        """What each known mistake returns here: asked for only when an answer is wrong."""
        args = self.args
        return [
            (known.WITHOUT_THETA0, self.expected[1:]),
            (known.ALIASED, np.repeat(self.expected[-1:], len(self.expected), axis=0)),
            (known.NO_SHUFFLE, minibatch(*args, order="none")),
            (known.RESEEDED, minibatch(*args, order="reseeded")),
            (known.LEGACY_RNG, minibatch(*args, order="legacy")),
            (known.DROPPED_BATCH, minibatch(*args, drop_last=True)),
            (known.SUM_LOSS, minibatch(*args, reduce="sum")),
            (known.NO_FACTOR_TWO, minibatch(*args, factor=1.0)),
            (known.PARTIAL_BY_BATCH_SIZE, minibatch(*args, reduce="batch_size")),
            (known.EMPTY_BATCH, minibatch(*args, empty_batch="nan")),
            (known.EMPTY_BATCH, minibatch(*args, empty_batch="repeat")),
            (known.ARRAY_SPLIT, minibatch(*args, chunks="floor")),
            (known.ARRAY_SPLIT, minibatch(*args, chunks="ceil")),
        ]

    def explain(self, t: int, row: np.ndarray) -> str:
        """Update t under the likely conventions, each from the reference's row t−1 on the batch the
        reference uses there: which one the student's row is, or their values when it is none of them."""
        X, y, _, lr, batch_size, _, seed = self.args
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        n = len(y)
        rng = np.random.default_rng(seed)
        per_epoch = -(-n // batch_size)
        epoch, within = divmod(t - 1, per_epoch)
        for _ in range(epoch):
            rng.permutation(n)
        start = within * batch_size
        batch = rng.permutation(n)[start : start + batch_size]
        w = self.expected[t - 1]

        def update(rows, scale: float, sign: float = 1.0) -> np.ndarray:
            return w - sign * lr * scale * (X[rows].T @ (X[rows] @ w - y[rows]))

        with np.errstate(all="ignore"):
            others = {
                "the gradient's sign flipped": update(batch, 2.0 / len(batch), sign=-1.0),
                "the batch's squared errors summed, not averaged": update(batch, 2.0),
                "the gradient without its factor 2": update(batch, 1.0 / len(batch)),
                "the unshuffled rows order[i] = i": update(np.arange(n)[start : start + batch_size], 2.0 / len(batch)),
                "the whole data set (no minibatch)": update(np.arange(n), 2.0 / n),
            }
        return judges.one_step_from(t, row, update(batch, 2.0 / len(batch)), others, step="update")

    def call(self) -> Call:
        return Call("minibatch_sgd", self.args, "array", self.shows)

    def judge(self, outcome: Outcome, passed_details: bool = True) -> tuple[Verdict, str]:
        verdict = judges.trajectory(outcome, self.expected, self.shows, lambda: self.mistakes,
                                    what="your iterate history", rows_name="updates", passed_details=passed_details,
                                    explain=self.explain)
        return (verdict if verdict.passed else judges.with_details(verdict, details={"reproduce": self.reproduce})), ""


def _loss_surface(X: np.ndarray, y: np.ndarray) -> dict:
    """The full-batch mean squared error as a quadratic in w (A = 2XᵀX/N), its minimum at 0."""
    return {"A": 2.0 * X.T @ X / len(y), "c": np.linalg.lstsq(X, y, rcond=None)[0], "d": 0.0}


def sgd_checks(ctx: GradingContext) -> list[Check]:
    p = ctx.params
    rng = ctx.rng("minibatch_sgd/own")
    X, y = p["X_DATA"], p["Y_DATA"]
    own = SgdCase(ctx, {"X": X, "y": y, "w0": np.round(rng.uniform(-1.0, 1.0, size=X.shape[1]), 2), "lr": SGD_LR,
                        "batch_size": BATCH_SIZE, "epochs": 4, "seed": int(rng.integers(0, 1000)),
                        "label": "your data"})
    own.shows = (f"X_DATA, Y_DATA, w0 = {show(own.case['w0'])}, lr = {SGD_LR}, batch_size = {BATCH_SIZE}, "
                 f"epochs = 4, seed = {own.case['seed']}")

    def own_judge(outcomes):
        verdict, _ = own.judge(outcomes[0])
        if X.shape[1] != 2:
            return verdict
        picture = figures.contour("minibatch SGD on your data: the full-batch loss", _loss_surface(X, y),
                                  outcomes[0].value, own.expected, "SGD iterates", ("w₀ (intercept)", "w₁ (slope)"))
        return dataclasses.replace(verdict, figure=picture)

    rng = ctx.rng("minibatch_sgd/data")
    shapes = [(1, 3, 2), (3, 5, 3), (2, 1, 1), (4, 7, 2), (2, 8, 2)]  # (d, batch_size, epochs)
    hidden = []
    for d, batch_size, epochs in shapes:
        n = int(rng.integers(batch_size + 2, 30))
        if batch_size > 1 and n % batch_size == 0:
            n += 1  # a last partial batch in every case but batch_size 1
        hidden.append(SgdCase(ctx, sgd_case(rng, n, d, batch_size, epochs)))
    hidden.sort(key=lambda c: len(c.expected))
    rng = ctx.rng("minibatch_sgd/edges")
    edges = [SgdCase(ctx, sgd_case(rng, 12, 2, 4, 2)), SgdCase(ctx, sgd_case(rng, 12, 3, 12, 3)),
             SgdCase(ctx, sgd_case(rng, 7, 2, 3, 0))]
    return [
        Check("minibatch_sgd", "minibatch SGD on your data set (X_DATA, Y_DATA)", (own.call(),), own_judge, weight=2.0),
        _many_sgd(hidden, "Correct on data sets of various sizes, batch sizes and seeds.", 2.0,
                  "pinned shuffling on other data sets, last partial batch included"),
        _many_sgd(edges, "Correct when N is a multiple of the batch size, for full batches and for epochs = 0.", 1.0,
                  "edge cases: N a multiple of batch_size, a full batch, epochs = 0"),
    ]


def _many_sgd(cases: list[SgdCase], summary: str, weight: float, name: str) -> Check:
    def judge(outcomes):
        return judges.first_failure([c.judge(o, passed_details=False)[0] for c, o in zip(cases, outcomes)], summary)

    return Check("minibatch_sgd", name, tuple(c.call() for c in cases), judge, weight=weight)
