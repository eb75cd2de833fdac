"""The regrade preview: whose score a grader fix would change, and nothing written but the preview."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.course import Course
from autograder.records import CheckResult, Report, TaskResult
from autograder.regrade import compare, preview_csv

from conftest import ROOT, SECRET, replaced, submission_of


def report(sid, tasks, checks=None):
    return Report(sid, "toy", "Toy", "graded", None, True, sum(tasks.values()), 4.0, "bwrap", "v", "0",
                  None, tasks=[TaskResult(t, "", s, 3.0, [CheckResult(t, n, p, 0.0, 1.0, "visible", "")
                                                           for n, p in (checks or {}).get(t, [])])
                               for t, s in tasks.items()])


def test_only_changed_students_with_old_and_new_per_task_and_the_checks_that_changed():
    old = [report("a1", {"f": 3, "g": 1}, {"f": [("f on #1", True)]}),
           report("b2", {"f": 1, "g": 1}, {"f": [("f on #1", False)]}),
           report("c3", {"f": 2, "g": 0})]
    new = [report("a1", {"f": 3, "g": 1}, {"f": [("f on #1", True)]}),
           report("b2", {"f": 3, "g": 1}, {"f": [("f on #1", True)]}),
           report("c3", {"f": 1, "g": 1}),  # the same total, other task scores: it changes too
           report("d4", {"f": 0, "g": 1})]  # never graded before
    changes = compare(old, new)
    assert [c.student_id for c in changes] == ["b2", "c3", "d4"]
    assert changes[0].checks == ["f: f on #1 (failed → passed)"]
    assert preview_csv(changes, ["f", "g"]).splitlines() == [
        "student_id,old_score,new_score,f old,f new,g old,g new,changed_checks",
        "b2,2,4,1,3,1,1,f: f on #1 (failed → passed)",
        "c3,2,2,2,1,0,1,",
        "d4,,1,,0,,1,"]


@pytest.mark.slow
def test_dry_run_after_a_grader_fix_writes_only_the_preview(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "toy_course", course)
    toy = Course(course)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a1.ipynb").write_bytes(submission_of(toy, "toy", "a1"))
    (subs / "b2.ipynb").write_bytes(submission_of(toy, "toy", "b2", cells={"scaled": "def scaled(x):\n    return x"}))
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\na1\nb2\nc3\n")
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    out = tmp_path / "out"
    args = ["grade", "toy", str(subs), "--roster", str(roster), "--out", str(out), "--jobs", "1",
            "--course", str(course), "--secret-file", str(secret)]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    # The fix: value_at_origin is now worth 2 points.
    definition = course / "assignments" / "toy" / "__init__.py"
    definition.write_text(replaced(definition.read_text(), 'Task("value_at_origin", 1.0,', 'Task("value_at_origin", 2.0,'))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    # A process of its own, as a TA runs it: this one has the assignment before the fix imported.
    result = subprocess.run([sys.executable, "-m", "autograder.cli", *args, "--dry-run"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "a1: 4 → 5 (value_at_origin 1 → 2)" in result.stdout
    assert "b2: 1 → 2 (value_at_origin 1 → 2)" in result.stdout
    assert "2 students' scores would change" in result.stdout
    rows = list(csv.DictReader(io.StringIO((out / "regrade-preview.csv").read_text())))
    assert [(r["student_id"], r["old_score"], r["new_score"], r["value_at_origin old"], r["value_at_origin new"])
            for r in rows] == [("a1", "4", "5", "1", "2"), ("b2", "1", "2", "1", "2")]
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "regrade-preview.csv"}
    assert after == before  # no grade, report, summary or gradebook byte changed, nothing else added
