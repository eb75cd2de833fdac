"""The instructor's tools: `new`, `vet` and `preview`, run as an instructor runs them (in-process CLI)."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import Course
from autograder.instructor import measures
from autograder.variants import Variant

from conftest import ASSIGNMENTS, ROOT, SECRET, replaced

SCAFFOLD = "adaptive_rates"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def scaffold_course(tmp_path_factory):
    """A fresh course holding only the scaffold, written by `autograder new`."""
    root = tmp_path_factory.mktemp("course")
    result = run("new", SCAFFOLD, "--course", root)
    assert result.exit_code == 0, result.output
    (root / "secret").write_bytes(SECRET)
    (root / "roster.csv").write_text("student_id,name\ns001,Ada\ns002,Ben\ns003,Cy\n")
    return root


def test_new_writes_the_anatomy(scaffold_course):
    folder = scaffold_course / "assignments" / SCAFFOLD
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "__init__.py", "cases.py", "checks/__init__.py", "checks/gradient_step.py", "figures.py", "judges.py",
        "known.py", "measures.py", "mistakes/gradient_ascent.py", "mistakes/lr_ignored.py", "mutants.py",
        "notebook.j2", "parameters.py"]
    assert (scaffold_course / "solutions" / f"{SCAFFOLD}.py").is_file()
    assert "__ASSIGNMENT__" not in "".join(p.read_text() for p in folder.rglob("*.py"))


@pytest.mark.slow
def test_vet_says_which_mistake_file_is_malformed_before_grading_anything(scaffold_course, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(scaffold_course, course)
    (course / "assignments" / SCAFFOLD / "mistakes" / "nameless.py").write_text("def gradient_step(g, t, lr):\n    pass\n")
    result = CliRunner().invoke(main, ["vet", SCAFFOLD, "--roster", str(course / "roster.csv"), "--out",
                                       str(tmp_path / "vet"), "--course", str(course), "--secret-file",
                                       str(course / "secret")])
    assert result.exit_code == 2 and "nameless.py: the docstring must start with the mistake's name" in result.output
    assert not (tmp_path / "vet").exists()


def test_new_never_overwrites_and_wants_a_module_name(scaffold_course):
    again = CliRunner().invoke(main, ["new", SCAFFOLD, "--course", str(scaffold_course)])
    assert again.exit_code == 2 and "already exist" in again.output and "never overwrites" in again.output
    bad = CliRunner().invoke(main, ["new", "Adaptive-Rates", "--course", str(scaffold_course)])
    assert bad.exit_code == 2 and "'Adaptive-Rates' is not" in bad.output


def test_init_writes_a_course_of_the_bundled_one_and_never_overwrites(tmp_path):
    written = run("init", tmp_path / "term")
    assert written.exit_code == 0, written.output
    term = Course(tmp_path / "term")
    assert term.assignment_names() == Course(ROOT).assignment_names()
    for name in term.assignment_names():
        assert term.solution_source(name) == Course(ROOT).solution_source(name)
    assert [p.name for p in (term.root / "templates").iterdir()] == ["selfcheck.py.j2"]
    assert (term.root / "templates" / "selfcheck.py.j2").read_bytes() == (ROOT / "templates" / "selfcheck.py.j2").read_bytes()
    assert (term.root / "course.toml").is_file() and "course.key" in (term.root / "README.md").read_text()
    assert (term.root / "roster.csv").read_text().startswith("student_id,")
    assert not (term.root / "course.key").exists() and not list(term.root.rglob("__pycache__"))
    again = CliRunner().invoke(main, ["init", str(tmp_path / "term")])
    assert again.exit_code == 2 and "never overwrites" in again.output


@pytest.mark.slow
def test_the_scaffold_generates_vets_and_grades(scaffold_course, tmp_path):
    common = ("--course", scaffold_course, "--secret-file", scaffold_course / "secret")
    roster = scaffold_course / "roster.csv"
    vetted = run("vet", SCAFFOLD, "--roster", roster, "--out", tmp_path / "vet", "--jobs", 2, *common)
    assert vetted.exit_code == 0, vetted.output
    assert "Vetted 3 variants" in vetted.output and "3 pass, 0 fail" in vetted.output
    data = json.loads((tmp_path / "vet" / "vetting.json").read_text())
    assert [(v["student_id"], v["outcome"]) for v in data["variants"]] == [("s001", "pass"), ("s002", "pass"),
                                                                          ("s003", "pass")]
    first = data["variants"][0]
    assert first["reference"] == {"score": 2.0, "max_score": 2.0} and first["stub"] == {"score": 0.0}
    assert first["selfchecks"] == {"passed": 1, "total": 1}
    assert {m["slug"]: (m["named"], m["others"]) for m in first["mistakes"]} == \
        {"gradient_ascent": (True, {}), "lr_ignored": (True, {})}
    assert [m["name"] for m in data["measures"]] == ["step_times_curvature", "contraction"]
    assert all(m["outside"] == [] and sum(m["histogram"]["counts"]) == 3 for m in data["measures"])
    assert "3 variants" in (tmp_path / "vet" / "vetting.html").read_text()
    assert "Mutants" not in vetted.output

    generated = run("generate", SCAFFOLD, "--roster", roster, "--out", tmp_path / "release", "--solutions", *common)
    assert generated.exit_code == 0, generated.output
    for kind, expected in (("solution.ipynb", 2.0), ("ipynb", 0.0)):
        submissions = tmp_path / kind
        submissions.mkdir()
        for sid in ("s001", "s002", "s003"):
            shutil.copy(tmp_path / "release" / sid / f"{SCAFFOLD}.{kind}", submissions / f"{sid}.ipynb")
        graded = run("grade", SCAFFOLD, submissions, "--roster", roster, "--out", tmp_path / f"graded-{kind}", *common)
        assert graded.exit_code == 0, graded.output
        for sid in ("s001", "s002", "s003"):
            report = json.loads((tmp_path / f"graded-{kind}" / sid / "report.json").read_text())
            assert report["score"] == expected, (kind, sid, report["tasks"])


@pytest.mark.slow
def test_vet_lists_each_unfair_variant_and_exits_1(scaffold_course, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(scaffold_course, course)
    folder = course / "assignments" / SCAFFOLD
    # A "mistake" that is the right answer loses nothing; a range that one student's step misses.
    shutil.copy(course / "solutions" / f"{SCAFFOLD}.py", folder / "mistakes" / "not_a_mistake.py")
    text = (folder / "mistakes" / "not_a_mistake.py").read_text()
    (folder / "mistakes" / "not_a_mistake.py").write_text(
        text.replace(text.split('"""')[1], "not a mistake at all\n\ntask: gradient_step\n", 1))
    values = {sid: _measure(scaffold_course, "step_times_curvature", sid) for sid in ("s001", "s002", "s003")}
    highest = max(values, key=values.get)
    measures_file = folder / "measures.py"
    measures_file.write_text(replaced(measures_file.read_text(), "low=0.2, high=0.9", f"low=0.2, high={values[highest] - 1e-3}"))
    result = CliRunner().invoke(main, ["vet", SCAFFOLD, "--roster", str(course / "roster.csv"), "--out",
                                       str(tmp_path / "vet"), "--jobs", "2", "--course", str(course),
                                       "--secret-file", str(course / "secret")])
    assert result.exit_code == 1, result.output
    assert "3 fail" in result.output
    data = json.loads((tmp_path / "vet" / "vetting.json").read_text())
    problems = {v["student_id"]: v["problems"] for v in data["variants"]}
    for sid, listed in problems.items():
        assert any("not_a_mistake ('not a mistake at all') loses no points on gradient_step" in p for p in listed)
        assert any("outside its declared range" in p for p in listed) == (sid == highest)
    mistake = next(m for m in data["mistakes"] if m["slug"] == "not_a_mistake")
    assert mistake["failed"] == ["s001", "s002", "s003"]
    assert next(m for m in data["measures"] if m["name"] == "step_times_curvature")["outside"] == [highest]
    page = (tmp_path / "vet" / "vetting.html").read_text()
    assert "3 variants failed" in page and f"1 outside: {highest}" in page


def _measure(course_root, name: str, sid: str) -> float:
    course = Course(course_root)
    ctx = course.context(course.assignment(SCAFFOLD), Variant.derive(SECRET, SCAFFOLD, sid))
    return measures.measure_all(measures.declared(course, SCAFFOLD), ctx.params, ctx.reference)[name]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_real_assignments_declare_measures_that_hold_for_their_variants(assignment):
    course = Course(ROOT)
    declared = measures.declared(course, assignment)
    assert len(declared) >= 4
    for n in range(20):
        ctx = course.context(course.assignment(assignment), Variant.derive(SECRET, assignment, f"m{n:03d}"))
        values = measures.measure_all(declared, ctx.params, ctx.reference)
        assert [m.name for m in declared if not m.inside(values[m.name])] == [], (n, values)


def test_a_measure_spread_counts_every_student_and_lists_those_outside():
    measure = measures.Measure("m", "a measure", lambda p, r: None, low=0.0, high=1.0)
    spread = measures.spread(measure, {"a": 0.5, "b": 1.5, "c": None, "d": 0.25})
    assert spread["outside"] == ["b", "c"] and spread["undefined"] == 1
    assert sum(spread["histogram"]["counts"]) == 3
    assert (spread["min"], spread["max"], spread["histogram"]["edges"][0], spread["histogram"]["edges"][-1]) == \
        (0.25, 1.5, 0.0, 1.5)
    assert spread["low"] == 0.0 and spread["range"] == "[0, 1]"
    open_ended = measures.spread(measures.Measure("n", "steps", lambda p, r: None, low=1), {"a": 3.0, "b": 5.0})
    assert open_ended["high"] is None and open_ended["range"] == "≥ 1"
    # One bar per step count from the declared 1.
    assert open_ended["histogram"]["counts"] == [0, 0, 1, 0, 1] and not math.isnan(open_ended["mean"])


@pytest.mark.slow
def test_vet_of_a_real_assignment_passes_for_a_student(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\nu1\n")
    (tmp_path / "secret").write_bytes(SECRET)
    result = run("vet", "critical_points", "--roster", roster, "--out", tmp_path / "vet", "--jobs", 1,
                 "--course", ROOT, "--secret-file", tmp_path / "secret")
    assert result.exit_code == 0, result.output
    variant = json.loads((tmp_path / "vet" / "vetting.json").read_text())["variants"][0]
    assert variant["selfchecks"] == {"passed": 7, "total": 7}
    assert len(variant["mistakes"]) >= 10 and all(m["named"] and not m["others"] for m in variant["mistakes"])


def test_preview_shows_the_students_own_notebook_and_with_solutions_the_reference(tmp_path):
    (tmp_path / "secret").write_bytes(SECRET)
    variant = Variant.derive(SECRET, "critical_points", "s042")
    params = Course(ROOT).assignment("critical_points").parameters(variant)
    plain = run("preview", "critical_points", "s042", "--out", tmp_path / "plain.html", "--course", ROOT,
                "--secret-file", tmp_path / "secret")
    assert plain.exit_code == 0, plain.output
    html = (tmp_path / "plain.html").read_text()
    assert variant.fingerprint in html and f">{abs(params['X'])!r}<" in html and f">{abs(params['Y_HAT'])!r}<" in html
    assert "s042" in html and "NotImplementedError" in html and "reference solution" not in html.split("</style>")[-1]
    assert "residual" not in html  # the reference's body is not in the student's notebook
    with_solutions = run("preview", "critical_points", "s042", "--solutions", "--out", tmp_path / "sol.html",
                         "--course", ROOT, "--secret-file", tmp_path / "secret")
    assert with_solutions.exit_code == 0
    html = (tmp_path / "sol.html").read_text()
    assert "residual" in html and "celltag_reference" in html and "NotImplementedError" in html
    again = tmp_path / "again.html"
    run("preview", "critical_points", "s042", "--solutions", "--out", again, "--course", ROOT,
        "--secret-file", tmp_path / "secret")
    assert again.read_bytes() == (tmp_path / "sol.html").read_bytes()
