"""Every command in-process (click's CliRunner), on the toy course, plus the resume after kill -9."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.sandbox.bwrap import readable_by_all

from conftest import ASSIGNMENTS, ROOT, SECRET, submission_of

TOY = ROOT / "tests" / "fixtures" / "toy_course"


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(SECRET)
    return path


def roster(tmp_path, ids):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,email\n" + "".join(f"{i},{i}@uni.example\n" for i in ids))
    return path


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def test_list_shows_points_per_task():
    result = run("list", "--course", TOY)
    assert result.exit_code == 0
    assert result.output.splitlines() == ["toy  (4 points)  Toy assignment",
                                          "    scaled                         3  multiply by SCALE",
                                          "    value_at_origin                1  evaluate f at 0"]


def test_generate_writes_one_notebook_per_student(tmp_path, secret_file):
    result = run("generate", "toy", "--roster", roster(tmp_path, ["a1", "b2"]), "--out", tmp_path / "out",
                 "--solutions", "--jobs", "1", "--course", TOY, "--secret-file", secret_file)
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.ipynb")) == \
        ["a1/toy.ipynb", "a1/toy.solution.ipynb", "b2/toy.ipynb", "b2/toy.solution.ipynb"]


def test_unknown_assignment_is_one_line_for_people(tmp_path, secret_file):
    result = CliRunner().invoke(main, ["generate", "nope", "--roster", str(roster(tmp_path, ["a1"])),
                                       "--out", str(tmp_path), "--course", str(TOY)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: no assignment 'nope'") and "(known: toy)" in result.output


def test_roster_without_student_id_column(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("id,name\n1,x\n")
    result = CliRunner().invoke(main, ["generate", "toy", "--roster", str(bad), "--out", str(tmp_path), "--course", str(TOY)])
    assert result.exit_code == 2 and "has no student_id column" in result.output


def test_secret_is_created_once_with_mode_0600(tmp_path):
    course = tmp_path / "course"
    (course / "assignments").mkdir(parents=True)
    from autograder.course import Course

    first = Course(course).secret()
    assert oct((course / "course.key").stat().st_mode & 0o777) == "0o600"
    assert Course(course).secret() == first


def write_class(folder, toy, ids, **cells):
    folder.mkdir(parents=True, exist_ok=True)
    for sid in ids:
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid, cells=cells))


@pytest.mark.slow
def test_grade_writes_reports_grades_and_summary_from_a_zip(tmp_path, toy, secret_file):
    write_class(tmp_path / "subs", toy, ["a1", "b2"])
    (tmp_path / "subs" / "b2.ipynb").write_text("not json")
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        for path in (tmp_path / "subs").iterdir():
            archive.write(path, f"export/{path.name}")
    result = run("grade", "toy", tmp_path / "class.zip", "--roster", roster(tmp_path, ["a1", "b2", "c3"]),
                 "--out", tmp_path / "out", "--jobs", 1, "--course", TOY, "--secret-file", secret_file)
    assert result.exit_code == 0, result.output
    assert "1 graded, 1 ungradable, 1 without a submission" in result.output
    assert re.search(r" in \d+\.\d s, \d+\.\d per second \(sandbox: (bwrap|rlimit-only)\)\.", result.output)
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    assert [(r["student_id"], r["score"], r["max_score"], r["scaled"], r["email"]) for r in rows] == [
        ("a1", "4", "4", "3", "a1@uni.example"), ("b2", "0", "4", "0", "b2@uni.example"),
        ("c3", "0", "4", "0", "c3@uni.example")]
    assert list(rows[0])[:5] == ["student_id", "score", "max_score", "scaled", "value_at_origin"]
    for sid in ("a1", "b2", "c3"):
        report = json.loads((tmp_path / "out" / sid / "report.json").read_text())
        assert report["student_id"] == sid and (tmp_path / "out" / sid / "report.html").exists()
    assert "not valid JSON" in json.loads((tmp_path / "out" / "b2" / "report.json").read_text())["reason"]
    assert (tmp_path / "out" / "summary.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_regrade_skips_unchanged_and_regrades_changed(tmp_path, toy, secret_file):
    write_class(tmp_path / "subs", toy, ["a1", "b2"])
    args = ["grade", "toy", tmp_path / "subs", "--roster", roster(tmp_path, ["a1", "b2"]), "--out", tmp_path / "out",
            "--jobs", 2, "--course", TOY, "--secret-file", secret_file]
    assert "2 graded" in run(*args).output
    (tmp_path / "subs" / "b2.ipynb").write_bytes(
        submission_of(toy, "toy", "b2", cells={"scaled": "def scaled(x):\n    return x"}))
    second = run(*args).output
    assert "1 unchanged since the last run" in second
    assert json.loads((tmp_path / "out" / "b2" / "report.json").read_text())["score"] == 1.0
    assert "2 unchanged since the last run" in run(*args).output
    assert "unchanged since the last run" not in run(*args, "--force").output


@pytest.mark.slow
def test_without_isolation_grade_refuses_unless_told_no_sandbox(tmp_path, toy, secret_file, monkeypatch):
    monkeypatch.setattr("autograder.sandbox.bwrap.bwrap_status",
                        lambda: (False, "bubblewrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)"))
    write_class(tmp_path / "subs", toy, ["a1"])
    base = ["grade", "toy", str(tmp_path / "subs"), "--roster", str(roster(tmp_path, ["a1"])), "--out",
            str(tmp_path / "out"), "--jobs", "1", "--course", str(TOY), "--secret-file", str(secret_file)]
    refused = CliRunner().invoke(main, base)
    assert refused.exit_code == 2
    assert "student code cannot be isolated here: bubblewrap is not installed (Debian and Ubuntu: apt-get install " \
           "bubblewrap). To grade anyway, without isolation, pass --no-sandbox." in refused.output
    assert not (tmp_path / "out" / "a1").exists()
    anyway = CliRunner().invoke(main, base + ["--no-sandbox"])
    if os.getuid() == 0 and not readable_by_all(sys.base_prefix, sys.prefix):
        # Student code would run as root, or as a uid that cannot read Python: neither is done.
        assert anyway.exit_code == 2 and "--no-sandbox as root: student code must run as an unprivileged uid, but " \
            f"this Python installation ({sys.prefix}) or this package is not readable by other users" in anyway.output
        return
    assert anyway.exit_code == 0 and "WARNING: --no-sandbox" in anyway.output and "WITHOUT isolation" in anyway.output
    report = json.loads((tmp_path / "out" / "a1" / "report.json").read_text())
    assert report["sandbox"] == "rlimit-only" and report["score"] == 4.0
    assert report["warnings"][0].startswith("Graded without a sandbox (--no-sandbox)")


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing_and_the_next_run_completes(tmp_path, toy, secret_file):
    ids = [f"k{n:02d}" for n in range(12)]
    write_class(tmp_path / "subs", toy, ids)
    # The fourth student's notebook hangs in a cell, so the run stops there with exactly three
    # grades stored until the grader's cell limit (30 s) skips the cell: the kill comes in that
    # window, whatever the machine's load. Afterwards the student hands in a working notebook.
    (tmp_path / "subs" / "k03.ipynb").write_bytes(submission_of(toy, "toy", "k03", cells={
        "value_at_origin": "import time\nwhile True:\n    time.sleep(1)"}))
    args = [sys.executable, "-m", "autograder.cli", "grade", "toy", str(tmp_path / "subs"), "--roster",
            str(roster(tmp_path, ids)), "--out", str(tmp_path / "out"), "--jobs", "1", "--course", str(TOY),
            "--secret-file", str(secret_file)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    book = tmp_path / "out" / "gradebook.sqlite"
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and stored < 3 and proc.poll() is None:
        time.sleep(0.1)
        if book.exists():
            try:
                stored = sqlite3.connect(book).execute("SELECT COUNT(*) FROM grades").fetchone()[0]
            except sqlite3.OperationalError:
                pass  # the grader is creating its tables
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    graded = [row[0] for row in sqlite3.connect(book).execute("SELECT student_id FROM grades ORDER BY student_id")]
    assert graded == ["k00", "k01", "k02"]
    write_class(tmp_path / "subs", toy, ["k03"])
    finish = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert finish.returncode == 0, finish.stderr
    assert f"{len(ids)} graded" in finish.stdout and "3 unchanged since the last run" in finish.stdout
    assert all(json.loads((tmp_path / "out" / sid / "report.json").read_text())["score"] == 4.0 for sid in ids)


@pytest.mark.slow
def test_demo_grades_the_sample_class_of_every_assignment(tmp_path):
    result = run("demo", "--out", tmp_path / "demo", "--jobs", 2)
    assert result.exit_code == 0, result.output
    for assignment in ASSIGNMENTS:
        reports = tmp_path / "demo" / assignment / "reports"
        assert f"class summary: {reports / 'summary.html'}" in result.output
        rows = {r["student_id"]: r for r in csv.DictReader((reports / "grades.csv").open())}
        assert len(rows) == 12
        assert rows["s001"]["score"] == rows["s001"]["max_score"]  # correct work
        assert rows["s003"]["score"] == "0"  # the untouched stub
        assert rows["s005"]["status"] == "ungradable"  # the broken file
        assert 0 < float(rows["s007"]["score"]) < float(rows["s007"]["max_score"])  # a known mistake


def test_a_bug_of_ours_is_one_line_not_a_traceback(monkeypatch, tmp_path, secret_file):
    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr("autograder.cli.generate_class", broken)
    monkeypatch.delenv("AUTOGRADER_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["generate", "toy", "--roster", str(roster(tmp_path, ["a1"])), "--out",
                                       str(tmp_path / "out"), "--course", str(TOY), "--secret-file", str(secret_file)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: the grader itself failed (KeyError: 'oops'). This is a bug in optim-autograder; "
        "run again with AUTOGRADER_DEBUG=1 to see where."]


def test_the_rate_counts_only_the_students_graded_in_this_run():
    from autograder.batch import GradeRun

    assert GradeRun(graded=3, ungradable=1, missing=1, skipped=2, seconds=2.0).per_second == 1.5
    assert GradeRun(skipped=3, graded=3).per_second == 0.0  # nothing graded, no time spent
