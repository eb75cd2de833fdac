"""A student's own code, out of their submitted notebook: what they wrote, not what they were given.

The notebook is read as data (JSON), never run. Solution cells keep the student's lines
less the stub's (signature, docstring, ``raise NotImplementedError()``); cells the
student added are theirs whole; the template's given, show and self-check cells are the
course's. Given cells are kept apart: a student who pasted another's notebook carries
that student's constants there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..notebooks import TemplateCell, Unreadable, cell_grade_id, cell_source, read_submission

MAX_CODE = 200_000  # characters of own code looked at per student


@dataclass(frozen=True)
class OwnCode:
    text: str  # the student's own lines, cell after cell
    given: str  # what their given cells hold (normally their own constants)
    owner: str | None  # the student the notebook was generated for, as its metadata says


def own_code(data: bytes, template: list[TemplateCell]) -> OwnCode | None:
    """The student's own code, or None when the file is not a readable notebook."""
    try:
        nb, _ = read_submission(data)
    except Unreadable:
        return None
    by_id = {c.grade_id: c for c in template}
    stub_lines = {line.strip() for c in template if c.role == "solution" for line in c.source.splitlines()}
    own, given = [], []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        role = by_id[grade_id].role if (grade_id := cell_grade_id(cell)) in by_id else None
        if role == "solution":
            kept = [line for line in source.splitlines() if line.strip() not in stub_lines]
            own.append("\n".join(kept))
        elif role is None:
            own.append(source)
        elif role == "given":
            given.append(source)
    meta = nb.get("metadata", {}).get("autograder")
    owner = meta.get("student_id") if isinstance(meta, dict) and isinstance(meta.get("student_id"), str) else None
    return OwnCode("\n\n".join(c for c in own if c.strip())[:MAX_CODE], "\n\n".join(given)[:MAX_CODE], owner)
