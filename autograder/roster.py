"""The class roster: a CSV file with a header row and a student_id column."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

# Student ids become folder and file names; keep them to a safe alphabet.
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}\Z")
# A row whose STATUS column says DROPPED stays in the file (its history) but is no longer a student
# (the learning platform's roster sync marks them so: autograder.lti.roster_sync).
STATUS, DROPPED = "lti_status", "dropped"


@dataclass(frozen=True)
class Roster:
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]

    @property
    def student_ids(self) -> list[str]:
        return [row["student_id"] for row in self.rows]


def read_roster(path: Path | str) -> Roster:
    columns, rows = read_people(path, "student_id", "roster")
    return Roster(columns, tuple(row for row in rows if row.get(STATUS) != DROPPED))


def read_people(path: Path | str, column: str, what: str) -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    """A CSV of people, one per row, keyed by `column`: ids checked, duplicates refused."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read the {what} {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    columns = tuple(name.strip() for name in (reader.fieldnames or ()))
    if column not in columns:
        raise UserError(f"{what} {path}: the header row has no {column} column (found: {', '.join(columns) or 'nothing'})")
    rows, seen = [], set()
    for line_no, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        sid = row[column]
        if not sid:
            continue
        if not STUDENT_ID.match(sid):
            raise UserError(f"{what} {path}, line {line_no}: {column} {sid!r} may use only letters, digits and . _ @ + -")
        if sid in seen:
            raise UserError(f"{what} {path}, line {line_no}: {column} {sid!r} appears twice")
        seen.add(sid)
        rows.append(row)
    if not rows:
        raise UserError(f"{what} {path} lists nobody")
    return columns, tuple(rows)
