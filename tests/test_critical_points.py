"""The assignment `critical_points`: its parameters, judges, known mistakes and notebook.

Student code is run here in-process by a tiny stand-in for the sandbox (`answer`), which
converts return values the way the sandbox worker does; the real sandbox is tested
elsewhere. That keeps these tests fast and lets them fabricate any returned value.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from autograder import surfaces, wire
from autograder.assignment import GradingContext
from autograder.checks import Outcome, run_judge
from autograder.course import Course
from autograder.demo import load_mistakes
from autograder.notebooks import build_notebook
from autograder.variants import Variant
from autograder.wire import MatrixTree, Opaque, Tree

from conftest import examples

ROOT = Path(__file__).resolve().parents[1]
NAME = "critical_points"
MISTAKES = sorted((ROOT / "assignments" / NAME / "mistakes").glob("*.py"))
STUDENTS = ("s001", "s002", "alice")


@pytest.fixture(scope="module")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="module")
def assignment(course):
    return course.assignment(NAME)


def module(course, name: str):
    course.assignment(NAME)
    return importlib.import_module(f"{course.assignment_package(NAME)}.{name}")


def context(course, assignment, student: str) -> GradingContext:
    variant = Variant.derive(b"test secret", NAME, student)
    params = assignment.parameters(variant)
    return GradingContext(variant, params, course.reference(NAME, params))


def answer(course, namespace: dict, call) -> Outcome:
    """What the sandbox would send back for one call (arguments built, value converted)."""
    args = [surfaces.function(a.family, a.params, a.returns) if isinstance(a, wire.Surface) else copy.deepcopy(a)
            for a in call.args]
    try:
        value = namespace[call.function](*args)
    except Exception as exc:
        return Outcome("error", message=f"{type(exc).__name__}: {exc}")
    if call.expect == "array" or (call.expect == "array_or_none" and value is not None):
        value = np.asarray(value, dtype=float)
    elif call.expect == "matrix":
        value = module(course, "symbolic").matrix_tree(sp.Matrix(value))
    return Outcome("ok", value=value)


def grade(course, assignment, student: str, replacement: str = "") -> list:
    params, checks = student_checks(course, student)
    namespace = {"__name__": "student", **copy.deepcopy(params)}
    exec(course.solution_source(NAME), namespace)
    exec(replacement, namespace)
    results = []
    for check in checks:
        results.append((check, run_judge(check, [answer(course, namespace, c) for c in check.calls])))
    return results


@functools.lru_cache(maxsize=None)
def student_checks(course, student: str) -> tuple[dict, tuple]:
    """A student's constants and checks, built once for every mistake graded on that variant (a third
    of the time of grading one)."""
    assignment = course.assignment(NAME)
    ctx = context(course, assignment, student)
    return ctx.params, tuple(assignment.checks(ctx))


def mistake_file(path: Path) -> tuple[str, str, str]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree).splitlines()
    task = next(line.split(":", 1)[1].strip() for line in doc if line.startswith("task:"))
    return doc[0].strip(), task, "\n".join(text.splitlines()[tree.body[0].end_lineno:])


# --- parameters -------------------------------------------------------------------------

def test_parameters_are_vetted_and_deterministic(assignment):
    for i in range(300):
        variant = Variant.derive(b"k", NAME, f"s{i:03d}")
        p = assignment.parameters(variant)
        assert p == assignment.parameters(variant)
        assert 0.5 <= abs(p["X"] * p["Y_HAT"]) <= 4.0
        assert abs(p["X"]) >= 0.5 and abs(p["Y_HAT"]) >= 0.3 and abs(p["X"]) != 1.0
        assert round(p["X"], 2) == p["X"] and round(p["Y_HAT"], 2) == p["Y_HAT"]


def test_points_sum_to_twenty(assignment):
    assert assignment.max_score == 20.0
    assert [t.name for t in assignment.tasks] == ["loss_gradient", "symbolic_hessian", "numerical_gradient",
                                                  "numerical_hessian", "classify_critical_point", "escape_direction",
                                                  "escape_saddle"]


def test_checks_are_deterministic_per_student(course, assignment):
    shows = lambda s: [(c.name, [call.shows for call in c.calls]) for c in assignment.checks(context(course, assignment, s))]
    assert shows("s001") == shows("s001")
    assert shows("s001") != shows("s002")


# --- the surfaces, expanded exactly ------------------------------------------------------------

def sympy_terms(expr, names=("x", "y")) -> list:
    """What the cases computed with sympy before: Poly(expand(expr)).terms(), as floats."""
    if isinstance(expr, str):  # a formula as the cases write it (numpy scalars print as np.float64(…))
        expr = sp.sympify(re.sub(r"np\.float64\(([^)]*)\)", r"\1", expr), rational=True)
    return [[float(c), [int(e) for e in exps]] for exps, c in sp.Poly(sp.expand(expr), *sp.symbols(names)).terms()]


def test_exact_expansions_are_sympys_to_the_bit(course):
    """The cases expand their polynomials in exact fractions, without sympy: every coefficient must
    be the float sympy gives, in sympy's order, or the hidden surfaces (and so the reports) would
    move. The oracle is sympy expanding the formula each case shows the student."""
    cases, poly = module(course, "cases"), module(course, "polynomials")
    x, y = sp.symbols("x y")
    himmelblau = (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
    # Every k a rotated Himmelblau can draw (±0.50 … ±2.00): its float products round as sympy's do.
    for k in sorted({round(sign * m / 100, 2) for m in range(50, 201) for sign in (-1, 1)}):
        assert poly.scaled_terms(k, cases.HIMMELBLAU_SQUARES) == sympy_terms(k * himmelblau), k
    assert cases.CAMEL == sympy_terms((4 - sp.Rational(21, 10) * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2)
    for expr, formula, _ in cases.DEGENERATE.values():
        assert expr.terms() == sympy_terms(formula) and str(sp.sympify(formula)) == formula
    rng = np.random.default_rng(5)
    for _ in range(20):
        a, b = (round(float(v), 2) for v in rng.uniform(-2.5, 2.5, 2))
        drawn = [cases.lecture_loss(a, b), cases.rosenbrock(rng)[0], cases.double_well(rng, 1)[0],
                 cases.double_well(rng, 2, n=3)[0], cases.cubic_saddle(rng, 1, round(float(rng.uniform(1, 1.5)), 2))[0],
                 cases.cubic_probe(rng), cases.cubic_probe(rng, degree=4)]
        for surf in drawn:
            names = cases.variables(len(surf.params["c"]))
            assert surf.params["terms"] == sympy_terms(surf.formula, names), surf.formula


HIMMELBLAU_STARTS = [(3, 2), (-2.805118, 3.131313), (-3.779310, -3.283186), (3.584428, -1.848127),
                     (-0.270845, -0.923039), (3.385154, 0.073852), (0.086678, 2.884255),
                     (-3.073026, -0.081353), (-0.127961, -1.953715)]
# Found by Newton from a 23×13 grid.
CAMEL_STARTS = [(-1.703607, 0.796084), (-1.638068, -0.228674), (-1.607105, -0.568651), (-1.296070, -0.605084),
                (-1.230230, -0.162335), (-1.109205, 0.768268), (-0.089842, 0.712656), (0.0, 0.0),
                (0.089842, -0.712656), (1.109205, -0.768268), (1.230230, 0.162335), (1.296070, 0.605084),
                (1.607105, 0.568651), (1.638068, 0.228674), (1.703607, -0.796084)]


def test_the_written_out_critical_points_are_newtons_to_the_bit(course):
    """60 Newton steps from each start, on the surface as the sandbox builds it, give exactly the
    points the cases hold (some wander in their last bits until the very last step, so no step less);
    the Hessian there tells the type."""
    cases = module(course, "cases")
    himmelblau = cases.HIMMELBLAU_SQUARES[0] + cases.HIMMELBLAU_SQUARES[1]
    for terms, starts, points in ((himmelblau.terms(), HIMMELBLAU_STARTS, cases.HIMMELBLAU_POINTS),
                                  (cases.CAMEL, CAMEL_STARTS, cases.CAMEL_POINTS)):
        surface = surfaces.build("poly", cases.poly_params(terms, cases.IDENTITY, [0.0, 0.0]))
        assert len(starts) == len(points)
        for start, (point, kind) in zip(starts, points):
            x = np.asarray(start, dtype=float)
            for _ in range(60):
                x = x - np.linalg.solve(surface.hess(x), surface.grad(x))
            assert np.linalg.norm(surface.grad(x)) < 1e-9 and x.tolist() == list(point), start
            lam = np.linalg.eigvalsh(surface.hess(x))
            assert kind == ("local minimum" if np.all(lam > 0) else "local maximum" if np.all(lam < 0)
                            else "saddle point"), start


def test_the_exact_hessian_is_sympys(course):
    exact_hessian = module(course, "checks.symbolic_hessian").exact_hessian
    w1, w2 = sp.symbols("w1 w2")
    rng = np.random.default_rng(8)
    for x, y_hat in [(1.0, 1.0)] + [tuple(np.round(rng.uniform(-3, 3, 2), 2)) for _ in range(30)]:
        q = lambda v: sp.Rational(repr(float(v)))  # noqa: E731
        truth = sp.hessian((q(y_hat) - w1 * w2 * q(x)) ** 2, (w1, w2))
        assert [sp.srepr(e) for e in exact_hessian(x, y_hat)] == [sp.srepr(e) for e in truth]


# --- the reference and the known mistakes ----------------------------------------------------

@pytest.mark.parametrize("student", STUDENTS)
def test_reference_passes_every_check(course, assignment, student):
    failed = [(c.name, v.message) for c, v in grade(course, assignment, student) if not v.passed]
    assert failed == []


def test_every_task_has_checks_and_some_are_hidden(course, assignment):
    checks = assignment.checks(context(course, assignment, "s001"))
    assert {c.task for c in checks} == {t.name for t in assignment.tasks}
    assert any(c.visibility == "hidden" for c in checks)
    assert all(call.shows for c in checks for call in c.calls)


def test_there_are_at_least_twelve_mistakes():
    assert len(MISTAKES) >= 12


@pytest.mark.parametrize("path", MISTAKES, ids=[p.stem for p in MISTAKES])
def test_each_mistake_costs_its_own_task_only_and_is_named(course, assignment, path):
    name, task, code = mistake_file(path)
    for student in STUDENTS:
        results = grade(course, assignment, student, code)
        assert {c.task for c, v in results if not v.passed} == {task}, student
        assert name in {v.mistake for c, v in results if not v.passed}, student
        assert {v.mistake for c, v in results if not v.passed} - {None} == {name}, student  # never another name


# --- judges on fabricated values --------------------------------------------------------------

STRANGE = [None, "abc", Opaque("Foo", "<Foo>"), np.array([np.nan, 1.0]), np.zeros((3, 3)), np.zeros(7), 3.0,
           [1, 2], {"a": 1}, np.array([np.inf]), MatrixTree((1, 1), (Tree(("int", "1")),))]


def test_judges_never_raise_on_strange_values(course, assignment, monkeypatch):
    monkeypatch.setattr(module(course, "judges"), "STRICT", True)  # an exception fails this test, not the check
    for check in assignment.checks(context(course, assignment, "s001")):
        for value in STRANGE:
            verdict = run_judge(check, [Outcome("ok", value=value)] * len(check.calls))
            assert verdict.message
            if value is not None:  # None is right where no escape direction exists
                assert not verdict.passed, (check.name, value)


def checks_of(course, assignment, task: str, name_part: str):
    return [c for c in assignment.checks(context(course, assignment, "s001")) if c.task == task and name_part in c.name]


def test_forward_difference_probe_is_named(course, assignment):
    (probe,) = checks_of(course, assignment, "numerical_gradient", "x³")
    forward = run_judge(probe, [Outcome("ok", value=np.array([12.61]))])
    assert not forward.passed and forward.mistake == "forward differences"
    assert run_judge(probe, [Outcome("ok", value=np.array([12.01]))]).passed


def test_lecture_escape_direction_either_sign(course, assignment):
    (check,) = checks_of(course, assignment, "escape_direction", "lecture")
    s = 1 / np.sqrt(2)
    for u in ([s, s], [-s, -s]):
        assert run_judge(check, [Outcome("ok", value=np.array(u))]).passed
    wrong = run_judge(check, [Outcome("ok", value=np.array([s, -s]))])
    assert not wrong.passed and wrong.mistake == "eigenvector of the largest eigenvalue"
    assert wrong.figure and wrong.figure["kind"] == "contour"
    long = run_judge(check, [Outcome("ok", value=np.array([1.0, 1.0]))])
    assert long.mistake == "eigenvector not normalised"


def test_repeated_eigenvalue_accepts_any_vector_of_the_eigenspace(course, assignment):
    (check,) = checks_of(course, assignment, "escape_direction", "repeated")
    values = []
    for call in check.calls:
        H = call.args[0]
        lam, V = np.linalg.eigh(H)
        u = V[:, 0] * 0.6 + V[:, 1] * 0.8  # far from numpy's own vector, yet in the eigenspace
        assert np.linalg.norm(u - V[:, 0]) > 0.5
        values.append(Outcome("ok", value=u))
    assert run_judge(check, values).passed


def own_hessians(ctx, check) -> list[Outcome]:
    """The reference's numerical Hessians for the calls of numerical_hessian an escape_saddle check makes
    (the student's own, which their escape_saddle is meant to follow)."""
    return [Outcome("ok", value=ctx.reference.numerical_hessian(surfaces.function(c.args[0].family, c.args[0].params),
                                                                c.args[1].copy()))
            for c in check.calls if c.function == "numerical_hessian"]


def test_escape_saddle_wrong_sign_is_named_with_a_figure(course, assignment):
    (check,) = checks_of(course, assignment, "escape_saddle", "asymmetric")
    ctx = context(course, assignment, "s001")
    outcomes = []
    for call in check.calls:
        if call.function != "escape_saddle":
            continue
        f = surfaces.function(call.args[0].family, call.args[0].params)
        good = ctx.reference.escape_saddle(f, call.args[1].copy(), call.args[2])
        outcomes.append(Outcome("ok", value=2 * call.args[1] - good))  # the mirror image: the other sign
    verdict = run_judge(check, outcomes + own_hessians(ctx, check))
    assert verdict.mistake == "escape sign not chosen to decrease f"
    assert verdict.figure["kind"] == "contour" and len(verdict.figure["points"]) == 3


def test_a_student_who_keeps_one_sign_fails_on_every_variant(course, assignment):
    """vet found a variant (1 in 400) where keeping −u passed both asymmetric saddles: with a trace-0
    Hessian eigh's sign followed the rounding of the Hessian's diagonal. For 150 variants and Hessians
    computed with four step sizes (a student's differs from ours in its last digits), a student who
    always keeps eigh's sign, or always flips it, fails one of the two."""
    passed_both = []
    for k in range(examples(150)):  # make quick: a quarter of them
        ctx = context(course, assignment, f"v{k:03d}")
        (check,) = [c for c in module(course, "checks.escape").escape_saddle_checks(ctx) if "asymmetric" in c.name]
        for keep in (1.0, -1.0):
            for h in (1e-5, 1e-4, 2e-4, 1e-3):
                outcomes = []
                for call in check.calls:
                    f = surfaces.function(call.args[0].family, call.args[0].params)
                    theta = call.args[1]
                    H = ctx.reference.numerical_hessian(f, theta.copy(), h)
                    if call.function == "escape_saddle":
                        outcomes.append(Outcome("ok", value=theta + keep * call.args[2] * np.linalg.eigh(H)[1][:, 0]))
                    else:  # their own Hessian, with the same step
                        outcomes.append(Outcome("ok", value=H))
                if run_judge(check, outcomes).passed:
                    passed_both.append((k, keep, h))
    assert passed_both == []


def test_escape_direction_threshold_unscaled_for_a_large_hessian_is_named(course, assignment):
    (check,) = checks_of(course, assignment, "escape_direction", "threshold")
    ctx = context(course, assignment, "s001")
    right = [Outcome("ok", value=ctx.reference.escape_direction(c.args[0].copy())) for c in check.calls]
    assert run_judge(check, right).passed
    # An absolute threshold of 1e-6 escapes along −5e-5 of the large Hessian, where τ = 1e-6·max|λ| does not.
    absolute = [Outcome("ok", value=None if np.linalg.eigvalsh(c.args[0])[0] >= -1e-6 else np.linalg.eigh(c.args[0])[1][:, 0])
                for c in check.calls]
    verdict = run_judge(check, absolute)
    assert not verdict.passed and verdict.mistake == "absolute instead of relative tolerance"


def test_classification_labels_and_named_mistakes(course, assignment):
    (check,) = checks_of(course, assignment, "classify_critical_point", "lecture")
    assert run_judge(check, [Outcome("ok", value="saddle point")]).passed
    typo = run_judge(check, [Outcome("ok", value="saddle")])
    assert not typo.passed and "saddle point" in typo.message
    (scale,) = checks_of(course, assignment, "classify_critical_point", "scale")
    labels = [module(course, "checks.classify").by_threshold(np.linalg.eigvalsh(c.args[0]), 1e-6) for c in scale.calls]
    verdict = run_judge(scale, [Outcome("ok", value=v) for v in labels])
    assert verdict.mistake == "absolute instead of relative tolerance"


# --- symbolic answers -------------------------------------------------------------------------------

def symbolic_checks(course, assignment):
    return checks_of(course, assignment, "symbolic_hessian", "")


def matrix_outcome(course, matrix) -> Outcome:
    return Outcome("ok", value=module(course, "symbolic").matrix_tree(sp.Matrix(matrix)))


def test_symbolic_hessian_with_floats_passes(course, assignment):
    ctx = context(course, assignment, "s001")
    w1, w2 = sp.symbols("w1 w2")
    loss = (sp.Float(ctx.params["Y_HAT"]) - w1 * w2 * sp.Float(ctx.params["X"])) ** 2
    outcome = matrix_outcome(course, sp.hessian(loss, (w1, w2)))
    assert all(run_judge(c, [outcome]).passed for c in symbolic_checks(course, assignment))


def test_symbolic_hessian_wrong_symbol_names(course, assignment):
    a, b = sp.symbols("w_1 w_2")
    outcome = matrix_outcome(course, [[a, b], [b, a]])
    verdict = run_judge(symbolic_checks(course, assignment)[0], [outcome])
    assert not verdict.passed and "w_1" in verdict.message and "w1, w2" in verdict.message


def test_symbolic_hessian_hostile_trees_are_refused(course, assignment):
    huge = Tree(("pow", ("int", "10"), ("pow", ("int", "10"), ("int", "60"))))
    zero_division = Tree(("rat", "1", "0"))
    for tree in (huge, zero_division):
        outcome = Outcome("ok", value=MatrixTree((2, 2), (tree,) * 4))
        for check in symbolic_checks(course, assignment):
            verdict = run_judge(check, [outcome])
            assert not verdict.passed and verdict.message


def test_every_mistake_file_is_named_as_known_py_spells_it(course):
    spelt = {value for key, value in vars(module(course, "known")).items() if key.isupper()}
    assert {m.name for m in load_mistakes(course, NAME)} <= spelt


def test_symbolic_module_never_parses_strings():
    source = (ROOT / "assignments" / NAME / "symbolic.py").read_text() + \
             (ROOT / "assignments" / NAME / "checks" / "symbolic_hessian.py").read_text()
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("#", '"', "Never")))
    for banned in ("parse_expr", "eval(", "exec(", "sympify", "sp.S("):
        assert banned not in code


# --- the notebook ------------------------------------------------------------------------------------

RUNNER = """
import json, sys, io, contextlib
import matplotlib
matplotlib.use("Agg")
namespace, report = {}, []
for grade_id, role, source in json.loads(sys.stdin.read()):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, grade_id, "exec"), namespace)
        report.append([grade_id, role, "ok"])
    except BaseException as exc:
        report.append([grade_id, role, type(exc).__name__])
print(json.dumps(report))
"""


@pytest.mark.slow
@pytest.mark.parametrize("solutions", [True, False])
def test_notebook_self_checks(course, assignment, solutions):
    variant = Variant.derive(b"test secret", NAME, "s001")
    nb = build_notebook(course, assignment, variant, solutions=solutions)
    assert "autograder" not in "".join(c.source for c in nb.cells if c.cell_type == "code")
    cells = [[c.metadata["nbgrader"]["grade_id"], c.metadata["autograder"]["role"], c.source]
             for c in nb.cells if c.cell_type == "code"]
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(cells), capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    selfchecks = [status for _, role, status in report if role == "selfcheck"]
    assert len(selfchecks) == 7
    assert all(status == "ok" for _, role, status in report if role != "selfcheck")
    assert set(selfchecks) == ({"ok"} if solutions else {"NotImplementedError"})


def test_a_broken_own_hessian_costs_escape_saddle_nothing(course, assignment):
    """The student's own numerical_hessian is asked beside escape_saddle as a fact: when it fails (here:
    it raised), the check still judges the escape itself."""
    (check,) = checks_of(course, assignment, "escape_saddle", "asymmetric")
    ctx = context(course, assignment, "s001")
    outcomes = []
    for call in check.calls:
        if call.function == "escape_saddle":
            f = surfaces.function(call.args[0].family, call.args[0].params)
            outcomes.append(Outcome("ok", value=ctx.reference.escape_saddle(f, call.args[1].copy(), call.args[2])))
        else:
            assert call.optional
            outcomes.append(Outcome("error", message="ZeroDivisionError: division by zero"))
    assert run_judge(check, outcomes).passed
