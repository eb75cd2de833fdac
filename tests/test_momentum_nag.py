"""The assignment `momentum_nag`: its parameters, its judges, its known mistakes, its notebook.

Calls are answered in-process by the sandbox worker's own `call` (the wire round trip
included), so these tests are fast and exercise the grader's judges on exactly the
values a sandbox would send back.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import surfaces, wire
from autograder.sandbox import inside
from autograder.assignment import GradingContext
from autograder.checks import Outcome, Verdict, run_judge
from autograder.course import Course
from autograder.notebooks import build_notebook
from autograder.variants import Variant

from conftest import ROOT, SECRET, answer_in_process

NAME = "momentum_nag"
MISTAKES = sorted((ROOT / "assignments" / NAME / "mistakes").glob("*.py"))
STUDENTS = ("s001", "s002", "alice", "bob", "zoë")
# What the sandbox observes for this assignment, compiled as the worker compiles it.
OBSERVERS = inside.compile_observers(Course(ROOT).assignment(NAME).observers)


def part(course, module: str):
    course.assignment(NAME)
    return importlib.import_module(f"{course.assignment_package(NAME)}.{module}")


@pytest.fixture(scope="module")
def graded(course):
    """The checks of one student, with the reference's namespace as a perfect submission."""
    assignment = course.assignment(NAME)
    variant = Variant.derive(SECRET, NAME, "s001")
    params = assignment.parameters(variant)
    context = GradingContext(variant, params, course.reference(NAME, params))
    return assignment, params, assignment.checks(context)


def reference_namespace(course, params: dict) -> dict:
    namespace = {"np": np, **params}
    exec(course.solution_source(NAME), namespace)
    return namespace


def answer(namespace: dict, call) -> Outcome:
    return answer_in_process(namespace, call, OBSERVERS)


def verdicts(namespace: dict, checks) -> list[tuple[object, Verdict]]:
    with np.errstate(all="ignore"):  # the broken submissions overflow, in what stands in for their sandbox
        return [(check, run_judge(check, [answer(namespace, c) for c in check.calls])) for check in checks]


def mistake_file(path: Path) -> tuple[str, str, str]:
    text = path.read_text(encoding="utf-8")
    doc, _, code = text.partition('"""')[2].partition('"""')
    task = next(line.split(":", 1)[1].strip() for line in doc.splitlines() if line.startswith("task:"))
    return doc.strip().splitlines()[0], task, code


# --- the student's parameters ----------------------------------------------------------

@pytest.mark.parametrize("student", STUDENTS)
def test_parameters_are_vetted_and_deterministic(course, student):
    assignment = course.assignment(NAME)
    variant = Variant.derive(SECRET, NAME, student)
    p = assignment.parameters(variant)
    again = assignment.parameters(Variant.derive(SECRET, NAME, student))
    assert all(np.array_equal(p[k], again[k]) for k in p)
    lam = np.linalg.eigvalsh(p["A"])
    assert np.array_equal(p["A"], p["A"].T) and 10 <= lam[1] / lam[0] <= 50
    assert p["LR"] * lam[1] <= 1.0 < 2 * (1 + p["BETA"]) / (1 + 2 * p["BETA"])
    assert len(p["Y_DATA"]) % 4 != 0 and p["X_DATA"].shape == (len(p["Y_DATA"]), 2)
    counts = course.reference(NAME, p).steps_to_tolerance(lambda t: p["A"] @ t - p["b"], p["THETA0"], p["LR"],
                                                          p["BETA"], 1e-6)
    assert None not in counts.values() and max(counts["momentum"], counts["nesterov"]) < counts["gd"]


def test_reference_reproduces_the_domain_example(course):
    A, c = np.array([[5, 1], [1, 0.4]]), np.array([1.0, -1.0])
    ref = course.reference(NAME, {})
    grad = lambda t: A @ (t - c)  # noqa: E731
    theta0 = np.array([-2.0, 3.0])
    assert np.allclose(ref.momentum(grad, theta0, 0.05, 0.9, 4)[:, 0], [-2, -1.45, -0.546, 0.445395, 1.263221], atol=1e-6)
    assert np.allclose(ref.nesterov(grad, theta0, 0.05, 0.9, 3)[:, 0], [-2, -1.45, -0.6729, 0.058949], atol=1e-6)
    look = part(course, "optimisers").heavy_ball(grad, theta0, 0.05, 0.9, 3, look=1.0, report_look_ahead=True)
    assert np.allclose(look[:, 0], [-2, -0.955, 0.02649, 0.717613], atol=1e-5)


# --- the checks on a perfect and on a broken submission ----------------------------------

def test_reference_passes_every_check_with_pictures(course, graded):
    assignment, params, checks = graded
    assert sum(t.points for t in assignment.tasks) == 20
    assert {c.task for c in checks} == {t.name for t in assignment.tasks}
    results = verdicts(reference_namespace(course, params), checks)
    failed = [(c.name, v.message) for c, v in results if not v.passed]
    assert not failed
    pictures = {c.task: v.figure for c, v in results if v.figure}
    assert set(pictures) == {"gradient_descent", "momentum", "nesterov", "minibatch_sgd"}
    for figure in pictures.values():
        json.dumps(figure, allow_nan=False)
        assert figure["kind"] == "contour" and len(figure["paths"]) == 2
        assert all(len(p["points"]) <= 200 for p in figure["paths"])
        assert figure["loss_curves"] and all(min(c["values"]) >= 0 for c in figure["loss_curves"])


@pytest.mark.parametrize("path", MISTAKES, ids=[p.stem for p in MISTAKES])
def test_each_mistake_costs_its_own_task_only_and_is_named(course, graded, path):
    assignment, params, checks = graded
    name, task, code = mistake_file(path)
    assert name in part(course, "known").ADVICE
    namespace = reference_namespace(course, params)
    exec(code, namespace)
    results = verdicts(namespace, checks)
    lost = {c.task for c, v in results if not v.passed}
    assert lost == {task}
    assert {v.mistake for c, v in results if not v.passed} - {None} == {name}  # never another name
    assert any(name in v.message for c, v in results if v.mistake == name)
    own = next(v for c, v in results if c.task == task and c.calls[0].shows.startswith(("your", "X_DATA")))
    if task != "steps_to_tolerance":
        assert own.figure is not None


def reference_norms(grad, theta0, lr, beta, look, steps):
    """The norms the reference's steps_to_tolerance compares with tol, by its very operations."""
    theta, norms = np.array(theta0, dtype=float), []
    m = np.zeros_like(theta)
    for _ in range(steps + 1):
        g = grad(theta)
        norms.append(np.linalg.norm(g))
        if look:
            g = grad(theta + beta * m)
        m = beta * m - lr * g
        theta = theta + m
    return np.array(norms)


def test_step_counts_are_the_references_to_the_bit(course):
    """The grader's counts stop early, reuse the runs that drew a case and, at the budget's edges, take
    gradient descent's count from the closed form; whatever the shortcut, they are the reference's."""
    checks, optimisers = part(course, "checks.steps_to_tolerance"), part(course, "optimisers")
    reference = course.reference(NAME, {})
    rng = np.random.default_rng(2024)
    drawn = [checks._count_case(rng, n) for n in (1, 2, 3, 5, 6)]
    drawn += [checks._at_budget(rng, count) for count in (10_000, 10_001, 10_000, 10_001)]
    drawn.append(checks._exactly_tol(rng))
    cases = [(c.case, c.expected) for c in drawn]
    for n in (2, 4):  # tolerances a gradient descent reaches late, or just not within the budget
        case = part(course, "cases").quadratic_case(rng, n)
        grad = surfaces.function("quadratic", case["surface"], "grad")
        for factor in (1e-3, 1e-9, 1e-30):
            cases.append(({**case, "tol": float(np.linalg.norm(grad(case["theta0"])) * factor)}, None))
    for case, expected in cases:
        grad = surfaces.function(case["family"], case["surface"], "grad")
        truth = reference.steps_to_tolerance(grad, case["theta0"], case["lr"], case["beta"], case["tol"])
        counts = optimisers.step_counts(case["surface"], case["theta0"], case["lr"], case["beta"], case["tol"], 10_000)
        assert counts == truth and (expected is None or expected == truth)
        for beta, look in ((0.0, 0.0), (case["beta"], 0.0), (case["beta"], 1.0)):
            assert np.array_equal(optimisers.gradient_norms(grad, case["theta0"], case["lr"], beta, 300, look=look),
                                  reference_norms(grad, case["theta0"], case["lr"], beta, look, 300))
    edges = [c.expected["gd"] for c in drawn[5:9]] + [drawn[9].expected]
    assert edges == [10_000, None, 10_000, None, {"gd": 1, "momentum": 1, "nesterov": 1}]


def test_counts_at_array_speed_are_the_float_runs(course):
    """quadratic_norms is exact arithmetic, not the reference's float operations. Wherever its answer
    is taken (every norm farther from tol than the float noise), the count and the clearance are
    the float run's, and float runs stray from it by far less than the bound that decides."""
    optimisers, cases = part(course, "optimisers"), part(course, "cases")
    rng = np.random.default_rng(7)
    taken = 0
    for _ in range(60):
        case = cases.quadratic_case(rng, int(rng.integers(1, 7)))
        surface, theta0, lr, beta = case["surface"], case["theta0"], case["lr"], case["beta"]
        grad = surfaces.function("quadratic", surface, "grad")
        tol = float(np.linalg.norm(grad(theta0)) * 10 ** -rng.uniform(1.0, 12.0))
        fast = optimisers.quadratic_norms(surface, theta0, lr, beta, 10_000, tol)
        noise = optimisers.float_noise(surface, theta0, lr)
        counts = optimisers.tolerance_counts(surface, theta0, lr, beta, tol, 10_000)
        for key, (uses_beta, look) in optimisers.METHODS.items():
            exact = optimisers.gradient_norms(grad, theta0, lr, beta * uses_beta, 10_000, look=look, stop_below=tol)
            assert counts[key] == (optimisers.first_below(exact, tol), optimisers.clear_of(exact, tol))
            shared = min(len(exact), len(fast[key]))
            assert np.max(np.abs(fast[key][:shared] - exact[:shared])) < noise / 20
            taken += bool(np.all(np.abs(fast[key] - tol) > optimisers.MARGIN * tol + noise))
    assert taken > 120  # most answers come at array speed (the deepest tolerances do not)


def test_the_three_runs_side_by_side_are_heavy_balls(course):
    """Drawing a curved case runs the three methods side by side; they are the methods' own runs."""
    optimisers, cases = part(course, "optimisers"), part(course, "cases")
    rng = np.random.default_rng(5)
    for draw in (cases.valley_case, cases.quartic_case):
        case = draw(rng, lambda c: optimisers.three_runs(c["family"], c["surface"], c["theta0"], c["lr"], c["beta"],
                                                         c["steps"]))
        grad = surfaces.function(case["family"], case["surface"], "grad")
        side_by_side = optimisers.three_runs(case["family"], case["surface"], case["theta0"], case["lr"],
                                             case["beta"], case["steps"])
        one_by_one = [optimisers.heavy_ball(grad, case["theta0"], case["lr"], beta, case["steps"], look=look)
                      for beta, look in ((0.0, 0.0), (case["beta"], 0.0), (case["beta"], 1.0))]
        for a, b in zip(side_by_side, one_by_one):
            assert a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_every_named_mistake_has_a_file(course):
    names = {mistake_file(p)[0] for p in MISTAKES}
    assert names == set(part(course, "known").ADVICE)


STRANGE = [None, "theta", 3.0, [1.0, 2.0], {"gd": 1}, wire.Opaque("generator", "<generator object>"),
           np.array([1.0, 2.0]), np.full((3, 3, 3), 1.0), np.array([[np.nan, 1.0]] * 151), np.full((151, 2), 1e30),
           np.zeros((0, 2)), {"gd": True, "momentum": None, "nesterov": None},
           {"gd": "10", "momentum": 1, "nesterov": 2}, {"gd": 1.5, "momentum": 1, "nesterov": 2}]


def test_judges_never_raise_on_strange_values(graded):
    _, _, checks = graded
    for check in checks:
        for value in STRANGE:
            verdict = run_judge(check, [Outcome("ok", value=value, meta={}) for _ in check.calls])
            assert isinstance(verdict, Verdict) and not verdict.passed and verdict.message


def test_aliased_rows_and_too_many_calls(course, graded):
    _, params, checks = graded
    namespace = reference_namespace(course, params)
    check = next(c for c in checks if c.task == "momentum")
    outcome = answer(namespace, check.calls[0])
    assert outcome.meta["observed"] == {"aliased_rows": False}
    steps = check.calls[0].args[-1]
    assert outcome.meta["calls"] == [steps, None, None, None, None]  # the sandbox counts the calls of grad
    twice = {**namespace, "momentum": lambda grad, *args: namespace["momentum"](lambda t: grad(t) + 0 * grad(t), *args)}
    assert answer(twice, check.calls[0]).meta["calls"][0] == 2 * steps
    at_rest = answer(namespace, check.calls[1])  # the same quadratic from its minimum
    aliased = Outcome("ok", value=outcome.value, meta={**outcome.meta, "observed": {"aliased_rows": True}})
    assert run_judge(check, [aliased, at_rest]).mistake == "every row the same array object"
    chatty = Outcome("ok", value=outcome.value, meta={**outcome.meta, "calls": [10_000, None, None, None, None]})
    verdict = run_judge(check, [chatty, at_rest])
    assert verdict.passed and "10000 times" in verdict.message


def test_float32_trajectory_fails_with_a_dtype_hint(course, graded):
    _, params, checks = graded
    check = next(c for c in checks if c.task == "nesterov")
    outcome, at_rest = (answer(reference_namespace(course, params), call) for call in check.calls)
    rounded = Outcome("ok", value=outcome.value.astype(np.float32).astype(float), meta={"dtype": "float32"})
    verdict = run_judge(check, [rounded, at_rest])
    assert not verdict.passed and "float32" in verdict.message and "row" in verdict.message


def test_counts_accept_integral_floats(course, graded):
    _, params, checks = graded
    check = next(c for c in checks if c.task == "steps_to_tolerance")
    value = answer(reference_namespace(course, params), check.calls[0]).value
    as_floats = {k: float(v) for k, v in value.items()}
    assert run_judge(check, [Outcome("ok", value=as_floats)]).passed


# --- the notebook ------------------------------------------------------------------------

def _run_code_cells(nb) -> tuple[list[tuple[str, str]], str]:
    """Every code cell in order, as Jupyter would run them (plots drawn off screen): each
    cell's role with "ok" or the exception it raised, and what the cells printed."""
    cells = [(c.metadata["autograder"]["role"], c.source) for c in nb.cells if c.cell_type == "code"]
    script = "import matplotlib\nmatplotlib.use('Agg')\n" + "\n".join(
        f"try:\n    exec(compile({source!r}, 'cell{i}', 'exec'))\n    print('CELL', {i}, 'ok')\n"
        f"except BaseException as e:\n    print('CELL', {i}, type(e).__name__)" for i, (_, source) in enumerate(cells))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    statuses = dict(line.split()[1:] for line in done.stdout.splitlines() if line.startswith("CELL "))
    return [(role, statuses.get(str(i), "no output")) for i, (role, _) in enumerate(cells)], done.stdout


@pytest.mark.slow
def test_solution_notebook_passes_its_self_checks_and_stub_does_not(course):
    assignment = course.assignment(NAME)
    variant = Variant.derive(SECRET, NAME, "s002")
    solved, printed = _run_code_cells(build_notebook(course, assignment, variant, solutions=True))
    assert {status for _, status in solved} == {"ok"} and "✗" not in printed
    assert printed.count("All self-checks of ") == len(assignment.tasks) == 5
    stub, _ = _run_code_cells(build_notebook(course, assignment, variant, solutions=False))
    # Each self-check calls its stub, and so do the plots; defining a stub and the given cells are fine.
    assert [status for role, status in stub if role == "selfcheck"] == ["NotImplementedError"] * 5
    assert {status for role, status in stub if role in ("given", "solution")} == {"ok"}
    assert {status for role, status in stub if role == "show"} <= {"ok", "NotImplementedError"}


@pytest.mark.slow
def test_graded_end_to_end_in_the_sandbox(course, sandbox):
    from conftest import grade_bytes, submission_of, task_scores

    _, _, code = mistake_file(ROOT / "assignments" / NAME / "mistakes" / "look_ahead_reported.py")
    perfect = grade_bytes(course, NAME, "s001", submission_of(course, NAME, "s001"), sandbox)
    assert perfect["score"] == perfect["max_score"] == 20.0
    pytorch = grade_bytes(course, NAME, "s001", submission_of(course, NAME, "s001", cells={"nesterov": code}), sandbox)
    assert task_scores(pytorch) == {"gradient_descent": 3.0, "momentum": 4.0, "nesterov": 0.0, "minibatch_sgd": 5.0,
                                    "steps_to_tolerance": 3.0}
    nag = next(t for t in pytorch["tasks"] if t["name"] == "nesterov")
    assert {c["mistake"] for c in nag["checks"]} == {"the look-ahead point reported (PyTorch/Keras convention)"}
    assert nag["checks"][0]["figure"]["kind"] == "contour"


def test_a_value_that_two_mistakes_give_is_named_neither(course):
    """Of a legacy-generator loader and one without shuffling, on a case whose permutation is the
    identity, the output cannot say which it is: no name, rather than a wrong one."""
    judges = part(course, "judges")
    value = np.arange(6.0).reshape(3, 2)
    assert judges.named(value, [("no shuffling", value), ("the legacy generator", value.copy())]) is None
    assert judges.named(value, [("no shuffling", value), ("no shuffling", value.copy()), ("other", value + 1)]) \
        == "no shuffling"


@pytest.mark.parametrize("student", STUDENTS)
def test_an_unnamed_minibatch_sgd_says_which_convention_its_first_wrong_update_follows(course, student):
    """Where no known mistake fits the whole history, the first wrong update is held against the
    likely conventions on the reference's own batch: named when it is one of them, else listed."""
    assignment = course.assignment(NAME)
    params = assignment.parameters(Variant.derive(SECRET, NAME, student))
    checks = assignment.checks(GradingContext(Variant.derive(SECRET, NAME, student), params,
                                              course.reference(NAME, params)))
    check = next(c for c in checks if c.task == "minibatch_sgd")
    step = "w = w - lr * (2.0 / len(batch))"

    def with_step(changed: str):
        source = course.solution_source(NAME)
        assert step in source
        namespace = {"np": np, **params}
        exec(source.replace(step, changed), namespace)
        return run_judge(check, [answer(namespace, check.calls[0])])

    verdict = with_step("w = w + lr * (2.0 / len(batch))")
    assert not verdict.passed and verdict.mistake is None
    assert "Your row 1 is one update with the gradient's sign flipped from the reference's row 0." in verdict.message

    # In a later epoch: the batch there is the reference's, from its generator's later permutations.
    later = len(check.calls[0].args[1]) // check.calls[0].args[4] + 2
    verdict = with_step(f"w = w - (-1.0 if len(path) == {later} else 1.0) * lr * (2.0 / len(batch))")
    assert f"Your row {later} is one update with the gradient's sign flipped from the reference's row {later - 1}." \
        in verdict.message

    verdict = with_step("w = w - 1.5 * lr * (2.0 / len(batch))")
    assert not verdict.passed and verdict.mistake is None
    assert "One update from the reference's row 0 gives, with the gradient's sign flipped: [" in verdict.message
    assert "the whole data set (no minibatch): [" in verdict.message and verdict.message.count("none is yours") == 1
