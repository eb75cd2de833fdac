"""What every back end runs for one unit, and what it gives back.

`grade`'s process pool, the course server's pool and a Dask worker all run `run_unit`: the
grade as the engine made it (what a gradebook keeps), the key of the grader that made it,
and, given the rules, the report's two files as the grade counts under them. A report is
thus made, keyed and shown the same way wherever it is graded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import grading
from .grader_version import loaded_grader_key
from .policy import Policy
from .records import Report
from .render.reports import report_files

# The key of a report the grader could not finish (its process died, the cluster gave up): never the
# key of any grader, so the course server grades it again when it next starts.
FAILED = "crashed"


@dataclass(frozen=True)
class Graded:
    report: Report  # as the engine made it, without the late penalty (`Policy.final` applies it when read)
    grader_key: str  # of the code that made it
    files: dict[str, str] | None = None  # report.json and report.html of the report as it counts


def run_unit(unit: grading.Unit, policy: Policy | None = None) -> Graded:
    """The unit graded and keyed; with `policy`, also its report's files."""
    report = grading.grade(unit)  # looked up when called: a test's worker plugin may stand in for it
    return graded(unit, report, loaded_grader_key(unit.course_root, unit.assignment), policy)


def graded(unit: grading.Unit, report: Report, grader_key: str, policy: Policy | None) -> Graded:
    """`report` of `unit` as a back end gives it back; with `policy`, its files as the grade counts,
    rendered with the unit's course's templates."""
    files = None if policy is None else report_files(policy.final(report), Path(unit.course_root) / "templates")
    return Graded(report, grader_key, files)
