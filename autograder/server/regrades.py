"""Regrades: every finished attempt of an assignment graded again by the grader on disk, on a pool
of its own; a preview of whose grade would change (task by task, and the checks that flip) before
staff apply it (each attempt's standing grade becomes its new one, in one transaction) or discard it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import regrade
from ..grader_version import grader_key
from ..records import Report
from .auth import Person
from .dispatch import Dispatcher
from .service import Service
from .store import Attempt, Regrade


def start(svc: Service, person: Person, assignment: str) -> int:
    """A preview run of every finished attempt; an earlier open one is discarded. Its id."""
    run = svc.store.start_regrade(assignment, person.id)
    # A fresh pool for the preview, so that the grader's code as it is on disk now is the code
    # that regrades; uploads stay with the pool in force.
    svc.on_loop(Dispatcher.open_preview)
    return run


def close(svc: Service, person: Person, run: int, apply: bool) -> None:
    if apply:
        svc.store.apply_regrade(run, person.id)
    else:
        svc.store.discard_regrade(run, person.id)
    svc.on_loop(Dispatcher.close_preview, apply)


@dataclass(frozen=True)
class RegradeView:
    run: Regrade | None  # the latest regrade
    changes: list[regrade.Change]  # once the open run's every attempt is regraded: whose grade changes
    unchanged: int  # how many students' grades would not
    stale: int  # graded attempts graded by another grader version than the one on disk now
    graded: int
    names: dict[str, str]


def view(svc: Service, assignment: str) -> RegradeView:
    """The regrade page: the latest run, and once it is done, whose grade would change."""
    run = svc.store.latest_regrade(assignment)
    changes, unchanged = [], 0
    if run is not None and run.state == "running" and run.done == run.total:
        changes, unchanged = _changes(svc, assignment, run.id)
    keys = svc.store.grader_keys(assignment)
    current = grader_key(svc.course, assignment)
    return RegradeView(run, changes, unchanged, sum(key != current for key in keys), len(keys), svc.names())


def _changes(svc: Service, assignment: str, run: int) -> tuple[list[regrade.Change], int]:
    """Each student's standing now against their standing with every attempt's new report,
    the largest losses first."""
    new_reports = svc.store.regrade_reports(run)
    old, new = [], []
    for sid, attempts, rules in svc.class_rules(assignment):
        if not attempts:
            continue
        old.append(svc.standing(assignment, sid, attempts, rules).report)
        regraded = [_replaced(a, new_reports.get(a.id)) for a in attempts]
        new.append(svc.standing(assignment, sid, regraded, rules).report)
    changes = sorted(regrade.compare(old, new), key=lambda c: (c.new_score - (c.old_score or 0.0), c.student_id))
    return changes, len(new) - len(changes)


def _replaced(found: Attempt, report: Report | None) -> Attempt:
    return found if report is None else replace(found, report=report, status=report.status)
