"""Who is asking: sign-in tokens, browser sessions, cross-site form tokens, and throttling guessers.

A token is 256 random bits, handed out once (TOKENS.csv) and stored only as its SHA-256;
the lookup is by hash and the final comparison constant-time. Opening the sign-in link
trades the token for a session: another random value, kept by the browser in an HttpOnly,
SameSite=Lax cookie and by us, again, only as a hash. Scripts send the token itself as
`Authorization: Bearer`. Revoking a person deletes their token and every session at once.

Only people on the current roster or staff list get in, whatever the database holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .store import Store

COOKIE = "autograder_session"
SESSION_DAYS = 14
# Failures allowed per token and minute before that token is told to wait. Per token, never per
# address: a whole lab behind one NAT shares an address, and one person's typos must not lock it out
# (a token is 256 random bits: guessing one is hopeless however fast, so the throttle only spares us
# a script that retries a dead link in a loop).
FAILURES_PER_MINUTE = 20


@dataclass(frozen=True)
class Person:
    id: str
    role: str  # "student" or "staff"

    @property
    def staff(self) -> bool:
        return self.role == "staff"


def new_secret() -> str:
    # Never one that starts with '-': TOKENS.csv would have to write it as text for spreadsheets
    # ('-…), and that copy of the token would not work.
    while (secret := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return secret


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(store: Store, people: dict[str, str], base_url: str) -> list[dict[str, str]]:
    """A fresh token for everyone in `people` (id → role): rows of TOKENS.csv."""
    rows, hashes = [], []
    for person, role in people.items():
        token = new_secret()
        hashes.append((person, role, digest(token)))
        rows.append({"id": person, "role": role, "token": token, "url": sign_in_url(base_url, token)})
    store.issue_tokens(hashes)
    return rows


def sign_in_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/signin?token={token}"


class Auth:
    def __init__(self, store: Store, people: dict[str, str], form_key: bytes):
        self.store = store
        self.people = people  # id → role, from the roster and staff list in force
        self.form_key = form_key
        self.throttle = Throttle(FAILURES_PER_MINUTE, 60.0)

    def _current(self, row) -> Person | None:
        if row is None:
            return None
        person, role, _ = row
        return Person(person, role) if self.people.get(person) == role else None

    def by_token(self, token: str) -> Person | None:
        return self._holder(digest(token), self.store.person_by_token)

    def signed_in_by(self, token: str) -> Person | None:
        """The token's holder, counting a failure against that token; raises Throttled once it has failed too often."""
        key = digest(token)
        wait = self.throttle.blocked(key)
        if wait:
            raise Throttled(wait)
        found = self._holder(key, self.store.person_by_token)
        if found is None:
            self.throttle.failed(key)
        return found

    def by_session(self, value: str) -> Person | None:
        return self._holder(digest(value), self.store.person_by_session)

    def _holder(self, expected: str, lookup) -> Person | None:
        row = lookup(expected)
        if row is None or not hmac.compare_digest(row[2], expected):
            return None
        return self._current(row)

    def admit(self, person: str, role: str) -> bool:
        """Someone the learning platform signs in, who may hold no token of ours; False when the course
        staff ended their access."""
        return self.store.admit(person, role)

    def open_session(self, person: Person) -> tuple[str, int]:
        """A new session cookie's value and lifetime in seconds."""
        value = new_secret()
        lifetime = SESSION_DAYS * 86400
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lifetime)
        self.store.add_session(digest(value), person.id, expires.isoformat().replace("+00:00", "Z"))
        return value, lifetime

    def close_session(self, value: str) -> None:
        self.store.end_session(digest(value))

    def form_token(self, session_value: str) -> str:
        """The hidden field every form of this session carries: a page of another site cannot know it."""
        return hmac.new(self.form_key, session_value.encode("utf-8"), hashlib.sha256).hexdigest()[:40]

    def form_token_ok(self, session_value: str | None, given: str | None) -> bool:
        return bool(session_value and given) and hmac.compare_digest(self.form_token(session_value), given)


def form_key(data: Path) -> bytes:
    """The key of the cross-site form tokens, made once per data folder and readable by us alone."""
    path = data / "server.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
    return path.read_bytes()


class Throttled(Exception):
    def __init__(self, wait: float):
        super().__init__(f"try again in {wait:.0f} s")
        self.wait = wait


class Throttle:
    """At most `limit` failures per key (a token's hash) within `window` seconds."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, at: float) -> deque:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= at - self.window:
            times.popleft()
        return times

    def blocked(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        at = time.monotonic()
        with self._lock:
            times = self._recent(key, at)
            return 0.0 if len(times) < self.limit else max(0.0, times[0] + self.window - at)

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10_000:  # bounded memory under a flood of made-up tokens
                self._failures = {k: v for k, v in self._failures.items() if v}
