"""Hand-in rules per assignment, from `course.toml` at the course root: due date, late penalty
or cut-off, which attempt counts, how often and how much a student may upload.

The instructor edits the file; the CLI's `grade` and the course server read it through this
module, so both say the same about the same submission. Every key is checked: a typo is an
error that names the key and the keys allowed, never a rule silently left out.

    timezone = "Europe/Vienna"        # for dates written without an offset (default UTC)

    [defaults]                        # every assignment, unless its own table says otherwise
    max_upload = "32 MiB"
    max_queued = 3                    # attempts a student may have waiting, of all assignments together
    quota = "256 MiB"                 # what one student's attempts of one assignment may take up in all

    [assignments.critical_points]
    due = 2026-12-01T23:59:00
    late_penalty = 0.2                # the fraction of the score a late attempt loses
    late_cutoff = 2026-12-08T23:59:00 # after it, uploads are refused
    counts = "best"                   # or "last" (the default)
    min_interval = "10 min"           # between two attempts of one student
    hidden = "after_due"              # when hidden checks show their inputs: "after_due", "always" (hidden for
                                      # good) or "never" (nothing hidden)
    release = "graded"                # when the LMS gets the score (LTI): "graded", "after_due" (default), "manual"

    [assignments.critical_points.extensions]
    s001 = { due = 2026-12-05T23:59:00, cutoff = 2026-12-09T23:59:00, comment = "illness" }

docs/course-policy.md explains every key.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UserError
from .records import Report, score

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

FILE = "course.toml"
KEYS = ("due", "late_penalty", "late_cutoff", "counts", "min_interval", "max_upload", "max_queued", "quota",
        "hidden", "release", "extensions")
COUNTS = ("last", "best")
HIDDEN = ("after_due", "always", "never")
RELEASES = ("graded", "after_due", "manual")
EXTENSION_KEYS = ("due", "cutoff", "comment")
_UNITS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "d": 86400}
_SIZES = {"b": 1, "k": 2**10, "kib": 2**10, "m": 2**20, "mib": 2**20, "g": 2**30, "gib": 2**30,
          "kb": 10**3, "mb": 10**6, "gb": 10**9}


@dataclass(frozen=True)
class Policy:
    """The rules of one assignment. Dates are timezone-aware; None means no such rule."""

    due: dt.datetime | None = None
    late_penalty: float = 0.0
    late_cutoff: dt.datetime | None = None
    counts: str = "last"
    min_interval: float = 0.0  # seconds
    max_upload: int = 32 * 2**20  # bytes
    max_queued: int = 3
    quota: int = 256 * 2**20  # bytes
    hidden: str = "after_due"
    release: str = "after_due"
    # Per student: their own due date and cut-off (course.toml; the server adds staff's).
    extensions: dict[str, Extension] = field(default_factory=dict, compare=False)

    def extended(self, extension: Extension | None) -> Policy:
        """These rules with a student's own dates."""
        if extension is None:
            return self
        return replace(self, due=extension.due, late_cutoff=extension.cutoff)

    def of_student(self, student: str) -> Policy:
        """The rules for one student: course.toml's extension of theirs applied."""
        return self.extended(self.extensions.get(student))

    def reveals_hidden(self, at: dt.datetime) -> bool:
        """Whether a hidden check shows its input, expected value and a call to reproduce it at `at`
        (with no due date, `after_due` never does: nothing after it is known to have passed)."""
        if self.hidden == "never":
            return True
        return self.hidden == "after_due" and self.due is not None and at > self.due

    def lateness(self, submitted_at: dt.datetime | str | None, flagged_late: bool = False) -> Lateness:
        """How late a submission made at `submitted_at` (ISO 8601 text or a time) is; `flagged_late`:
        the learning platform (or the intake, against the same due date) already says it is late."""
        moment = _instant(submitted_at) if isinstance(submitted_at, str) else submitted_at
        if moment is not None and self.late_cutoff is not None and moment > self.late_cutoff:
            return Lateness(True, 1.0, f"handed in {_when(moment.astimezone(self.late_cutoff.tzinfo))}, "
                                       f"after the late cut-off {_when(self.late_cutoff)}: no points")
        if moment is not None and self.due is not None and moment > self.due:
            return Lateness(True, self.late_penalty, f"handed in {_when(moment.astimezone(self.due.tzinfo))}, "
                            f"{_duration(moment - self.due)} after the due date {_when(self.due)}")
        if flagged_late:
            return Lateness(True, self.late_penalty, "marked late by the learning platform")
        return Lateness(False, 0.0, "")

    def final(self, report: Report) -> Report:
        """The report as it counts under these rules: with its late penalty.

        Every grade is kept as the engine made it (the gradebook's, the server's store) and comes
        here each time it is read, shown or exported, so that a moved due date, an extension or
        a changed penalty takes effect at once, in `grade` and on the server alike."""
        return apply_lateness(report, self.lateness(report.submitted_at, flagged_late=report.late))

    def refuses(self, at: dt.datetime) -> str | None:
        """Why an upload at `at` is refused by the cut-off, or None."""
        if self.late_cutoff is not None and at > self.late_cutoff:
            return (f"The late cut-off of this assignment was {_when(self.late_cutoff)}; "
                    "uploads are no longer accepted. Please talk to your course staff.")
        return None

    def describe(self) -> list[str]:
        """The rules in words, for the pages."""
        lines = [f"Due {_when(self.due)}." if self.due else "No due date."]
        if self.due and self.late_penalty:
            lines.append(f"A late attempt loses {self.late_penalty:.0%} of its score.")
        if self.late_cutoff:
            lines.append(f"No uploads after {_when(self.late_cutoff)}.")
        lines.append("The best attempt counts." if self.counts == "best" else "The last graded attempt counts.")
        if self.min_interval:
            lines.append(f"At most one attempt every {_duration(dt.timedelta(seconds=self.min_interval))}.")
        lines.append(f"Files up to {_size(self.max_upload)}.")
        return lines


@dataclass(frozen=True)
class Extension:
    """A student's own due date and cut-off (None: no cut-off), and why."""

    due: dt.datetime
    cutoff: dt.datetime | None
    comment: str = ""


@dataclass(frozen=True)
class Lateness:
    late: bool
    penalty: float  # the fraction of the score lost
    reason: str


def apply_lateness(report: Report, lateness: Lateness) -> Report:
    """The report with the late flag and its penalty: the tasks keep their scores, the total
    (summed from them, so after any staff overrides) loses the penalty, and a note says why. A
    report that carries a penalty already is final: it is not penalised twice."""
    if not lateness.late or report.late_penalty:
        return report
    if not lateness.penalty:
        return replace(report, late=True)
    automatic = score(sum(task.score for task in report.tasks))
    penalised = score(automatic * (1 - lateness.penalty))
    note = (f"Late: {lateness.reason}; the score was reduced by {lateness.penalty:.0%} "
            f"(from {automatic:g} to {penalised:g}).")
    return replace(report, late=True, late_penalty=lateness.penalty, score=penalised,
                   warnings=(note, *report.warnings))


@dataclass(frozen=True)
class CoursePolicy:
    path: Path
    defaults: Policy
    assignments: dict[str, Policy]
    zone: dt.tzinfo = dt.timezone.utc  # the course's time zone: how times are shown

    def local(self, moment: dt.datetime) -> str:
        """A moment as the course reads it: 2026-12-04 23:59 CET."""
        return _when(moment.astimezone(self.zone))

    def of(self, assignment: str) -> Policy:
        return self.assignments.get(assignment, self.defaults)

    def with_options(self, **options) -> CoursePolicy:
        """Command-line options (None: not given) win over the file, for every assignment."""
        given = {k: v for k, v in options.items() if v is not None}
        if not given:
            return self
        return CoursePolicy(self.path, replace(self.defaults, **given),
                            {name: replace(p, **given) for name, p in self.assignments.items()}, self.zone)


def read_policy(course_root: Path | str, assignment_names: list[str]) -> CoursePolicy:
    """The course's rules; without a course.toml, the defaults for every assignment."""
    return policy_of(read_course_file(course_root), course_root, assignment_names)


def read_course_file(course_root: Path | str) -> dict | None:
    """course.toml's tables (None without the file): read once for both the rules (`policy_of`) and
    the learning platform's registration (`autograder.lti.registration.registration_of`)."""
    path = Path(course_root) / FILE
    if not path.exists():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None


def policy_of(data: dict | None, course_root: Path | str, assignment_names: list[str]) -> CoursePolicy:
    """The rules of course.toml's tables, as `read_course_file` gives them."""
    path = Path(course_root) / FILE
    if data is None:
        return CoursePolicy(path, Policy(), {})
    # [lti] is the learning platform's registration, read by autograder.lti.registration.
    _only(data, ("timezone", "defaults", "assignments", "lti"), path.name)
    zone = _zone(data.get("timezone", "UTC"), path)
    defaults = _policy(Policy(), _table(data, "defaults", path.name), zone, f"{path.name} [defaults]")
    tables = _table(data, "assignments", path.name)
    unknown = sorted(set(tables) - set(assignment_names))
    if unknown:
        raise UserError(f"{path.name}: [assignments.{unknown[0]}] names no assignment of the course "
                        f"(known: {', '.join(assignment_names) or 'none'})")
    assignments = {name: _policy(defaults, _table(tables, name, f"{path.name} [assignments]"), zone,
                                 f"{path.name} [assignments.{name}]") for name in tables}
    return CoursePolicy(path, defaults, assignments, zone)


# --- reading the file -------------------------------------------------------------------

def _policy(base: Policy, table: dict, zone: dt.tzinfo, where: str) -> Policy:
    _only(table, KEYS, where)
    values = {}
    for key, raw in table.items():
        if key == "extensions":
            values[key] = _extensions(raw, zone, f"{where} extensions")
            continue
        try:
            values[key] = _PARSERS[key](raw, zone)
        except (TypeError, ValueError) as exc:
            raise UserError(f"{where}: {key} = {raw!r}: {exc}") from None
    policy = replace(base, **values)
    if policy.due and policy.late_cutoff and policy.late_cutoff < policy.due:
        raise UserError(f"{where}: late_cutoff {_when(policy.late_cutoff)} is before the due date {_when(policy.due)}")
    return policy


def _extensions(raw, zone: dt.tzinfo, where: str) -> dict[str, Extension]:
    if not isinstance(raw, dict):
        raise UserError(f"{where}: must be a table of student ids, e.g. s001 = {{ due = 2026-12-10T23:59:00 }}")
    out = {}
    for student, entry in raw.items():
        if not isinstance(entry, dict) or "due" not in entry:
            raise UserError(f"{where}: {student} = {entry!r}: give at least a due date, "
                            "e.g. { due = 2026-12-10T23:59:00, cutoff = 2026-12-12T23:59:00, comment = \"illness\" }")
        _only(entry, EXTENSION_KEYS, f"{where}.{student}")
        try:
            due = _date(entry["due"], zone)
            cutoff = None if entry.get("cutoff") is None else _date(entry["cutoff"], zone)
        except (TypeError, ValueError) as exc:
            raise UserError(f"{where}.{student}: {exc}") from None
        if cutoff is not None and cutoff < due:
            raise UserError(f"{where}.{student}: cutoff {_when(cutoff)} is before the due date {_when(due)}")
        out[str(student)] = Extension(due, cutoff, str(entry.get("comment", "")))
    return out


def _only(table: dict, allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise UserError(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UserError(f"{where}: {key} must be a table ([{key}])")
    return value


def _zone(name, path: Path) -> dt.tzinfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"{path.name}: timezone = {name!r} is not a known time zone (e.g. \"Europe/Vienna\")") from None


def _date(raw, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(raw, str):
        raw = dt.datetime.fromisoformat(raw)
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        raw = dt.datetime.combine(raw, dt.time(23, 59, 59))  # a day alone means the end of that day
    if not isinstance(raw, dt.datetime):
        raise ValueError("must be a date and time, e.g. 2026-12-01T23:59:00")
    return raw if raw.tzinfo else raw.replace(tzinfo=zone)


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _fraction(raw, _zone) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 <= raw <= 1:
        raise ValueError("must be a fraction between 0 and 1 (0.2 = a late attempt loses a fifth of its score)")
    return float(raw)


def _one_of(allowed: tuple[str, ...]):
    def parse(raw, _zone) -> str:
        if raw not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return raw
    return parse


def _seconds(raw, _zone) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw >= 0:
        return float(raw)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", str(raw).lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError('must be seconds or a duration such as "30 s", "10 min", "2 h"')
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_size(raw, _zone=None) -> int:
    """Bytes from 33554432, "32 MiB", "500 KiB", "2 MB"."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", str(raw).lower())
    if not match or (match.group(2) or "b") not in _SIZES or float(match.group(1)) <= 0:
        raise ValueError('must be a size such as "32 MiB", "500 KiB" or a number of bytes')
    return int(float(match.group(1)) * _SIZES[match.group(2) or "b"])


def _count(raw, _zone) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ValueError("must be a whole number of at least 1")
    return raw


_PARSERS = {"due": _date, "late_cutoff": _date, "late_penalty": _fraction, "counts": _one_of(COUNTS),
            "min_interval": _seconds, "max_upload": parse_size, "max_queued": _count, "quota": parse_size,
            "hidden": _one_of(HIDDEN), "release": _one_of(RELEASES)}


# --- in words ---------------------------------------------------------------------------

def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size, 1)
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _size(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"
