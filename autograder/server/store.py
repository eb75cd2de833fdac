"""Everything the server remembers, and the only module that speaks SQL.

SQLite in WAL mode with full sync: a commit is on disk when it returns, so a `kill -9`
(or a power cut) loses nothing committed. Each thread has its own connection. The SQL
is plain enough (RETURNING, ON CONFLICT) that a PostgreSQL back end is a matter of
`connect()` and its placeholders.

Tables: people (sign-in token hashes), sessions (browser cookies, hashed), submissions
(one per upload; the file itself is in `blobs`), jobs (the durable queue), results (every
grade ever computed, one per finished job, never changed), overrides (staff's per-task
scores), regrades (preview runs) and events (who did what, when).

A submission points at the result that currently stands for it; a regrade applied moves
that pointer, so every earlier grade stays on record.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..records import Override, Report

log = logging.getLogger("autograder.server")

SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('student', 'staff')),
    token_hash TEXT UNIQUE,
    issued_at TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    person TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'graded', 'ungradable')),
    result_job INTEGER,
    handed_in_by TEXT
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions (assignment, student_id, seq);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL,
    regrade INTEGER,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
    priority INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    enqueued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (state, priority, id);
CREATE INDEX IF NOT EXISTS jobs_of_regrade ON jobs (regrade);
CREATE INDEX IF NOT EXISTS jobs_of_submission ON jobs (submission_id);
CREATE INDEX IF NOT EXISTS submissions_of_student ON submissions (student_id, status);
CREATE TABLE IF NOT EXISTS results (
    job_id INTEGER PRIMARY KEY,
    submission_id TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    grader_key TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    report TEXT NOT NULL,
    totals TEXT
);
CREATE TABLE IF NOT EXISTS overrides (
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    task TEXT NOT NULL,
    score REAL NOT NULL,
    comment TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    code TEXT,
    PRIMARY KEY (assignment, student_id, task)
);
CREATE TABLE IF NOT EXISTS counting (
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (assignment, student_id)
);
CREATE TABLE IF NOT EXISTS extensions (
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    due TEXT NOT NULL,
    cutoff TEXT,
    comment TEXT NOT NULL,
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (assignment, student_id)
);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    submission_id TEXT NOT NULL,
    assignment TEXT NOT NULL,
    student_id TEXT NOT NULL,
    task TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL,
    answer TEXT,
    score REAL,
    answered_by TEXT,
    answered_at TEXT
);
CREATE TABLE IF NOT EXISTS regrades (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'applied', 'discarded')),
    closed_by TEXT,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    person TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

UPLOAD, REGRADE = 0, 1  # job priorities: a student waiting comes before a preview
# Columns added since the first release, for data folders made before them, each with what it holds
# for the rows already there.
ADDED_COLUMNS = (("submissions", "handed_in_by", "TEXT", None), ("overrides", "code", "TEXT", None),
                 ("results", "totals", "TEXT",
                  "json_set(report, '$.tasks', (SELECT json_group_array(json(json_remove(t.value, '$.checks'))) "
                  "FROM json_each(report, '$.tasks') t))"))


def now() -> str:
    """UTC, ISO 8601 with microseconds: sorts as text, reads as a date."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Attempt:
    id: str
    seq: int
    assignment: str
    student_id: str
    sha256: str
    filename: str
    size: int
    received_at: str
    status: str
    report: Report | None  # the standing result's report, without overrides or lateness
    grader_key: str | None
    handed_in_by: str | None = None  # the staff member who handed it in for the student


@dataclass(frozen=True)
class Held:
    """An override as stored: it holds for grades whose code for its task has the digest `code`."""

    override: Override
    code: str | None


@dataclass(frozen=True)
class Extension:
    due: str  # ISO 8601 with offset
    cutoff: str | None
    comment: str
    by: str
    at: str


@dataclass(frozen=True)
class ReviewRequest:
    id: str
    submission_id: str
    assignment: str
    student_id: str
    task: str
    message: str
    at: str
    answer: str | None = None
    score: float | None = None
    answered_by: str | None = None
    answered_at: str | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "submission": self.submission_id, "assignment": self.assignment,
                "student_id": self.student_id, "task": self.task, "message": self.message, "at": self.at,
                "state": "open" if self.answered_at is None else "answered",
                "answer": None if self.answered_at is None else
                {"comment": self.answer, "score": self.score, "by": self.answered_by, "at": self.answered_at}}


@dataclass(frozen=True)
class Claim:
    """A job of the queue, as the dispatcher took it (its `tries` count this one)."""

    id: int
    submission_id: str
    regrade: int | None
    tries: int


@dataclass(frozen=True)
class Regrade:
    id: int
    assignment: str
    started_by: str
    started_at: str
    state: str
    total: int
    done: int


_PENDING = "SELECT COUNT(*) FROM submissions WHERE student_id = ? AND status IN ('queued', 'running')"
_STORED = "SELECT COALESCE(SUM(size), 0) FROM submissions WHERE assignment = ? AND student_id = ?"
# The waiting jobs, each with its turn: for a student's upload, how many earlier attempts of that
# assignment the student has (0 for their first; one upload job per attempt, so counted on the
# submissions' own index). So one student's second and later attempts wait behind every other
# student's first, their third behind every second, and so on; a regrade job's turn is 0 (regrades
# come after uploads by priority, then in order). Counted through the jobs instead, the turn cost
# every earlier job each: 5 s a claim with 2,000 in the queue, inside the write lock.
_FAIR = """SELECT j.id, j.submission_id, j.priority,
                  CASE WHEN j.regrade IS NULL THEN (
                      SELECT COUNT(*) FROM submissions s2
                      WHERE s2.assignment = s.assignment AND s2.student_id = s.student_id AND s2.seq < s.seq)
                  ELSE 0 END AS turn
           FROM jobs j JOIN submissions s ON s.id = j.submission_id WHERE j.state = 'queued'"""

_ATTEMPT = """SELECT s.id, s.seq, s.assignment, s.student_id, s.sha256, s.filename, s.size, s.received_at,
                     s.status, r.{report}, r.grader_key, s.handed_in_by
              FROM submissions s LEFT JOIN results r ON r.job_id = s.result_job"""


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._listeners: list[Callable[[], None]] = []
        db = self._db()
        db.executescript(SCHEMA)
        for table, column, kind, filled in ADDED_COLUMNS:
            if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                with self._tx():
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                    if filled:
                        db.execute(f"UPDATE {table} SET {column} = {filled}")

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` after every committed change of what stands (a grade stored, an override (a
        review answered with a score sets one), a chosen attempt, an extension, a regrade applied),
        in the thread that made it: it must return at once (the LTI passback only wakes its loop)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener's bug must not undo or fail the change, already committed
                log.exception("a listener of the store failed")

    # --- connections --------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    class _Transaction:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")  # take the write lock now, not halfway through
            return self.db

        def __exit__(self, kind, value, traceback) -> None:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _tx(self) -> "_Transaction":
        return Store._Transaction(self._db())

    def _one(self, sql: str, *args):
        return self._db().execute(sql, args).fetchone()

    def _all(self, sql: str, *args) -> list:
        return self._db().execute(sql, args).fetchall()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- people, tokens and sessions ----------------------------------------------------

    def issue_tokens(self, people: list[tuple[str, str, str]]) -> None:
        """(id, role, token hash) for each person; an earlier token of theirs stops working."""
        at = now()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO people (id, role, token_hash, issued_at, revoked_at) VALUES (?, ?, ?, ?, NULL) "
                "ON CONFLICT (id) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, "
                "issued_at = excluded.issued_at, revoked_at = NULL",
                [(pid, role, token_hash, at) for pid, role, token_hash in people])

    def revoke(self, person: str) -> bool:
        """End a person's access: their token and every session. False if nobody has that id."""
        with self._tx() as db:
            found = db.execute("UPDATE people SET token_hash = NULL, revoked_at = ? WHERE id = ?",
                               (now(), person)).rowcount
            db.execute("DELETE FROM sessions WHERE person = ?", (person,))
        return bool(found)

    def admit(self, person: str, role: str) -> bool:
        """Someone the learning platform signs in (LTI), who may hold no token of ours; False if revoked."""
        with self._tx() as db:
            db.execute("INSERT INTO people (id, role) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", (person, role))
            return db.execute("SELECT revoked_at IS NULL FROM people WHERE id = ?", (person,)).fetchone()[0] == 1

    def person_by_token(self, token_hash: str) -> tuple[str, str, str] | None:
        """(id, role, stored hash) of the token's holder."""
        return self._one("SELECT id, role, token_hash FROM people WHERE token_hash = ? AND revoked_at IS NULL",
                         token_hash)

    def add_session(self, session_hash: str, person: str, expires_at: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now(),))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (session_hash, person, now(), expires_at))

    def person_by_session(self, session_hash: str) -> tuple[str, str, str] | None:
        return self._one("SELECT p.id, p.role, s.hash FROM sessions s JOIN people p ON p.id = s.person "
                         "WHERE s.hash = ? AND s.expires_at > ? AND p.revoked_at IS NULL", session_hash, now())

    def end_session(self, session_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE hash = ?", (session_hash,))

    # --- submissions and the queue ------------------------------------------------------

    def add_submission(self, submission_id: str, assignment: str, student: str, sha256: str, filename: str,
                       size: int, received_at: str, max_pending: int, min_interval: float,
                       quota: int, handed_in_by: str | None = None) -> tuple[str, object]:
        """The attempt and its grading job, in one transaction, if the student may hand in now:
        ("queued", job id), ("busy", attempts waiting), ("too soon", when the last attempt came) or
        ("quota", bytes already stored). `handed_in_by`: the staff member handing it in for the student."""
        with self._tx() as db:
            waiting = db.execute(_PENDING, (student,)).fetchone()[0]
            if waiting >= max_pending:
                return "busy", waiting
            last = db.execute("SELECT MAX(received_at) FROM submissions WHERE assignment = ? AND student_id = ?",
                              (assignment, student)).fetchone()[0]
            if last and (parse_time(received_at) - parse_time(last)).total_seconds() < min_interval:
                return "too soon", last
            used = db.execute(_STORED, (assignment, student)).fetchone()[0]
            if used + size > quota:
                return "quota", used
            db.execute("INSERT INTO submissions (id, assignment, student_id, sha256, filename, size, received_at, "
                       "status, handed_in_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                       (submission_id, assignment, student, sha256, filename, size, received_at, handed_in_by))
            if handed_in_by is not None:
                _event(db, handed_in_by, "handed in", {"assignment": assignment, "student_id": student,
                                                       "submission": submission_id})
            return "queued", db.execute("INSERT INTO jobs (submission_id, state, priority, enqueued_at) "
                                        "VALUES (?, 'queued', ?, ?)", (submission_id, UPLOAD, received_at)).lastrowid

    def pending(self, student: str) -> int:
        """How many of the student's attempts, of any assignment, wait for their grade (queued or running)."""
        return self._one(_PENDING, student)[0]

    def stored(self, assignment: str, student: str) -> int:
        """Bytes of all the student's attempts of the assignment (their quota counts them)."""
        return self._one(_STORED, assignment, student)[0]

    def last_received(self, assignment: str, student: str) -> str | None:
        return self._one("SELECT MAX(received_at) FROM submissions WHERE assignment = ? AND student_id = ?",
                         assignment, student)[0]

    def attempt(self, submission_id: str) -> Attempt | None:
        row = self._one(f"{_ATTEMPT.format(report='report')} WHERE s.id = ?", submission_id)
        return None if row is None else _attempt(row)

    def attempts(self, assignment: str, student: str | None = None, checks: bool = True) -> list[Attempt]:
        """Every attempt, oldest first (of one student, or of the whole class). `checks=False`: each
        report without its checks (`totals`), for tables of scores."""
        sql = _ATTEMPT.format(report="report" if checks else "totals")
        if student is None:
            rows = self._all(f"{sql} WHERE s.assignment = ? ORDER BY s.seq", assignment)
        else:
            rows = self._all(f"{sql} WHERE s.assignment = ? AND s.student_id = ? ORDER BY s.seq", assignment, student)
        return [_attempt(row) for row in rows]

    def tally(self, assignment: str) -> dict[str, int]:
        """How many attempts there are, how many students handed in, and how many attempts wait (queued or
        running)."""
        row = self._one("SELECT COUNT(*), COUNT(DISTINCT student_id), SUM(status IN ('queued', 'running')) "
                        "FROM submissions WHERE assignment = ?", assignment)
        return {"attempts": row[0], "students": row[1], "waiting": int(row[2] or 0)}

    def grader_keys(self, assignment: str) -> list[str]:
        """The grader version of each attempt's standing grade (attempts with a grade only)."""
        return [key for (key,) in self._all("SELECT r.grader_key FROM submissions s JOIN results r "
                                            "ON r.job_id = s.result_job WHERE s.assignment = ?", assignment)]

    def queue_position(self, submission_id: str) -> int | None:
        """1 for the next job to start; None when the attempt's grading job is not waiting."""
        row = self._one(f"WITH q AS ({_FAIR}) SELECT priority, turn, id FROM q WHERE submission_id = ? "
                        "AND priority = ?", submission_id, UPLOAD)
        if row is None:
            return None
        return self._one(f"WITH q AS ({_FAIR}) SELECT COUNT(*) FROM q WHERE (priority, turn, id) <= (?, ?, ?)",
                         *row)[0]

    def queue_length(self) -> tuple[int, int]:
        """(waiting, running) jobs."""
        row = self._one("SELECT SUM(state = 'queued'), SUM(state = 'running') FROM jobs WHERE state != 'done'")
        return int(row[0] or 0), int(row[1] or 0)

    def requeue_interrupted(self) -> int:
        """At start-up: jobs that were running when the server died wait again (their grade was never stored)."""
        with self._tx() as db:
            count = db.execute("UPDATE jobs SET state = 'queued', started_at = NULL WHERE state = 'running'").rowcount
            db.execute("UPDATE submissions SET status = 'queued' WHERE status = 'running'")
        return count

    def claim(self) -> Claim | None:
        """The next job, now marked running; None when nothing waits. Students' uploads come before
        regrades, and take turns: every student's first attempt before anyone's second."""
        with self._tx() as db:
            row = db.execute(
                f"WITH q AS ({_FAIR}) UPDATE jobs SET state = 'running', started_at = ?, tries = tries + 1 WHERE id = "
                "(SELECT id FROM q ORDER BY priority, turn, id LIMIT 1) "
                "RETURNING id, submission_id, regrade, tries", (now(),)).fetchone()
            if row is None:
                return None
            if row[2] is None:
                db.execute("UPDATE submissions SET status = 'running' WHERE id = ?", (row[1],))
        return Claim(*row)

    def requeue(self, job_id: int) -> None:
        """A job whose worker was lost waits again."""
        with self._tx() as db:
            row = db.execute("UPDATE jobs SET state = 'queued', started_at = NULL WHERE id = ? AND state = 'running' "
                             "RETURNING submission_id, regrade", (job_id,)).fetchone()
            if row is not None and row[1] is None:
                db.execute("UPDATE submissions SET status = 'queued' WHERE id = ?", (row[0],))

    def finish(self, job_id: int, report: Report, grader_key: str) -> bool:
        """Store one finished grade in one transaction; False if the job was already finished
        (so that a grade is recorded once, whatever happens around it)."""
        at = now()
        with self._tx() as db:
            row = db.execute("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ? AND state = 'running' "
                             "RETURNING submission_id, regrade", (at, job_id)).fetchone()
            if row is None:
                return False
            submission_id, regrade = row
            db.execute("INSERT INTO results (job_id, submission_id, status, score, grader_key, finished_at, report, "
                       "totals) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, submission_id, report.status, report.score, grader_key, at,
                        json.dumps(report.to_json(), sort_keys=True, allow_nan=False), _totals(report)))
            # A regrade's grade stands once the regrade is applied, also when it comes in after that.
            if regrade is None or db.execute("SELECT state FROM regrades WHERE id = ?",
                                             (regrade,)).fetchone()[0] == "applied":
                db.execute("UPDATE submissions SET status = ?, result_job = ? WHERE id = ?",
                           (report.status, job_id, submission_id))
        self._changed()
        return True

    # --- overrides ----------------------------------------------------------------------

    def overrides(self, assignment: str, student: str | None = None) -> dict[str, list[Override]]:
        """By student: their overrides, in task order of setting."""
        if student is None:
            rows = self._all("SELECT student_id, task, score, comment, by, at, code FROM overrides "
                             "WHERE assignment = ? ORDER BY at", assignment)
        else:
            rows = self._all("SELECT student_id, task, score, comment, by, at, code FROM overrides "
                             "WHERE assignment = ? AND student_id = ? ORDER BY at", assignment, student)
        out: dict[str, list[Held]] = {}
        for sid, *rest, code in rows:
            out.setdefault(sid, []).append(Held(Override(*rest), code))
        return out

    def set_override(self, assignment: str, student: str, override: Override, code: str | None) -> None:
        """`code`: the digest of the task's code the override judged (None: the student handed nothing in)."""
        with self._tx() as db:
            db.execute("INSERT INTO overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (assignment, student_id, task) DO UPDATE SET score = excluded.score, "
                       "comment = excluded.comment, by = excluded.by, at = excluded.at, code = excluded.code",
                       (assignment, student, override.task, override.score, override.comment, override.by, override.at,
                        code))
            _event(db, override.by, "override", {"assignment": assignment, "student_id": student, **override.to_json()})
        self._changed()

    def delete_override(self, assignment: str, student: str, task: str, by: str) -> bool:
        with self._tx() as db:
            gone = db.execute("DELETE FROM overrides WHERE assignment = ? AND student_id = ? AND task = ?",
                              (assignment, student, task)).rowcount
            if gone:
                _event(db, by, "override deleted", {"assignment": assignment, "student_id": student, "task": task})
        if gone:
            self._changed()
        return bool(gone)

    # --- the attempt that counts, extensions, review requests --------------------------

    def chosen(self, assignment: str) -> dict[str, tuple[str, str, str]]:
        """By student: the attempt they (or staff) chose to count, who chose it, and when."""
        return {sid: (sub, by, at) for sid, sub, by, at in
                self._all("SELECT student_id, submission_id, by, at FROM counting WHERE assignment = ?", assignment)}

    def choose(self, assignment: str, student: str, submission_id: str | None, by: str) -> None:
        """The attempt that counts for the student (None: the policy decides again)."""
        with self._tx() as db:
            db.execute("DELETE FROM counting WHERE assignment = ? AND student_id = ?", (assignment, student))
            if submission_id is not None:
                db.execute("INSERT INTO counting VALUES (?, ?, ?, ?, ?)", (assignment, student, submission_id, by, now()))
            _event(db, by, "counting" if submission_id else "counting by policy",
                   {"assignment": assignment, "student_id": student, "submission": submission_id})
        self._changed()

    def extensions(self, assignment: str) -> dict[str, Extension]:
        rows = self._all("SELECT student_id, due, cutoff, comment, by, at FROM extensions WHERE assignment = ?",
                         assignment)
        return {sid: Extension(*rest) for sid, *rest in rows}

    def set_extension(self, assignment: str, student: str, extension: Extension | None, by: str) -> bool:
        """Set (or with None, delete) a student's extension; False when there was none to delete."""
        with self._tx() as db:
            changed = db.execute("DELETE FROM extensions WHERE assignment = ? AND student_id = ?",
                                 (assignment, student)).rowcount
            if extension is not None:
                e = extension
                changed = db.execute("INSERT INTO extensions VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     (assignment, student, e.due, e.cutoff, e.comment, e.by, e.at)).rowcount
            if changed:
                _event(db, by, "extension" if extension else "extension deleted",
                       {"assignment": assignment, "student_id": student,
                        **({} if extension is None else {"due": e.due, "cutoff": e.cutoff, "comment": e.comment})})
        if changed:
            self._changed()
        return bool(changed)

    def add_request(self, request: ReviewRequest) -> None:
        r = request
        with self._tx() as db:
            db.execute("INSERT INTO requests (id, submission_id, assignment, student_id, task, message, at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (r.id, r.submission_id, r.assignment, r.student_id, r.task, r.message, r.at))
            _event(db, r.student_id, "review requested", {"assignment": r.assignment, "student_id": r.student_id,
                                                          "submission": r.submission_id, "task": r.task})

    def requests(self, assignment: str, student: str | None = None, open_only: bool = False) -> list[ReviewRequest]:
        """Oldest first."""
        sql = ("SELECT id, submission_id, assignment, student_id, task, message, at, answer, score, answered_by, "
               "answered_at FROM requests WHERE assignment = ?")
        args: list = [assignment]
        if student is not None:
            sql, args = sql + " AND student_id = ?", args + [student]
        if open_only:
            sql += " AND answered_at IS NULL"
        return [ReviewRequest(*row) for row in self._all(sql + " ORDER BY seq", *args)]

    def request(self, request_id: str) -> ReviewRequest | None:
        row = self._one("SELECT id, submission_id, assignment, student_id, task, message, at, answer, score, "
                        "answered_by, answered_at FROM requests WHERE id = ?", request_id)
        return None if row is None else ReviewRequest(*row)

    def answer_request(self, request_id: str, comment: str, score: float | None, by: str) -> None:
        with self._tx() as db:
            row = db.execute("UPDATE requests SET answer = ?, score = ?, answered_by = ?, answered_at = ? "
                             "WHERE id = ? RETURNING assignment, student_id, task",
                             (comment, score, by, now(), request_id)).fetchone()
            _event(db, by, "review answered", {"assignment": row[0], "student_id": row[1], "task": row[2],
                                               "request": request_id, "comment": comment, "score": score})

    def history(self, assignment: str, student: str | None = None) -> list[tuple[str, str, str, dict]]:
        """Every recorded change about the assignment (and student): (at, who, action, detail), newest first."""
        rows = self._all("SELECT at, person, action, detail FROM events ORDER BY seq DESC")
        out = []
        for at, person, action, detail in rows:
            facts = json.loads(detail)
            if facts.get("assignment") == assignment and (student is None or facts.get("student_id") == student):
                out.append((at, person, action, facts))
        return out

    # --- regrades -----------------------------------------------------------------------

    def start_regrade(self, assignment: str, by: str) -> int:
        """A preview run: one job per finished attempt of the assignment. An earlier open run is discarded."""
        at = now()
        with self._tx() as db:
            db.execute("UPDATE jobs SET state = 'done', finished_at = ? WHERE state = 'queued' AND regrade IN "
                       "(SELECT id FROM regrades WHERE assignment = ? AND state = 'running')", (at, assignment))
            db.execute("UPDATE regrades SET state = 'discarded', closed_by = ?, closed_at = ? "
                       "WHERE assignment = ? AND state = 'running'", (by, at, assignment))
            run = db.execute("INSERT INTO regrades (assignment, started_by, started_at, state) "
                             "VALUES (?, ?, ?, 'running')", (assignment, by, at)).lastrowid
            db.execute("INSERT INTO jobs (submission_id, regrade, state, priority, enqueued_at) "
                       "SELECT id, ?, 'queued', ?, ? FROM submissions WHERE assignment = ? "
                       "AND status IN ('graded', 'ungradable') ORDER BY seq", (run, REGRADE, at, assignment))
            _event(db, by, "regrade preview", {"assignment": assignment, "run": run})
        return run

    def regrade(self, run: int) -> Regrade | None:
        row = self._one("SELECT g.id, g.assignment, g.started_by, g.started_at, g.state, COUNT(j.id), "
                        "SUM(j.state = 'done') FROM regrades g LEFT JOIN jobs j ON j.regrade = g.id "
                        "WHERE g.id = ? GROUP BY g.id", run)
        return None if row is None else Regrade(*row[:6], int(row[6] or 0))

    def latest_regrade(self, assignment: str) -> Regrade | None:
        row = self._one("SELECT MAX(id) FROM regrades WHERE assignment = ?", assignment)
        return None if row[0] is None else self.regrade(row[0])

    def regrade_reports(self, run: int) -> dict[str, Report]:
        """The preview's new report of each attempt, by submission id."""
        rows = self._all("SELECT r.submission_id, r.report FROM results r JOIN jobs j ON j.id = r.job_id "
                         "WHERE j.regrade = ?", run)
        return {sid: Report.from_json(json.loads(report)) for sid, report in rows}

    def apply_regrade(self, run: int, by: str) -> int:
        """Every attempt's standing grade becomes the preview's; returns how many changed hands."""
        with self._tx() as db:
            state = db.execute("SELECT state FROM regrades WHERE id = ?", (run,)).fetchone()
            if state is None or state[0] != "running":
                return 0
            moved = db.execute(
                "UPDATE submissions SET result_job = (SELECT r.job_id FROM results r JOIN jobs j ON j.id = r.job_id "
                "WHERE j.regrade = ? AND r.submission_id = submissions.id), status = (SELECT r.status FROM results r "
                "JOIN jobs j ON j.id = r.job_id WHERE j.regrade = ? AND r.submission_id = submissions.id) "
                "WHERE id IN (SELECT r.submission_id FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.regrade = ?)",
                (run, run, run)).rowcount
            db.execute("UPDATE regrades SET state = 'applied', closed_by = ?, closed_at = ? WHERE id = ?",
                       (by, now(), run))
            # Attempts graded during the preview, by the grader then in force, are graded again by
            # the new one (their grade stands when it comes: the run is applied).
            db.execute("INSERT INTO jobs (submission_id, regrade, state, priority, enqueued_at) "
                       "SELECT s.id, ?, 'queued', ?, ? FROM submissions s JOIN regrades g ON g.id = ? "
                       "WHERE s.assignment = g.assignment AND s.status IN ('graded', 'ungradable') "
                       "AND s.id NOT IN (SELECT submission_id FROM jobs WHERE regrade = ?) ORDER BY s.seq",
                       (run, REGRADE, now(), run, run))
            assignment = db.execute("SELECT assignment FROM regrades WHERE id = ?", (run,)).fetchone()[0]
            _event(db, by, "regrade applied", {"assignment": assignment, "run": run, "attempts": moved})
        self._changed()
        return moved

    def discard_regrade(self, run: int, by: str) -> None:
        with self._tx() as db:
            found = db.execute("UPDATE regrades SET state = 'discarded', closed_by = ?, closed_at = ? WHERE id = ? "
                               "AND state = 'running' RETURNING assignment", (by, now(), run)).fetchone()
            db.execute("UPDATE jobs SET state = 'done', finished_at = ? WHERE regrade = ? AND state = 'queued'",
                       (now(), run))
            if found:
                _event(db, by, "regrade discarded", {"assignment": found[0], "run": run})


def _event(db: sqlite3.Connection, person: str, action: str, detail: dict) -> None:
    db.execute("INSERT INTO events (at, person, action, detail) VALUES (?, ?, ?, ?)",
               (now(), person, action, json.dumps(detail, sort_keys=True)))


def _totals(report: Report) -> str:
    """The report without its checks: its total, tasks' scores, warnings and lateness, all that a table
    of scores reads. Decoding a whole report (its checks' details and figures) costs about 1 ms, which
    a class table of 1,000 students with 2,000 attempts would pay on every look."""
    data = report.to_json()
    data["tasks"] = [{key: value for key, value in task.items() if key != "checks"} for task in data["tasks"]]
    return json.dumps(data, sort_keys=True, allow_nan=False)


def _attempt(row) -> Attempt:
    *head, report, grader_key, by = row
    return Attempt(*head, None if report is None else Report.from_json(json.loads(report)), grader_key, by)
