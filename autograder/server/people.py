"""Who may sign in: the class roster's students and the staff list's course staff."""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..roster import Roster, read_people


def read_staff(path: Path | str) -> list[str]:
    """STAFF.csv: a header row with a staff_id column, one member of staff per row."""
    return [row["staff_id"] for row in read_people(path, "staff_id", "staff list")[1]]


def everyone(roster: Roster, staff: list[str]) -> dict[str, str]:
    """id → role; an id may not be both a student and staff."""
    both = sorted(set(roster.student_ids) & set(staff))
    if both:
        raise UserError(f"{both[0]} is on both the roster and the staff list; one id, one role")
    return {**{sid: "student" for sid in roster.student_ids}, **{sid: "staff" for sid in staff}}
