"""Blackboard's assignment download: ``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``.

Each attempt's files carry the assignment's name, the student's username, the attempt's
time (the server's wall-clock time, without a zone) and the uploaded file's name; beside
them a ``<Assignment>_<username>_attempt_<time>.txt`` whose first line reads, in the
course's language, "Name: Jane Doe (jdoe3)". A username with "_" in it cannot be told
from the assignment's name by the file name alone, so the username in that line's
parentheses is preferred when the file name ends with it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath

from .download import Download
from .matcher import Candidate

NAME = "Blackboard assignment download"
RULE = "several attempts of one student: the latest attempt (by the attempt time in the file name) counts"

PATTERN = re.compile(r"(?P<head>.+)_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<original>.+)|\.txt)\Z")
NAME_LINE = re.compile(r".*\((?P<username>[^()\s]+)\)\s*\Z")


def recognises(names: list[str]) -> bool:
    return any(PATTERN.match(PurePosixPath(n).name) for n in names)


def candidates(download: Download, assignment: str, due) -> tuple[list[Candidate], list[str]]:
    found, problems = [], []
    for entry in download.entries:
        base = PurePosixPath(entry.name).name
        match = PATTERN.match(base)
        if match is not None and match["original"] is None:
            continue  # the attempt's .txt: read below, for the username
        if not entry.name.endswith(".ipynb"):
            problems.append(f"{entry.name}: not a notebook, ignored")
        elif match is None:
            problems.append(f"{entry.name}: not named the Blackboard way "
                            "(<assignment>_<username>_attempt_<time>_<file>), ignored")
        else:
            when = datetime.strptime(match["time"], "%Y-%m-%d-%H-%M-%S")
            txt = str(PurePosixPath(entry.name).with_name(f"{match['head']}_attempt_{match['time']}.txt"))
            username = _username(download, txt, match["head"])
            found.append(Candidate(entry.name, (("username", username), ("student_id", username)), (when,),
                                   submitted_at=when, late=due is not None and when > _wall_clock(due)))
    return found, problems


def _username(download: Download, txt: str, head: str) -> str:
    if download.has(txt):
        first = download.read(txt)[:2000].decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:1]
        stated = NAME_LINE.match(first[0]) if first else None
        if stated and head.endswith("_" + stated["username"]):
            return stated["username"]
    return head.rsplit("_", 1)[-1]


def _wall_clock(due: datetime) -> datetime:
    # Blackboard's attempt time has no zone: compare it with the due date's wall-clock time.
    return due.replace(tzinfo=None)
