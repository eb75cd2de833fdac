"""course.toml: hand-in rules per assignment, read strictly, applied the same way by grade and the server."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from autograder import batch
from autograder.cli import main
from autograder.errors import UserError
from autograder.gradebook import Gradebook
from autograder.policy import Policy, apply_lateness, parse_size, read_policy
from autograder.records import Report, TaskResult

from conftest import ASSIGNMENTS, ROOT, SECRET, submission_of

UTC = dt.timezone.utc


def policy_of(tmp_path, text: str, names=("toy", "other")):
    (tmp_path / "course.toml").write_text(text)
    return read_policy(tmp_path, list(names))


def test_without_a_file_the_defaults_of_the_spec():
    rules = read_policy(ROOT / "tests" / "fixtures" / "toy_course", ["toy"]).of("toy")
    assert rules == Policy(due=None, late_penalty=0.0, late_cutoff=None, counts="last", min_interval=0.0,
                           max_upload=32 * 2**20, max_queued=3)


def test_assignments_inherit_the_defaults_and_override_them(tmp_path):
    rules = policy_of(tmp_path, """
timezone = "Europe/Vienna"
[defaults]
max_upload = "5 MiB"
counts = "best"
[assignments.toy]
due = 2026-12-01T23:59:00
late_penalty = 0.2
late_cutoff = 2026-12-08
min_interval = "10 min"
max_queued = 2
""")
    toy, other = rules.of("toy"), rules.of("other")
    assert toy.due == dt.datetime(2026, 12, 1, 22, 59, tzinfo=UTC)  # 23:59 in Vienna, winter time
    assert toy.late_cutoff.astimezone(UTC) == dt.datetime(2026, 12, 8, 22, 59, 59, tzinfo=UTC)
    assert (toy.late_penalty, toy.counts, toy.min_interval, toy.max_upload, toy.max_queued) == (0.2, "best", 600, 5 * 2**20, 2)
    assert (other.due, other.counts, other.max_upload, other.max_queued) == (None, "best", 5 * 2**20, 3)


def test_options_win_over_the_file(tmp_path):
    rules = policy_of(tmp_path, '[assignments.toy]\nmax_upload = "1 MiB"\n').with_options(max_upload=1000, max_queued=None)
    assert rules.of("toy").max_upload == 1000 and rules.of("other").max_upload == 1000
    assert rules.of("toy").max_queued == 3


@pytest.mark.parametrize("text, message", [
    ("[assignments.toy]\nlate_penalty = 1.5\n", "late_penalty = 1.5: must be a fraction between 0 and 1"),
    ("[assignments.toy]\ndue_date = 2026-01-01\n", "unknown key 'due_date' (allowed: due, late_penalty"),
    ("[assignments.nope]\ndue = 2026-01-01\n", "[assignments.nope] names no assignment of the course"),
    ("[defaults]\ncounts = \"first\"\n", "counts = 'first': must be one of last, best"),
    ("[defaults]\nmin_interval = \"soon\"\n", "min_interval = 'soon'"),
    ("[defaults]\nmax_upload = \"lots\"\n", "max_upload = 'lots'"),
    ("timezone = \"Mars/Olympus\"\n", "not a known time zone"),
    ("[assignments.toy]\ndue = 2026-12-08\nlate_cutoff = 2026-12-01\n", "is before the due date"),
    ("[assignments.toy\n", "is not valid TOML"),
])
def test_every_mistake_in_the_file_names_the_key_and_the_rule(tmp_path, text, message):
    with pytest.raises(UserError) as caught:
        policy_of(tmp_path, text)
    assert message in str(caught.value)


def test_lateness_penalty_and_cutoff():
    due = dt.datetime(2026, 12, 1, 12, tzinfo=UTC)
    rules = Policy(due=due, late_penalty=0.25, late_cutoff=due + dt.timedelta(days=7))
    assert not rules.lateness(due).late
    late = rules.lateness(due + dt.timedelta(hours=2))
    assert late.late and late.penalty == 0.25 and "2 hours after the due date" in late.reason
    assert rules.lateness(due + dt.timedelta(days=8)).penalty == 1.0
    assert rules.lateness(None, flagged_late=True).late  # an LMS said so
    assert rules.refuses(due + dt.timedelta(days=8)) and not rules.refuses(due + dt.timedelta(days=6))


def test_a_late_report_keeps_its_task_scores_and_loses_the_penalty_on_the_total():
    report = Report("a1", "toy", "Toy", "graded", None, True, 4.0, 4.0, "bwrap", "v", "0", None,
                    tasks=(TaskResult("a", "", 3.0, 3.0), TaskResult("b", "", 1.0, 1.0)), warnings=("w",))
    late = apply_lateness(report, Policy(due=dt.datetime(2020, 1, 1, tzinfo=UTC), late_penalty=0.5)
                          .lateness("2020-01-02T00:00:00Z"))
    assert (late.late, late.late_penalty, late.score) == (True, 0.5, 2.0)
    assert [t.score for t in late.tasks] == [3.0, 1.0]
    assert late.warnings[0].startswith("Late: handed in 2020-01-02") and late.warnings[1] == "w"
    assert late.to_json()["late_penalty"] == 0.5 and Report.from_json(late.to_json()) == late
    assert report.score == 4.0  # the stored report is not changed


@pytest.mark.parametrize("text, size", [("32 MiB", 32 * 2**20), ("500 KiB", 512_000), ("2 MB", 2_000_000), ("8M", 8 * 2**20), (1234, 1234)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_the_repositorys_course_file_is_valid():
    rules = read_policy(ROOT, ASSIGNMENTS)
    assert rules.path.exists()
    # The repository is the course every newcomer and outside test starts from: SPEC's defaults.
    for name in ASSIGNMENTS:
        assert rules.of(name) == Policy(due=None, late_penalty=0.0, late_cutoff=None, counts="last", min_interval=0.0,
                                        max_upload=32 * 2**20, max_queued=3)


@pytest.mark.slow
def test_grade_applies_the_same_late_rule_as_the_server(tmp_path, monkeypatch, toy, sandbox):
    """A late submission (its time after course.toml's due date, or marked late by the LMS) loses the
    penalty in report.json."""
    course = tmp_path / "course"
    course.mkdir()
    for part in ("assignments", "solutions"):
        (course / part).symlink_to(toy.root / part)
    (course / "course.toml").write_text("[assignments.toy]\ndue = 2026-01-10T12:00:00Z\nlate_penalty = 0.5\n")
    folder = tmp_path / "subs"
    folder.mkdir()
    for sid in ("a1", "b2", "c3"):
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid))
    (tmp_path / "roster.csv").write_text("student_id\na1\nb2\nc3\n")
    (tmp_path / "secret").write_bytes(SECRET)
    found = batch.find_submissions

    def with_times(*args):
        result = found(*args)
        when = {"a1": "2026-01-10T11:00:00Z", "b2": "2026-01-11T00:00:00+00:00"}
        # As the intake says them: b2's time is after the due date, c3 only carries the LMS's late mark.
        result.by_student.update({sid: replace(sub, submitted_at=when.get(sid), late=sid in ("b2", "c3"))
                                  for sid, sub in result.by_student.items()})
        return result

    monkeypatch.setattr(batch, "find_submissions", with_times)
    result = CliRunner().invoke(main, ["grade", "toy", str(folder), "--roster", str(tmp_path / "roster.csv"),
                                       "--out", str(tmp_path / "out"), "--jobs", "1", "--course", str(course),
                                       "--secret-file", str(tmp_path / "secret")])
    assert result.exit_code == 0, result.output
    reports = {sid: json.loads((tmp_path / "out" / sid / "report.json").read_text()) for sid in ("a1", "b2", "c3")}
    assert "late" not in reports["a1"] and reports["a1"]["score"] == 4.0
    for sid in ("b2", "c3"):
        assert (reports[sid]["late"], reports[sid]["score"]) == (True, 2.0)
        assert [t["score"] for t in reports[sid]["tasks"]] == [3.0, 1.0]
    assert "12 hours after the due date" in reports["b2"]["warnings"][0]
    assert "marked late" in reports["c3"]["warnings"][0]
    grades = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    assert grades[2].startswith("b2,2,4,")

    # The gradebook keeps each grade as the engine made it; the penalty applies when it is read (as
    # on the server), so a changed penalty reaches an export at once, without grading again.
    book = Gradebook(tmp_path / "out" / "gradebook.sqlite")
    assert book.report("toy", "b2").score == 4.0 and book.report("toy", "b2").late_penalty == 0.0
    book.close()

    def exported() -> list[str]:
        result = CliRunner().invoke(main, ["export", "toy", "--gradebook", str(tmp_path / "out" / "gradebook.sqlite"),
                                           "--roster", str(tmp_path / "roster.csv"), "--out", str(tmp_path / "x.csv"),
                                           "--course", str(course)])
        assert result.exit_code == 0, result.output
        return (tmp_path / "x.csv").read_text().splitlines()

    assert exported()[1:] == grades[1:]
    (course / "course.toml").write_text("[assignments.toy]\ndue = 2026-01-10T12:00:00Z\nlate_penalty = 0.25\n")
    assert [row.split(",")[:2] for row in exported()[1:]] == [["a1", "4"], ["b2", "3"], ["c3", "3"]]


def test_the_penalty_is_applied_once_however_often_a_report_is_read():
    report = Report("a1", "toy", "Toy", "graded", None, True, 4.0, 4.0, "bwrap", "v", "0", None,
                    tasks=(TaskResult("a", "", 4.0, 4.0),), late=True)
    rules = Policy(late_penalty=0.5)
    once = rules.final(report)
    assert (once.score, once.late_penalty, len(once.warnings)) == (2.0, 0.5, 1)
    assert rules.final(once) == once
    assert Policy().final(replace(report, late=False)) == replace(report, late=False)


def test_times_are_said_in_the_courses_time_zone(tmp_path):
    rules = policy_of(tmp_path, 'timezone = "Europe/Vienna"\n[assignments.toy]\ndue = 2026-12-01T23:59:00\n')
    late = rules.of("toy").lateness("2026-12-01T23:30:00Z")
    assert "handed in 2026-12-02 00:30 CET" in late.reason and "due date 2026-12-01 23:59 CET" in late.reason
    assert rules.local(dt.datetime(2026, 6, 1, 12, tzinfo=UTC)) == "2026-06-01 14:00 CEST"


def test_hidden_checks_are_revealed_as_the_policy_says(tmp_path):
    after = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    before = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    due = policy_of(tmp_path, "[assignments.toy]\ndue = 2025-06-01T00:00:00Z\n").of("toy")
    assert (due.hidden, due.reveals_hidden(before), due.reveals_hidden(after)) == ("after_due", False, True)
    assert not Policy().reveals_hidden(after)  # no due date: the server never reveals them
    assert not Policy(hidden="always", due=before).reveals_hidden(after)
    assert Policy(hidden="never").reveals_hidden(before)
    with pytest.raises(UserError, match="hidden = 'sometimes'.*after_due, always, never"):
        policy_of(tmp_path, '[defaults]\nhidden = "sometimes"\n')


def test_extensions_give_a_student_their_own_dates(tmp_path):
    rules = policy_of(tmp_path, "[assignments.toy]\ndue = 2026-01-10T12:00:00Z\nlate_cutoff = 2026-01-11T12:00:00Z\n"
                                "[assignments.toy.extensions]\n"
                                's1 = { due = 2026-01-20T12:00:00Z, comment = "ill" }\n').of("toy")
    own = rules.of_student("s1")
    assert own.due == dt.datetime(2026, 1, 20, 12, tzinfo=dt.timezone.utc) and own.late_cutoff is None
    assert rules.of_student("s2") == rules and rules.extensions["s1"].comment == "ill"
    assert not own.lateness("2026-01-15T00:00:00Z").late and rules.lateness("2026-01-15T00:00:00Z").penalty == 1.0
    for text, says in (("s1 = { comment = \"x\" }", "give at least a due date"),
                       ("s1 = { due = 2026-01-20T12:00:00Z, until = 3 }", "unknown key 'until'"),
                       ("s1 = { due = 2026-01-20T12:00:00Z, cutoff = 2026-01-19T12:00:00Z }", "before the due date")):
        with pytest.raises(UserError, match=says):
            policy_of(tmp_path, f"[assignments.toy.extensions]\n{text}\n")
