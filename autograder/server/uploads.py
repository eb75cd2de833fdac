"""What an upload must be: a readable notebook of this assignment, generated for this student.

Anything else is refused before it becomes an attempt (422), with one message that says what
the file is and what to upload instead, so a wrong file never replaces a grade. Nothing
from the file is quoted back (its name and contents are the student's, not our words).
"""

from __future__ import annotations

from ..assignment import Assignment
from ..notebooks import Unreadable, read_submission
from ..variants import Variant

_MAGIC = ((b"PK\x03\x04", "a zip archive"), (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"),
          (b"\xff\xd8\xff", "a JPEG image"), (b"{\\rtf", "a rich-text document"))


def refusal(data: bytes, assignment: Assignment, variant: Variant | None, titles: dict[str, str]) -> str | None:
    """Why `data` is not this assignment's notebook for the variant's student, with what to upload
    instead; None when it is. `variant` None (staff handing in for a student): any readable notebook
    that is not another assignment's is taken. `titles`: every assignment of the course, by name."""
    own = f"{assignment.name}.ipynb"
    fetch = (f"download your notebook ({own}) from this assignment's page, copy your code into its solution "
             "cells, save it, and upload that file")
    kind = _kind(data)
    if kind is not None:
        return f"This file is {kind}, not a Jupyter notebook. Upload the notebook itself ({own}, saved in Jupyter)."
    try:
        nb, _ = read_submission(data)
    except Unreadable as exc:
        if "not valid JSON" in str(exc):
            return ("This file is not a complete notebook: its JSON is cut short or damaged (an interrupted save "
                    f"or download). Open it in Jupyter and save it again; if Jupyter cannot open it, {fetch}.")
        return f"This file cannot be read as a notebook ({_first_clause(str(exc))}). Upload {own}, saved in Jupyter."
    meta = nb.get("metadata", {}).get("autograder")
    other = meta.get("assignment") if isinstance(meta, dict) else None
    if isinstance(other, str) and other != assignment.name:
        where = (f"the notebook of {titles[other]} ({other}); upload it on that assignment's page"
                 if other in titles else "the notebook of another assignment")
        return f"This is {where}. Here, upload your notebook of {assignment.title} ({own})."
    if variant is None:
        return None
    if not isinstance(meta, dict):
        return f"This notebook was not made from the notebook the course gave you, so it cannot be graded as yours: {fetch}."
    if meta.get("student_id") != variant.student_id:
        return f"This notebook was generated for another student, not for you: {fetch}."
    if meta.get("variant") != variant.fingerprint:
        return f"This notebook's numbers are not the ones this course gave you (another course or term?): {fetch}."
    return None


def _kind(data: bytes) -> str | None:
    """What a file that is plainly no notebook is, in words; None when it might be one."""
    head = data.lstrip()[:512]
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if head[:1] != b"{":
        text = head.decode("utf-8", "replace").lower()
        if text.startswith(("<!doctype html", "<html")):
            return "a web page (an HTML export)"
        if any(word in text for word in ("import ", "def ", "print(", "# ")):
            return "a Python script (.py)"
        return "plain text (a notebook is a JSON file that starts with '{')"
    return None


def _first_clause(text: str) -> str:
    return text.split(";")[0].split("(")[0].strip()
