"""nbgrader interop: a source notebook for `nbgrader generate_assignment`, and our grades in its gradebook.

nbgrader has one notebook per assignment for the whole class; ours differ per student. The
source notebook written here is the variant of a pseudo-student, SOURCE_ID, which no roster
can contain: nbgrader learns the assignment's cells, grade cells and points from it, and the
instructor gets a solved copy. Students still get their own notebooks from `generate`; one
who hands in nbgrader's shared release is graded against their own variant and flagged.

Grades reach nbgrader as one grade cell per task, the task's self-check cell
(`<task>_selfcheck`, worth the task's points), so formgrader and `nbgrader export` show
them; the submission and our report go where nbgrader keeps its own autograded notebooks
and feedback, under the course root that holds the gradebook file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..course import Course
from ..errors import UserError
from ..gradebook import Gradebook
from ..notebooks import build_notebook, cell_grade_id, template_cells, write_notebook
from ..records import Submission
from ..roster import Roster
from ..intake import find_submissions
from ..variants import Variant

SOURCE_ID = "(nbgrader source)"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# Roster columns that nbgrader's Student record has under the same name.
STUDENT_FIELDS = ("first_name", "last_name", "email", "lms_user_id")


# --- the source notebook ------------------------------------------------------------

def source_notebook(course: Course, name: str, secret: bytes):
    """The SOURCE_ID variant, solution cells holding the reference body between nbgrader's markers."""
    assignment = course.assignment(name)
    variant = Variant.derive(secret, name, SOURCE_ID)
    solved = {c.grade_id: c.source for c in template_cells(course, assignment, variant, solutions=True)}
    nb = build_notebook(course, assignment, variant)
    for cell in nb.cells:
        if cell.metadata["autograder"]["role"] == "solution":
            cell.source = _marked(cell.source, solved[cell_grade_id(cell)])
    return nb


def _marked(stub: str, solved: str) -> str:
    # A stub is the solved cell with the function's body replaced by two lines (see
    # notebooks.function_source), so what follows the stub's head in the solved cell is the
    # body; nbgrader's ClearSolutions turns the marked body back into exactly those two lines.
    stub_lines, solved_lines = stub.splitlines(), solved.splitlines()
    head = stub_lines[:-2]
    if solved_lines[: len(head)] != head:
        raise ValueError("a solution cell's stub is not a prefix of its reference; cannot mark the solution")
    indent = stub_lines[-1][: len(stub_lines[-1]) - len(stub_lines[-1].lstrip())]
    return "\n".join([*head, indent + BEGIN, *solved_lines[len(head):], indent + END])


def write_source(course: Course, name: str, secret: bytes, nbgrader_root: Path) -> Path:
    path = Path(nbgrader_root) / "source" / name / f"{name}.ipynb"
    write_notebook(source_notebook(course, name, secret), path)
    return path


# --- grades into nbgrader's gradebook ---------------------------------------------------

def record_grades(course: Course, name: str, roster: Roster, submissions: Path, out: Path,
                  our_gradebook: Path, gradebook: Path) -> int:
    """After `grade`: every submitted student's task scores into nbgrader's gradebook; returns how many."""
    api = _nbgrader_api()
    # An existing one only: nbgrader creates its database with its own migrations (and the
    # `alembic` command), and a mistyped path must not start a second, empty gradebook.
    gradebook = Path(gradebook).resolve()
    if not gradebook.is_file():
        raise UserError(f"{gradebook}: no nbgrader gradebook there (any nbgrader command in the course creates it)")
    root = gradebook.parent
    ours = Gradebook(our_gradebook)
    reports = ours.reports(name, roster.student_ids)
    ours.close()
    found = find_submissions(submissions, name, roster).by_student
    assignment = course.assignment(name)
    cells = {task.name: f"{task.name}_selfcheck" for task in assignment.tasks}
    rows = {row["student_id"]: row for row in roster.rows}
    recorded = 0
    # course_id "" is what nbgrader's own commands use unless a course sets CourseDirectory.course_id.
    with api.Gradebook(f"sqlite:///{gradebook}", course_id="") as gb:
        gb.update_or_create_assignment(name)
        gb.update_or_create_notebook(name, name)
        for task in assignment.tasks:
            gb.update_or_create_grade_cell(cells[task.name], name, name, max_score=task.points, cell_type="code")
        for report in reports:
            sid = report.student_id
            if not report.submitted:
                continue  # nbgrader's own way of saying "no submission" is having none
            row = rows.get(sid, {})
            gb.update_or_create_student(sid, **{f: row[f] for f in STUDENT_FIELDS if row.get(f)})
            grades = _grades(gb, api, name, sid, list(cells.values()))
            for task in report.tasks:
                grade = grades[cells[task.name]]
                grade.auto_score = task.score
                grade.needs_manual_grade = False
            gb.db.commit()
            _copy_files(root, name, sid, found.get(sid), Path(out) / sid / "report.html")
            recorded += 1
    return recorded


def _grades(gb, api, name: str, sid: str, cells: list[str]) -> dict:
    gb.update_or_create_submission(name, sid)
    try:
        return {cell: gb.find_grade(cell, name, name, sid) for cell in cells}
    except api.MissingEntry:
        # The submission predates a grade cell; nbgrader builds a submission's grades only when
        # it is added, so it is added again.
        gb.remove_submission(name, sid)
        gb.add_submission(name, sid)
        return {cell: gb.find_grade(cell, name, name, sid) for cell in cells}


def _copy_files(root: Path, name: str, sid: str, submission: Submission | None, report_html: Path) -> None:
    if submission is not None:
        autograded = root / "autograded" / sid / name / f"{name}.ipynb"
        autograded.parent.mkdir(parents=True, exist_ok=True)
        autograded.write_bytes(submission.data)
    if report_html.is_file():
        feedback = root / "feedback" / sid / name / f"{name}.html"
        feedback.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report_html, feedback)


def _nbgrader_api():
    try:
        from nbgrader import api
    except ImportError:
        raise UserError("--nbgrader-gradebook needs nbgrader: pip install 'nbgrader>=0.9,<0.10'") from None
    return api
