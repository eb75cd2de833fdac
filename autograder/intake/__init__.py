"""Reading what TAs bring in: each student's notebook out of a folder, a zip or an LMS's bulk download.

Recognised layouts, tried in this order (the first whose file names fit is used):
Gradescope's export, Blackboard's assignment download, Moodle's "Download all
submissions", Canvas's "Download Submissions", and our own flat or nbgrader layout. A
layout says who each notebook belongs to in the LMS's terms; the matcher finds that
person in the roster. A file that matches nobody, or several students, is listed for the
TA and not graded; when one student has several notebooks, the layout's rule (stated in
the output) picks the one that counts, and the others are listed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..records import Submission
from ..roster import Roster
from . import blackboard, canvas, flat, gradescope, moodle
from .download import Download
from .matcher import LABELS, Candidate, RosterIndex, describe

LAYOUTS = (gradescope, blackboard, moodle, canvas, flat)


@dataclass(frozen=True)
class IntakeNotes:
    """How SUBMISSIONS was read, and every file that was not graded, or not graded alone."""

    layout: str  # the download recognised: "Blackboard assignment download", …
    rule: str  # which of one student's several notebooks counts
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Intake:
    """Each roster student's notebook, and what the TA must hear about the rest."""

    layout: str
    rule: str
    by_student: dict[str, Submission]
    problems: list[str] = field(default_factory=list)  # one line per file not graded, or not graded alone

    @property
    def heading(self) -> str:
        return f"Read as: {self.layout}; {self.rule}."

    @property
    def notes(self) -> IntakeNotes:
        return IntakeNotes(self.layout, self.rule, tuple(self.problems))


def find_submissions(source: Path | str, assignment: str, roster: Roster, due: datetime | None = None) -> Intake:
    """Every roster student's submission in SOURCE (a folder or a zip), matched through the roster."""
    download = Download(source)
    try:
        layout = next(lay for lay in LAYOUTS if lay.recognises([e.name for e in download.entries]))
        candidates, problems = layout.candidates(download, assignment, due)
        index = RosterIndex(roster)
        chosen, notes = _assign(candidates, index)
        # The time as report.json keeps it (ISO 8601); the layouts compare datetimes against --due.
        by_student = {sid: Submission(download.label(c.entry), download.read(c.entry),
                                      None if c.submitted_at is None else c.submitted_at.isoformat(), c.late)
                      for sid, c in chosen.items()}
    finally:
        download.close()
    problems += [f"{name}: a symbolic link, not followed (copy the file itself into the folder)" for name in download.links]
    return Intake(layout.NAME, layout.RULE, dict(sorted(by_student.items())), notes + sorted(problems))


def _assign(candidates: list[Candidate], index: RosterIndex) -> tuple[dict[str, Candidate], list[str]]:
    per_student: dict[str, list[Candidate]] = {}
    notes = []
    for candidate in sorted(candidates, key=lambda c: c.entry):
        match = index.match(candidate)
        if len(match.students) == 1:
            per_student.setdefault(match.students[0], []).append(candidate)
        elif match.students:
            notes.append(f"{candidate.entry}: its {LABELS[match.by]} matches several roster students "
                         f"({', '.join(match.students)}); not graded, give it to the right one by hand")
        else:
            missing = [LABELS[i] for i, _ in candidate.keys if not index.has(i)]
            hint = f" (the roster has no {' or '.join(dict.fromkeys(missing))} column)" if missing else ""
            notes.append(f"{candidate.entry}: matches no roster student by {describe(candidate)}{hint}; not graded")
    chosen = {}
    for sid, options in sorted(per_student.items()):
        # max() keeps the first of equals, and the options are in name order: ties go to the first name.
        best = max(options, key=lambda c: c.order)
        chosen[sid] = best
        others = sorted({c.entry for c in options} - {best.entry})
        if others:
            notes.append(f"{sid}: {len(others) + 1} notebooks; graded {best.entry}, not {', '.join(others)}")
    return chosen, notes
