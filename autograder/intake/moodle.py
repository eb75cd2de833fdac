"""Moodle's "Download all submissions": ``<Full Name>_<participant id>_assignsubmission_file_``.

By default a folder per participant and plugin holding the files as uploaded; with
"download submissions in folders" off, the same prefix on each flattened file name. Moodle
writes the full name with "_" turned into spaces, and a participant id of its own (not the
user id), so the name is what matches the roster. With blind marking the name is
"Participant", which matches nobody: such files are listed, not guessed. The download holds
each participant's current submission only, without its time.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from .download import Download
from .matcher import Candidate

NAME = "Moodle \"Download all submissions\""
RULE = "several notebooks of one participant: the most recently modified counts"

BLIND = "Participant"  # what Moodle (in English) writes instead of the name under blind marking
PREFIX = re.compile(r"(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)\Z")


def recognises(names: list[str]) -> bool:
    return any(PREFIX.match(part) for n in names for part in PurePosixPath(n).parts)


def candidates(download: Download, assignment: str, due) -> tuple[list[Candidate], list[str]]:
    found, problems = [], []
    for entry in download.entries:
        match = next((m for m in map(PREFIX.match, PurePosixPath(entry.name).parts) if m), None)
        if not entry.name.endswith(".ipynb"):
            problems.append(f"{entry.name}: not a notebook, ignored")
        elif match is None:
            problems.append(f"{entry.name}: not in a <Full Name>_<id>_assignsubmission_file_ folder, ignored")
        elif match["name"] == BLIND:
            problems.append(f"{entry.name}: blind marking hides who this is; not graded (reveal the student "
                            "identities in Moodle and download again)")
        else:
            found.append(Candidate(entry.name, (("name", match["name"]),), (entry.modified,)))
    return found, problems
