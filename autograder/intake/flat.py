"""The layouts of our own tools: flat ``<student_id>.ipynb`` (under at most one top folder)
and nbgrader's ``<student_id>/<assignment>/<any>.ipynb``."""

from __future__ import annotations

from pathlib import PurePosixPath

from .download import Download
from .matcher import Candidate

NAME = "folder of <student_id>.ipynb files, or nbgrader's <student_id>/<assignment>/ layout"
RULE = "several notebooks of one student: the most recently modified counts"


def recognises(names: list[str]) -> bool:
    return True  # the layout of last resort


def candidates(download: Download, assignment: str, due) -> tuple[list[Candidate], list[str]]:
    found, problems = [], []
    for entry in download.entries:
        parts = PurePosixPath(entry.name).parts
        if not entry.name.endswith(".ipynb"):
            problems.append(f"{entry.name}: not a notebook, ignored")
        elif len(parts) <= 2:
            found.append(Candidate(entry.name, (("student_id", PurePosixPath(entry.name).stem),), (entry.modified,)))
        elif parts[-2] == assignment:
            found.append(Candidate(entry.name, (("student_id", parts[-3]),), (entry.modified,)))
        else:
            problems.append(f"{entry.name}: neither <student_id>.ipynb nor <student_id>/{assignment}/<name>.ipynb, "
                            "ignored")
    return found, problems
