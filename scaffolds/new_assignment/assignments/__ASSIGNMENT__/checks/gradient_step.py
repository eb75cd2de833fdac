"""Checks of `gradient_step`: the student's own loss (visible), hidden quadratics in several
dimensions, and how often the gradient is evaluated."""

from autograder import surfaces
from autograder.assignment import GradingContext
from autograder.checks import Call, Check, Verdict
from autograder.wire import Surface

from .. import cases, judges


def gradient_step_checks(ctx: GradingContext) -> list[Check]:
    rng = ctx.hidden_rng("gradient_step")  # new hidden cases for each attempt on the server
    hidden = [cases.quadratic(rng, n) for n in (1, 2, 3, 5)]
    return [
        _steps(ctx, "one step on your own loss", [cases.own(ctx.params)], "visible"),
        _steps(ctx, "one step on hidden quadratics in 1, 2, 3 and 5 dimensions", hidden, "hidden"),
        _one_gradient(cases.own(ctx.params)),
    ]


def _call(case: dict) -> Call:
    return Call("gradient_step", (Surface("quadratic", case["surface"], "grad"), case["theta"], case["lr"]), "array",
                f"grad of {case['label']}, theta = {case['theta'].tolist()}, lr = {case['lr']}")


def _steps(ctx: GradingContext, name: str, inputs: list[dict], visibility: str) -> Check:
    calls = tuple(_call(case) for case in inputs)
    expected = [ctx.reference.gradient_step(surfaces.function("quadratic", case["surface"], "grad"),
                                            case["theta"].copy(), case["lr"]) for case in inputs]

    def judge(outcomes):
        verdicts = [judges.step(o.value, e, case, call.shows) for o, e, case, call in zip(outcomes, expected, inputs, calls)]
        return judges.first_failure(verdicts, f"Correct on all {len(verdicts)} inputs.")

    return Check("gradient_step", name, calls, judge, visibility=visibility)


def _one_gradient(case: dict) -> Check:
    """The sandbox counts how often each callable argument was called (`outcome.meta["calls"]`)."""
    def judge(outcomes):
        count = outcomes[0].meta.get("calls", [None])[0]
        if count == 1:
            return Verdict(True, "grad is evaluated once per step.")
        return Verdict(False, f"Your gradient_step called grad {count} times; one step needs ∇L(θ) once.",
                       details={"input": _call(case).shows, "got": f"{count} calls", "expected": "1 call"})

    return Check("gradient_step", "evaluates the gradient once", (_call(case),), judge, weight=0.5)
