"""Canvas's "Download Submissions": flat files ``<name>[_LATE]_<user id>_<attachment id>_<file>``.

Canvas writes the student's sortable name ("Last, First") lowercased with everything but
letters, digits and "_" removed ("obrienseán"), ``LATE`` when Canvas judged the submission
late, its own user id, the id of the uploaded file, and the file's name as uploaded (with
``-1``, ``-2`` appended by Canvas when the student uploaded a file of the same name
before). Anonymous grading writes ``anon_<id>`` instead of the name and user id; such a
download cannot be matched to a roster.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from .download import Download
from .matcher import Candidate

NAME = "Canvas \"Download Submissions\""
RULE = ("several notebooks of one student: the one with the highest Canvas attachment id (the latest upload) "
        "counts")

PATTERN = re.compile(r"(?P<name>\w*?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<original>.+)\Z")
ANONYMOUS = re.compile(r"(?:LATE_)?anon_\w+?_\d+_.+\Z")


def recognises(names: list[str]) -> bool:
    return any(PATTERN.match(PurePosixPath(n).name) or ANONYMOUS.match(PurePosixPath(n).name) for n in names)


def candidates(download: Download, assignment: str, due) -> tuple[list[Candidate], list[str]]:
    found, problems = [], []
    for entry in download.entries:
        base = PurePosixPath(entry.name).name
        match = PATTERN.match(base)
        if ANONYMOUS.match(base):
            problems.append(f"{entry.name}: an anonymous-grading download names no student; not graded "
                            "(download again with anonymous grading off)")
        elif not entry.name.endswith(".ipynb"):
            problems.append(f"{entry.name}: not a notebook, ignored")
        elif match is None:
            problems.append(f"{entry.name}: not named the Canvas way (<name>_<user id>_<attachment id>_<file>), ignored")
        else:
            found.append(Candidate(entry.name, (("canvas_id", match["user"]), ("sortable_name", match["name"])),
                                   (int(match["attachment"]),), late=bool(match["late"])))
    return found, problems
