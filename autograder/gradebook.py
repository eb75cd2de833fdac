"""The gradebook: every finished grade, in SQLite, written as each submission finishes.

A row is keyed by (assignment, student) and remembers what it was computed from: the
submission's hash, the variant, and the grader key (grader version plus a digest of the
assignment's definition and reference). A re-run skips a student whose three are
unchanged and regrades the rest, so an interrupted run loses nothing already graded.
`grades.csv` and the class summary are produced from here.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

from . import csvfile
from .records import Report

SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    submission_sha256 TEXT,
    variant TEXT NOT NULL,
    grader_key TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (assignment, student_id)
);
CREATE TABLE IF NOT EXISTS checks (
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    task TEXT NOT NULL,
    name TEXT NOT NULL,
    passed INTEGER NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    mistake TEXT
);
CREATE INDEX IF NOT EXISTS checks_by_student ON checks (assignment, student_id);
"""


class Gradebook:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        # WAL: a kill -9 between transactions leaves every committed grade intact.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    @classmethod
    def read_only(cls, path: Path | str) -> "Gradebook":
        """The gradebook opened for reading only (a missing one reads as empty): a preview changes nothing."""
        book = cls.__new__(cls)
        book.path = Path(path)
        # Without a write-ahead log left over (an interrupted run), the file is read as immutable:
        # plain read-only mode would still create the -shm and -wal files beside it.
        wal = book.path.with_name(book.path.name + "-wal").exists()
        mode = "?mode=ro" if wal else "?mode=ro&immutable=1"
        uri = book.path.resolve().as_uri() + mode if book.path.exists() else "file::memory:?mode=memory"
        book.db = sqlite3.connect(uri, uri=True)
        if not book.path.exists():
            book.db.executescript(SCHEMA)
        return book

    def close(self) -> None:
        self.db.close()

    def is_current(self, assignment: str, student_id: str, sha256: str | None, variant: str, grader_key: str) -> bool:
        row = self.db.execute(
            "SELECT submission_sha256, variant, grader_key FROM grades WHERE assignment=? AND student_id=?",
            (assignment, student_id),
        ).fetchone()
        return row is not None and tuple(row) == (sha256, variant, grader_key)

    def store(self, report: Report, grader_key: str) -> None:
        """Record one student's report and its checks in a single transaction."""
        assignment, student = report.assignment, report.student_id
        sha = None if report.submission is None else report.submission.sha256
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?)",
                (assignment, student, sha, report.variant, grader_key, report.status,
                 report.score, report.max_score, json.dumps(report.to_json(), sort_keys=True)),
            )
            self.db.execute("DELETE FROM checks WHERE assignment=? AND student_id=?", (assignment, student))
            self.db.executemany(
                "INSERT INTO checks VALUES (?,?,?,?,?,?,?,?)",
                [(assignment, student, check.task, check.name, int(check.passed), check.score, check.max_score,
                  check.mistake) for check in report.checks()],
            )

    def report(self, assignment: str, student_id: str) -> Report | None:
        row = self.db.execute(
            "SELECT report FROM grades WHERE assignment=? AND student_id=?", (assignment, student_id)
        ).fetchone()
        return None if row is None else Report.from_json(json.loads(row[0]))

    def reports(self, assignment: str, student_ids: list[str]) -> list[Report]:
        return [r for r in (self.report(assignment, s) for s in student_ids) if r is not None]


def grades_csv(reports: list[Report], task_names: list[str], roster_rows: list[dict], roster_columns: list[str]) -> str:
    """One row per student: student_id, score, max_score, one column per task, status (graded,
    ungradable, or missing: nothing handed in), late (yes or empty), then the roster's other columns."""
    extra = [c for c in roster_columns if c != "student_id"]
    by_student = {r.student_id: r for r in reports}
    out = io.StringIO()
    writer = csvfile.Writer(out)
    writer.writerow(["student_id", "score", "max_score", *task_names, "status", "late", *extra])
    for row in roster_rows:
        report = by_student[row["student_id"]]
        scores = report.task_scores()
        writer.writerow([row["student_id"], _num(report.score), _num(report.max_score),
                         *(_num(scores.get(t, 0.0)) for t in task_names), report.state,
                         "yes" if report.late else "",
                         *(row.get(c, "") for c in extra)])
    return out.getvalue()


def _num(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))
