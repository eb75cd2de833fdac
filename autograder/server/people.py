"""Who may sign in: the class roster's students and the staff list's course staff."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import UserError
from ..roster import STUDENT_ID, Roster


def read_staff(path: Path | str) -> list[str]:
    """STAFF.csv: a header row with a staff_id column, one member of staff per row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read the staff list {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    if "staff_id" not in [name.strip() for name in reader.fieldnames or ()]:
        raise UserError(f"staff list {path}: the header row has no staff_id column")
    staff = []
    for line_no, row in enumerate(reader, start=2):
        sid = next((v or "" for k, v in row.items() if k and k.strip() == "staff_id"), "").strip()
        if not sid:
            continue
        if not STUDENT_ID.match(sid):
            raise UserError(f"staff list {path}, line {line_no}: staff_id {sid!r} may use only letters, digits and . _ @ + -")
        if sid in staff:
            raise UserError(f"staff list {path}, line {line_no}: staff_id {sid!r} appears twice")
        staff.append(sid)
    return staff


def everyone(roster: Roster, staff: list[str]) -> dict[str, str]:
    """id → role; an id may not be both a student and staff."""
    both = sorted(set(roster.student_ids) & set(staff))
    if both:
        raise UserError(f"{both[0]} is on both the roster and the staff list; one id, one role")
    return {**{sid: "student" for sid in roster.student_ids}, **{sid: "staff" for sid in staff}}
