"""The server's settings, kept as the course's files say now: course.toml (the rules, and the
learning platform's registration beside them), the roster and the staff list are looked at once
a second, and an edit takes effect on the next request. A file with a mistake keeps what is in
force and says why in the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import UserError
from ..policy import FILE, CoursePolicy, policy_of, read_course_file
from ..roster import Roster, read_roster
from ..sandbox import Limits
from .people import everyone, read_staff

log = logging.getLogger("autograder.server")
RELOAD_CHECK = 1.0  # seconds between looks at course.toml, the roster and the staff list


@dataclass(frozen=True)
class Settings:
    course_root: Path
    roster: Roster
    staff: tuple[str, ...]
    data: Path
    secret: bytes
    policy: CoursePolicy
    jobs: int = 1
    sandbox: str = "bwrap"
    limits: Limits = field(default_factory=Limits)
    # Where the roster and staff list came from, and the options that win over course.toml:
    # edits to these files (and to course.toml) take effect without a restart.
    roster_path: Path | None = None
    staff_path: Path | None = None
    options: tuple[tuple[str, object], ...] = ()


class Current:
    """The settings, the people who may sign in and course.toml's tables, each as of the last look."""

    def __init__(self, settings: Settings, assignment_names: list[str]):
        self._settings = settings
        self._names = assignment_names
        self._people = everyone(settings.roster, list(settings.staff))
        self._course_file = _course_file(settings.course_root)
        self._lock = threading.Lock()
        self._looked = time.monotonic()
        self._stamp = self._files_stamp()

    @property
    def settings(self) -> Settings:
        self._reload()
        return self._settings

    @property
    def people(self) -> dict[str, str]:
        """id → role, of everyone who may sign in."""
        self._reload()
        return self._people

    @property
    def course_file(self) -> dict | None:
        """course.toml's tables (None: there is none), for what the server reads of it beside the rules;
        UserError when the file cannot be read."""
        self._reload()
        if isinstance(self._course_file, UserError):
            raise self._course_file
        return self._course_file

    def _files_stamp(self) -> tuple:
        s = self._settings
        paths = [Path(s.course_root) / FILE, s.roster_path, s.staff_path]
        return tuple(_stat(path) for path in paths if path is not None)

    def _reload(self) -> None:
        if time.monotonic() - self._looked < RELOAD_CHECK:
            return
        with self._lock:
            if time.monotonic() - self._looked < RELOAD_CHECK:
                return
            self._looked = time.monotonic()
            stamp = self._files_stamp()
            if stamp == self._stamp:
                return
            self._stamp = stamp
            s = self._settings
            self._course_file = _course_file(s.course_root)
            try:
                if isinstance(self._course_file, UserError):
                    raise self._course_file
                policy = policy_of(self._course_file, s.course_root, self._names).with_options(**dict(s.options))
                roster = read_roster(s.roster_path) if s.roster_path else s.roster
                staff = tuple(read_staff(s.staff_path)) if s.staff_path else s.staff
                people = everyone(roster, list(staff))
            except (UserError, OSError) as exc:
                log.error("kept the rules and people in force: %s", exc)
                return
            self._settings = replace(s, policy=policy, roster=roster, staff=staff)
            self._people = people
            log.info("read course.toml, the roster and the staff list again (%d students, %d staff)",
                     len(roster.student_ids), len(staff))


class People(Mapping):
    """The people who may sign in (id → role), as the roster and staff list say now."""

    def __init__(self, current: Current):
        self.current = current

    def __getitem__(self, key: str) -> str:
        return self.current.people[key]

    def __iter__(self):
        return iter(self.current.people)

    def __len__(self) -> int:
        return len(self.current.people)


def _course_file(course_root: Path) -> dict | None | UserError:
    try:
        return read_course_file(course_root)
    except UserError as exc:
        return exc


def _stat(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is edited or replaced (an editor's or a sync's new file has a new inode)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino
