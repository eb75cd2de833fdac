"""Mutants of a reference: what each operator changes, and `vet --mutants` on the scaffold."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.instructor.mutants import mutants_of

from conftest import ROOT, SECRET, replaced

SOURCE = textwrap.dedent('''
    def step(grad, theta, lr, tol=1e-06, steps=3):
        """Docstrings are never mutated: 1 + 2 < 3."""
        theta = np.array(theta, dtype=float)
        path = [theta]
        for t in range(steps):
            if np.linalg.norm(grad(theta)) < tol and not False:
                return theta
            theta = theta - lr * grad(theta)
            path.append(theta)
        return H[:, 0] @ H.T[1:steps]
''')


def mutated(operator: str) -> set[tuple[str, str]]:
    function = ast.parse(SOURCE).body[0]
    return {(m.before, m.after) for m in mutants_of(function, "step", frozenset({"LR", "X"})) if m.operator == operator}


@pytest.mark.parametrize("operator, before, after", [
    ("arithmetic", "theta = theta - lr * grad(theta)", "theta = theta + lr * grad(theta)"),
    ("arithmetic", "theta = theta - lr * grad(theta)", "theta = theta - lr / grad(theta)"),
    ("arithmetic", "return H[:, 0] @ H.T[1:steps]", "return H[:, 0] * H.T[1:steps]"),
    ("comparison", "if np.linalg.norm(grad(theta)) < tol and (not False):",
     "if np.linalg.norm(grad(theta)) <= tol and (not False):"),
    ("comparison", "if np.linalg.norm(grad(theta)) < tol and (not False):",
     "if np.linalg.norm(grad(theta)) > tol and (not False):"),
    ("logic", "if np.linalg.norm(grad(theta)) < tol and (not False):",
     "if np.linalg.norm(grad(theta)) < tol or not False:"),
    ("logic", "if np.linalg.norm(grad(theta)) < tol and (not False):", "if np.linalg.norm(grad(theta)) < tol and False:"),
    ("sign", "def step(grad, theta, lr, tol=1e-06, steps=3):", "def step(grad, theta, lr, tol=-1e-06, steps=3):"),
    ("constant", "def step(grad, theta, lr, tol=1e-06, steps=3):", "def step(grad, theta, lr, tol=1e-06, steps=2):"),
    ("off by one", "for t in range(steps):", "for t in range(steps + 1):"),
    ("off by one", "return H[:, 0] @ H.T[1:steps]", "return H[:, 0] @ H.T[1:steps - 1]"),
    ("argument ignored", "if np.linalg.norm(grad(theta)) < tol and (not False):",
     "if np.linalg.norm(grad(theta)) < 1e-06 and (not False):"),
    ("argument ignored", "theta = theta - lr * grad(theta)", "theta = theta - LR * grad(theta)"),
    ("copy dropped", "theta = np.array(theta, dtype=float)", "theta = theta"),
    ("in place", "theta = theta - lr * grad(theta)", "theta -= lr * grad(theta)"),
    ("indices swapped", "return H[:, 0] @ H.T[1:steps]", "return H[0, :] @ H.T[1:steps]"),
    ("indices swapped", "return H[:, 0] @ H.T[1:steps]", "return H[:, 0] @ H[1:steps]"),
    ("statement left out", "path.append(theta)", "pass"),
])
def test_each_operator_makes_the_change_a_student_might(operator, before, after):
    assert (before, after) in mutated(operator)


def test_mutants_leave_the_docstring_alone_and_come_once_each():
    function = ast.parse(SOURCE).body[0]
    mutants = mutants_of(function, "step")
    assert all("Docstrings are never mutated: 1 + 2 < 3." in m.source for m in mutants)
    assert len({m.source for m in mutants}) == len(mutants)
    assert all(m.key == ("step", m.before, m.after) and m.diff.count("\n-") >= 1 for m in mutants)
    # Without notebook constants an argument without a default is never "ignored".
    assert not any(m.operator == "argument ignored" and "lr" in m.before.split("=")[0] for m in mutants)


def test_a_copy_only_counts_when_it_copies_an_input():
    function = ast.parse("def f(x):\n    y = np.array(x)\n    return np.array(y)\n").body[0]
    assert [(m.before, m.after) for m in mutants_of(function, "f") if m.operator == "copy dropped"] == \
        [("y = np.array(x)", "y = x")]


@pytest.fixture
def scaffold(tmp_path):
    root = tmp_path / "course"
    assert CliRunner().invoke(main, ["new", "mutating", "--course", str(root)]).exit_code == 0
    (root / "secret").write_bytes(SECRET)
    (root / "roster.csv").write_text("student_id\nm1\nm2\nm3\nm4\n")
    return root


def vet_mutants(root, out):
    return CliRunner().invoke(main, ["vet", "mutating", "--roster", str(root / "roster.csv"), "--out", str(out),
                                     "--mutants", "--jobs", "2", "--course", str(root),
                                     "--secret-file", str(root / "secret")], catch_exceptions=False)


@pytest.mark.slow
def test_the_scaffold_has_no_surviving_mutant(scaffold, tmp_path):
    result = vet_mutants(scaffold, tmp_path / "vet")
    assert result.exit_code == 0, result.output
    assert "Mutants: 4, 3 caught, 1 equivalent, 0 survived, 0 inconsistent across variants (score 100.0%)" \
        in result.output
    mutants = json.loads((tmp_path / "vet" / "vetting.json").read_text())["mutants"]
    assert mutants["variants"] == ["m1", "m2", "m3", "m4"] and mutants["stale"] == []
    ascent = next(m for m in mutants["mutants"] if m["after"].startswith("return theta + lr"))
    assert ascent["status"] == "caught" and ascent["named"] == ["gradient ascent (the gradient's sign flipped)"]
    page = (tmp_path / "vet" / "vetting.html").read_text()
    assert "Mutants of the reference" in page and "Equivalent mutants" in page and "Survivors" not in page


@pytest.mark.slow
def test_a_weaker_check_lets_a_mutant_survive_and_the_page_shows_its_diff(scaffold, tmp_path):
    checks = scaffold / "assignments" / "mutating" / "checks" / "gradient_step.py"
    # Without the hidden quadratics, lr is only ever the notebook's LR: reading LR instead passes.
    checks.write_text(replaced(checks.read_text(),
        '        _steps(ctx, "one step on hidden quadratics in 1, 2, 3 and 5 dimensions", hidden, "hidden"),\n', ""))
    mutants_file = scaffold / "assignments" / "mutating" / "mutants.py"
    mutants_file.write_text(replaced(mutants_file.read_text(), '"theta = theta"', '"theta = theta  # not any more"'))
    result = vet_mutants(scaffold, tmp_path / "vet")
    assert result.exit_code == 0, result.output  # weak checks are not an unfair variant
    assert "2 survived" in result.output
    data = json.loads((tmp_path / "vet" / "vetting.json").read_text())["mutants"]
    survivors = {(m["operator"], m["after"]) for m in data["mutants"] if m["status"] == "survived"}
    assert survivors == {("argument ignored", "return theta - LR * np.asarray(grad(theta), dtype=float)"),
                         ("copy dropped", "theta = theta")}
    assert data["stale"] == ["gradient_step → theta = np.array(theta, dtype=float) → theta = theta  # not any more"]
    page = (tmp_path / "vet" / "vetting.html").read_text()
    assert "Survivors" in page and "+    return theta - LR * np.asarray(grad(theta), dtype=float)" in page


def test_vet_without_mutants_writes_no_mutant_section(tmp_path):
    page = (tmp_path / "x.html")
    from autograder.instructor.pages import render_vetting

    page.write_text(render_vetting({"assignment": "a", "sandbox": "bwrap", "jobs": 1, "seconds": 1.0, "students": 0,
                                    "passed": 0, "failed": 0, "mistakes": [], "measures": [], "variants": []},
                                   tmp_path))
    assert "Mutants of the reference" not in page.read_text()


def test_the_page_lists_a_mutant_whose_verdict_depends_on_the_variant(tmp_path):
    from autograder.instructor.pages import render_vetting

    mutant = {"task": "t", "operator": "constant", "line": 2, "before": "a = 1", "after": "a = 2", "diff": "-a = 1\n+a = 2",
              "status": "inconsistent", "losses": [{"tasks": ["t"], "students": ["m1"]}, {"tasks": [], "students": ["m2"]}]}
    mutants = {"total": 1, "caught": 0, "equivalent": 0, "survived": 0, "inconsistent": 1, "score": 0.0,
               "named_share": 0.0, "variants": ["m1", "m2"], "seconds": 1.0, "stale": [], "wrongly_equivalent": [],
               "tasks": [{"task": "t", "total": 1, "caught": 0, "equivalent": 0, "survived": 0, "inconsistent": 1,
                          "named": 0}], "mutants": [mutant]}
    page = render_vetting({"assignment": "a", "sandbox": "bwrap", "jobs": 1, "seconds": 1.0, "students": 2, "passed": 2,
                           "failed": 0, "mistakes": [], "measures": [], "variants": [], "mutants": mutants},
                          ROOT / "templates")
    assert "Inconsistent: other tasks lost on other variants" in page and "t on 1 (m1); nothing on 1 (m2)" in page
