"""The server's store on its own: reports without their checks, for tables of scores, agree with the
whole reports, in a new data folder and in one made before the store kept them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from autograder.records import Override, Report
from autograder.server.store import Extension, ReviewRequest, Store

from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"


def _without_checks(report: Report) -> Report:
    return replace(report, tasks=tuple(replace(t, checks=()) for t in report.tasks))


def _graded(store: Store) -> list[Report]:
    reports = []
    for number, path in enumerate(sorted(GOLDEN.glob("*.json"))):
        report = Report.from_json(json.loads(path.read_text(encoding="utf-8")))
        store.add_submission(f"id{number}", report.assignment, report.student_id, "0" * 64, path.name, 1,
                             f"2026-12-0{number + 1}T10:00:00.000000Z", 10, 0.0, 2**40)
        store.finish(store.claim().id, report, "key")
        reports.append(report)
    return reports


def _both(store: Store, assignment: str) -> tuple[list[Report], list[Report]]:
    whole = [a.report for a in store.attempts(assignment)]
    return [_without_checks(r) for r in whole], [a.report for a in store.attempts(assignment, checks=False)]


def test_reports_without_their_checks_are_the_whole_reports_less_the_checks(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    reports = _graded(store)
    assert any(t.checks for r in reports for t in r.tasks)
    for assignment in {r.assignment for r in reports}:
        expected, light = _both(store, assignment)
        assert light == expected and expected


def test_a_data_folder_from_before_gets_the_reports_without_checks_of_its_grades(tmp_path):
    path = tmp_path / "store.sqlite"
    reports = _graded(Store(path))
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE results DROP COLUMN totals")
    db.commit()
    db.close()
    store = Store(path)
    for assignment in {r.assignment for r in reports}:
        expected, light = _both(store, assignment)
        assert light == expected and expected


def test_every_change_of_what_stands_is_told_once_and_nothing_else_is(tmp_path):
    """The LTI passback wakes on these: a grade stored, an override set or deleted, a chosen attempt,
    an extension, a regrade applied; a question asked or answered (a score in the answer is an
    override, told as such), or a queued attempt changes no score and tells nobody, and neither
    does a deletion of nothing."""
    store = Store(tmp_path / "store.sqlite")
    told = []
    store.on_change(lambda: told.append(1))
    store.on_change(lambda: 1 / 0)  # a broken listener costs neither the change nor the others

    def tells(change) -> int:
        before = len(told)
        change()
        return len(told) - before

    report = _graded(store)[0]
    assert len(told) == len(list(GOLDEN.glob("*.json")))  # each grade stored
    a, s = report.assignment, report.student_id
    override = Override(report.tasks[0].name, 0.0, "see me", "prof", "2026-12-07T10:00:00.000000Z")
    assert tells(lambda: store.set_override(a, s, override, None)) == 1
    assert tells(lambda: store.delete_override(a, s, override.task, "prof")) == 1
    assert tells(lambda: store.delete_override(a, s, override.task, "prof")) == 0
    assert tells(lambda: store.choose(a, s, "id0", "prof")) == 1
    extension = Extension("2030-01-01T00:00:00+00:00", None, "ill", "prof", "2026-12-07T10:00:00.000000Z")
    assert tells(lambda: store.set_extension(a, s, extension, "prof")) == 1
    asked = ReviewRequest("r1", "id0", a, s, override.task, "why?", "2026-12-07T10:00:00.000000Z")
    assert tells(lambda: store.add_request(asked)) == 0
    assert tells(lambda: store.answer_request("r1", "fine", None, "prof")) == 0
    assert tells(lambda: store.add_submission("id9", a, s, "1" * 64, "x.ipynb", 1, "2026-12-07T11:00:00.000000Z",
                                              10, 0.0, 2**40)) == 0
    run = store.start_regrade(a, "prof")
    assert tells(lambda: store.apply_regrade(run, "prof")) == 1
