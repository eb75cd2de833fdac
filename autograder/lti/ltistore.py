"""What LTI remembers, in `DATA/lti.sqlite` beside the server's own database: nonces issued at
login (each used once), one-time codes that open a session outside the LMS's frame, who the
platform's user ids are, each course context's service URLs, line items, and the passback
state of every score.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS codes (hash TEXT PRIMARY KEY, person TEXT NOT NULL, role TEXT NOT NULL,
                                  target TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS links (sub TEXT PRIMARY KEY, person TEXT NOT NULL, role TEXT NOT NULL,
                                  context_id TEXT, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (id TEXT PRIMARY KEY, title TEXT NOT NULL, memberships_url TEXT,
                                     lineitems_url TEXT, scopes TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS line_items (context_id TEXT NOT NULL, assignment TEXT NOT NULL, url TEXT NOT NULL,
                                       PRIMARY KEY (context_id, assignment));
CREATE TABLE IF NOT EXISTS passback (
    context_id TEXT NOT NULL, assignment TEXT NOT NULL, student_id TEXT NOT NULL,
    wanted TEXT NOT NULL,            -- the score to post, JSON {"score", "max_score"}
    posted TEXT,                     -- the last one the platform accepted
    state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0, error TEXT, next_try REAL NOT NULL DEFAULT 0, at TEXT NOT NULL,
    PRIMARY KEY (context_id, assignment, student_id));
CREATE TABLE IF NOT EXISTS releases (assignment TEXT PRIMARY KEY, by TEXT NOT NULL, at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Context:
    id: str
    title: str
    memberships_url: str | None
    lineitems_url: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Passback:
    context_id: str
    assignment: str
    student_id: str
    wanted: dict
    posted: dict | None
    state: str
    tries: int
    error: str | None
    at: str


class LtiStore:
    def __init__(self, path: Path):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def _run(self, sql: str, *args) -> list:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        self._db.close()

    # --- login and launch ---------------------------------------------------------------

    def add_nonce(self, nonce: str, lifetime: float) -> None:
        now = time.time()
        self._run("DELETE FROM nonces WHERE expires < ?", now)
        self._run("INSERT INTO nonces VALUES (?, ?)", nonce, now + lifetime)

    def use_nonce(self, nonce: str) -> bool:
        """True once for a nonce we issued and that has not expired; False ever after."""
        return bool(self._run("DELETE FROM nonces WHERE nonce = ? AND expires >= ? RETURNING nonce", nonce, time.time()))

    def add_code(self, code_hash: str, person: str, role: str, target: str, lifetime: float) -> None:
        now = time.time()
        self._run("DELETE FROM codes WHERE expires < ?", now)
        self._run("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", code_hash, person, role, target, now + lifetime)

    def use_code(self, code_hash: str) -> tuple[str, str, str] | None:
        rows = self._run("DELETE FROM codes WHERE hash = ? AND expires >= ? RETURNING person, role, target",
                         code_hash, time.time())
        return tuple(rows[0]) if rows else None

    # --- who is who, and where ----------------------------------------------------------

    def link(self, sub: str, person: str, role: str, context_id: str | None, at: str) -> None:
        self._run("INSERT INTO links VALUES (?, ?, ?, ?, ?) ON CONFLICT (sub) DO UPDATE SET person = excluded.person, "
                  "role = excluded.role, context_id = COALESCE(excluded.context_id, links.context_id), at = excluded.at",
                  sub, person, role, context_id, at)

    def person_of(self, sub: str) -> tuple[str, str] | None:
        rows = self._run("SELECT person, role FROM links WHERE sub = ?", sub)
        return tuple(rows[0]) if rows else None

    def links(self, role: str) -> dict[str, str]:
        """The platform's user id → our person, for everyone of `role` matched so far."""
        return dict(self._run("SELECT sub, person FROM links WHERE role = ?", role))

    def students_of(self, context_id: str) -> dict[str, str]:
        """student id → the platform's user id, for the students seen in this context."""
        return dict(self._run("SELECT person, sub FROM links WHERE role = 'student' AND context_id = ?", context_id))

    def save_context(self, context: Context, at: str) -> None:
        self._run("INSERT INTO contexts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
                  "memberships_url = COALESCE(excluded.memberships_url, contexts.memberships_url), "
                  "lineitems_url = COALESCE(excluded.lineitems_url, contexts.lineitems_url), "
                  "scopes = excluded.scopes, at = excluded.at",
                  context.id, context.title, context.memberships_url, context.lineitems_url,
                  json.dumps(list(context.scopes)), at)

    def contexts(self) -> list[Context]:
        return [Context(i, t, m, li, tuple(json.loads(s)))
                for i, t, m, li, s in self._run("SELECT id, title, memberships_url, lineitems_url, scopes "
                                                "FROM contexts ORDER BY at DESC")]

    def line_item(self, context_id: str, assignment: str) -> str | None:
        rows = self._run("SELECT url FROM line_items WHERE context_id = ? AND assignment = ?", context_id, assignment)
        return rows[0][0] if rows else None

    def save_line_item(self, context_id: str, assignment: str, url: str) -> None:
        self._run("INSERT OR REPLACE INTO line_items VALUES (?, ?, ?)", context_id, assignment, url)

    # --- passback -----------------------------------------------------------------------

    def want(self, context_id: str, assignment: str, student: str, wanted: dict, at: str) -> bool:
        """Record the score that should stand in the platform; True when it differs from what was
        wanted before (it is then pending), False when nothing changes (nothing is posted twice)."""
        text = json.dumps(wanted, sort_keys=True)
        rows = self._run("SELECT wanted FROM passback WHERE context_id = ? AND assignment = ? AND student_id = ?",
                         context_id, assignment, student)
        if rows and rows[0][0] == text:
            return False
        self._run("INSERT INTO passback (context_id, assignment, student_id, wanted, state, at) "
                  "VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO UPDATE SET wanted = excluded.wanted, "
                  "state = CASE WHEN passback.posted = excluded.wanted THEN 'posted' ELSE 'pending' END, "
                  "tries = 0, error = NULL, next_try = 0, at = excluded.at",
                  context_id, assignment, student, text, at)
        return True

    def due(self, now: float) -> list[Passback]:
        return self._passbacks("WHERE state != 'posted' AND next_try <= ?", now)

    def posted(self, item: Passback, at: str) -> None:
        self._run("UPDATE passback SET posted = ?, state = 'posted', error = NULL, at = ? WHERE context_id = ? "
                  "AND assignment = ? AND student_id = ? AND wanted = ?", json.dumps(item.wanted, sort_keys=True),
                  at, item.context_id, item.assignment, item.student_id, json.dumps(item.wanted, sort_keys=True))

    def failed(self, item: Passback, error: str, next_try: float, at: str) -> None:
        self._run("UPDATE passback SET state = 'failed', tries = tries + 1, error = ?, next_try = ?, at = ? "
                  "WHERE context_id = ? AND assignment = ? AND student_id = ? AND wanted = ?", error[:500], next_try,
                  at, item.context_id, item.assignment, item.student_id, json.dumps(item.wanted, sort_keys=True))

    def retry_now(self, assignment: str) -> None:
        self._run("UPDATE passback SET next_try = 0 WHERE assignment = ? AND state = 'failed'", assignment)

    def passbacks(self, assignment: str) -> list[Passback]:
        return self._passbacks("WHERE assignment = ? ORDER BY student_id", assignment)

    def _passbacks(self, where: str, *args) -> list[Passback]:
        rows = self._run("SELECT context_id, assignment, student_id, wanted, posted, state, tries, error, at "
                         f"FROM passback {where}", *args)
        return [Passback(c, a, s, json.loads(w), None if p is None else json.loads(p), st, t, e, at)
                for c, a, s, w, p, st, t, e, at in rows]

    def release(self, assignment: str, by: str, at: str) -> None:
        self._run("INSERT OR IGNORE INTO releases VALUES (?, ?, ?)", assignment, by, at)

    def released(self, assignment: str) -> tuple[str, str] | None:
        rows = self._run("SELECT by, at FROM releases WHERE assignment = ?", assignment)
        return tuple(rows[0]) if rows else None
