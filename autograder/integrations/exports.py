"""Grade tables for an LMS, from the gradebook: our grades.csv, a Canvas import, a Moodle import.

Canvas turns every column it does not know into a new assignment, so its file has the
student columns Canvas itself exports, one column for the assignment and a "Points
Possible" row, nothing else: per-task scores and other roster columns would each become an
assignment. Moodle's import maps each column to a grade item (or ignores it) in its import
form, so its file keeps per-task columns and the roster's other columns.
"""

from __future__ import annotations

import io

from .. import csvfile
from ..assignment import Assignment
from ..errors import UserError
from ..gradebook import _num, grades_csv
from ..records import Report
from ..roster import Roster

FORMATS = ("csv", "canvas", "moodle")
CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Roster columns that fill Canvas's student columns: its own header, the snake_case one, or what
# else a roster calls it (Canvas matches a row by any of ID, SIS User ID and SIS Login ID).
CANVAS_FROM_ROSTER = {
    "Student": ("Student", "name"),
    "ID": ("ID", "canvas_id", "canvas_user_id", "lms_id"),
    "SIS User ID": ("SIS User ID", "sis_user_id"),
    "SIS Login ID": ("SIS Login ID", "sis_login_id", "login_id", "username"),
    "Section": ("Section", "section"),
}
# Moodle identifies users by one of these fields; the first the roster has is used.
MOODLE_IDENTIFIERS = ("email", "idnumber", "username")


def export(fmt: str, assignment: Assignment, reports: list[Report], roster: Roster, canvas_id: str | None = None) -> str:
    graded = {r.student_id for r in reports}
    missing = [sid for sid in roster.student_ids if sid not in graded]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise UserError(f"the gradebook has no grade of {assignment.name} for {shown}; run `autograder grade` first")
    if fmt == "csv":
        return grades_csv(reports, [t.name for t in assignment.tasks], list(roster.rows), list(roster.columns))
    by_student = {r.student_id: r for r in reports}
    if fmt == "canvas":
        return _canvas(assignment, by_student, roster, canvas_id)
    return _moodle(assignment, by_student, roster)


def _canvas(assignment: Assignment, by_student: dict[str, Report], roster: Roster, canvas_id: str | None) -> str:
    title = f"{assignment.name} ({canvas_id})" if canvas_id else assignment.name
    out, writer = _writer()
    writer.writerow([*CANVAS_STUDENT_COLUMNS, title])
    writer.writerow(["Points Possible", "", "", "", "", _num(assignment.max_score)])
    for row in roster.rows:
        student = [_first(row, CANVAS_FROM_ROSTER[c]) for c in CANVAS_STUDENT_COLUMNS]
        if not any(student[1:4]):
            student[2] = row["student_id"]  # Canvas needs an id to match; a university id is usually the SIS one
        if not student[0] and row.get("last_name"):
            student[0] = f"{row['last_name']}, {row.get('first_name', '')}".strip(", ")
        writer.writerow([*student, _num(by_student[row["student_id"]].score)])
    return out.getvalue()


def _moodle(assignment: Assignment, by_student: dict[str, Report], roster: Roster) -> str:
    identifier = next((c for c in MOODLE_IDENTIFIERS if c in roster.columns), None)
    source = identifier or "student_id"
    extra = [c for c in roster.columns if c != source]
    tasks = [t.name for t in assignment.tasks]
    out, writer = _writer()
    writer.writerow([identifier or "idnumber", assignment.name, *(f"{assignment.name}: {t}" for t in tasks), *extra])
    for row in roster.rows:
        report = by_student[row["student_id"]]
        scores = report.task_scores()
        writer.writerow([row[source], _num(report.score), *(_num(scores.get(t, 0.0)) for t in tasks),
                         *(row.get(c, "") for c in extra)])
    return out.getvalue()


def _first(row: dict, names: tuple[str, ...]) -> str:
    return next((row[n] for n in names if row.get(n)), "")


def _writer():
    out = io.StringIO()
    return out, csvfile.Writer(out)
