"""nbgrader interop, proven with nbgrader's own validator, generate_assignment, gradebook and export."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.integrations.nbgrader import SOURCE_ID
from autograder.notebooks import build_notebook
from autograder.variants import Variant

from conftest import ROOT, SECRET, submission_of

nbgrader_api = pytest.importorskip("nbgrader.api")
from nbgrader.nbgraderformat import MetadataValidator  # noqa: E402

TOY = ROOT / "tests" / "fixtures" / "toy_course"
# nbgrader's own Gradebook.add_submission trips these SQLAlchemy warnings; they are not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
BIN = Path(sys.executable).parent


def nbgrader(root: Path, *args: str) -> str:
    """nbgrader's own command line, in the course (it finds `alembic` on PATH when it creates its database)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture()
def nbgrader_course(tmp_path) -> Path:
    root = tmp_path / "nbgrader"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\n")
    (tmp_path / "secret").write_bytes(SECRET)
    result = CliRunner().invoke(main, ["nbgrader-source", "toy", "--out", str(root), "--course", str(TOY),
                                       "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    nbgrader(root, "generate_assignment", "toy")
    return root


@pytest.mark.parametrize("course_name, assignment", [("toy", "toy"), ("course", "critical_points"),
                                                     ("course", "momentum_nag")])
def test_student_notebooks_pass_nbgraders_validator(request, course_name, assignment):
    course = request.getfixturevalue(course_name)
    for solutions in (False, True):
        nb = build_notebook(course, course.assignment(assignment), Variant.derive(SECRET, assignment, "s1"), solutions)
        MetadataValidator().validate_nb(nb)
        assert all(cell.metadata["nbgrader"]["schema_version"] == 3 for cell in nb.cells)


@pytest.mark.slow
def test_generate_assignment_releases_our_stubs_and_registers_grade_cells(nbgrader_course, toy):
    source = nbformat.read(nbgrader_course / "source" / "toy" / "toy.ipynb", as_version=4)
    solution = next(c for c in source.cells if c.metadata["nbgrader"]["grade_id"] == "scaled")
    assert solution.source.splitlines()[2:] == [
        "    ### BEGIN SOLUTION", "    return SCALE * np.asarray(x, dtype=float)", "    ### END SOLUTION"]

    released = nbformat.read(nbgrader_course / "release" / "toy" / "toy.ipynb", as_version=4)
    ours = build_notebook(toy, toy.assignment("toy"), Variant.derive(SECRET, "toy", SOURCE_ID))
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    with nbgrader_api.Gradebook(f"sqlite:///{nbgrader_course / 'gradebook.db'}") as gb:
        cells = {c.name: c.max_score for c in gb.find_notebook("toy", "toy").grade_cells}
    assert cells == {"scaled_selfcheck": 3.0}  # the toy's second task has no self-check cell


@pytest.mark.slow
def test_grade_records_task_scores_that_nbgrader_exports(nbgrader_course, toy, tmp_path):
    submitted = nbgrader_course / "submitted"
    for sid, solutions in (("s1", True), ("s2", False)):
        path = submitted / sid / "toy" / "toy.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(submission_of(toy, "toy", sid, solutions=solutions))
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,first_name,last_name\ns1,Ada,Lovelace\ns2,Alan,Turing\ns3,Emmy,Noether\n")
    with nbgrader_api.Gradebook(f"sqlite:///{nbgrader_course / 'gradebook.db'}") as gb:
        gb.add_student("s1")
        gb.add_submission("toy", "s1")  # as nbgrader would, before our grade cell for value_at_origin existed
    out = tmp_path / "graded"
    result = CliRunner().invoke(main, [
        "grade", "toy", str(submitted), "--roster", str(roster), "--out", str(out), "--jobs", "1",
        "--course", str(TOY), "--secret-file", str(tmp_path / "secret"),
        "--nbgrader-gradebook", str(nbgrader_course / "gradebook.db")])
    assert result.exit_code == 0, result.output
    assert "Recorded 2 submissions in the nbgrader gradebook" in result.output

    with nbgrader_api.Gradebook(f"sqlite:///{nbgrader_course / 'gradebook.db'}") as gb:
        scores = {(g.student.id, g.name): (g.auto_score, g.max_score)
                  for sid in ("s1", "s2") for g in gb.find_submission("toy", sid).notebooks[0].grades}
        assert gb.find_student("s1").last_name == "Lovelace"
    assert scores == {("s1", "scaled_selfcheck"): (3.0, 3.0), ("s1", "value_at_origin_selfcheck"): (1.0, 1.0),
                      ("s2", "scaled_selfcheck"): (0.0, 3.0), ("s2", "value_at_origin_selfcheck"): (0.0, 1.0)}

    nbgrader(nbgrader_course, "export", "--to", str(tmp_path / "nbgrader_grades.csv"))
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "nbgrader_grades.csv").open())}
    assert (rows["s1"]["raw_score"], rows["s1"]["max_score"]) == ("4.0", "4.0")
    assert rows["s2"]["raw_score"] == "0.0" and "s3" not in rows  # s3 handed nothing in

    assert (nbgrader_course / "autograded" / "s1" / "toy" / "toy.ipynb").read_bytes() == \
        (submitted / "s1" / "toy" / "toy.ipynb").read_bytes()
    assert (nbgrader_course / "feedback" / "s1" / "toy" / "toy.html").read_text() == \
        (out / "s1" / "report.html").read_text()


def test_missing_nbgrader_gradebook_is_refused_before_grading(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns1\n")
    result = CliRunner().invoke(main, ["grade", "toy", str(tmp_path), "--roster", str(roster), "--out",
                                       str(tmp_path / "out"), "--course", str(TOY),
                                       "--nbgrader-gradebook", str(tmp_path / "nope.db")])
    assert result.exit_code == 2 and "nope.db" in result.output and not (tmp_path / "out").exists()
