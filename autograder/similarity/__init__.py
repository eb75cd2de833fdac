"""Copied work: signals for a person to look at, computed after grading; never a change of score.

Fed by the submitted notebooks read as data, never by student code running in the
grader: the class's own code compared pair by pair (`fingerprints`), and the signal only
per-student variants give, another student's constants or notebook (`constants`). Both
students of a finding are named in each other's report warnings and in the class summary.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from ..assignment import Assignment
from ..course import Course
from ..notebooks import locked_cells
from ..records import Submission
from ..variants import Variant
from . import constants, fingerprints
from .findings import CopySignal, Similarity
from .own_code import own_code

NOT_A_SCORE = "a person will look at it; it does not change your score"


@dataclass(frozen=True)
class Review:
    warnings: dict[str, tuple[str, ...]]  # by student, for their reports
    summary: Similarity  # for summary.html


def review(course: Course, assignment: Assignment, roster_ids: list[str], submissions: dict[str, Submission],
           secret: bytes, jobs: int = 1) -> Review:
    """The class-wide findings about the given submissions (student id → their notebook).

    Drawing every student's constants is most of the cost (an assignment vets its draws), so
    with `jobs` > 1 they are drawn in that many processes.
    """
    if not submissions:
        return nothing_found()
    # Any student's variant serves: the stubs and the cells' roles are everyone's.
    first = Variant.derive(secret, assignment.name, min(submissions))
    template = locked_cells(course, assignment, first, assignment.parameters(first))
    code = {sid: c for sid, sub in sorted(submissions.items()) if (c := own_code(sub.data, template)) is not None}
    warnings: dict[str, set[str]] = defaultdict(set)
    signals = _variant_signals(_all_entries(course, assignment, roster_ids, secret, jobs), code, warnings)
    stub = fingerprints.fingerprint("\n".join(c.source for c in template if c.role == "solution"))
    prints = {sid: fingerprints.fingerprint(c.text, stub.hashes) for sid, c in code.items() if c.text.strip()}
    common = fingerprints.common_hashes(prints)
    pairs = fingerprints.similar_pairs({sid: fingerprints.without(fp, common) for sid, fp in prints.items()})
    for pair in pairs:
        a, b = pair.students
        share = f"{pair.score:.0%}"
        warnings[a].add(f"Much of your code ({share}) matches student {b}'s; {NOT_A_SCORE}.")
        warnings[b].add(f"Much of your code ({share}) matches student {a}'s; {NOT_A_SCORE}.")
    return Review({sid: tuple(sorted(w)) for sid, w in sorted(warnings.items())},
                  Similarity(fingerprints.THRESHOLD, tuple(signals), tuple(pairs), tuple(fingerprints.clusters(pairs))))


def nothing_found() -> Review:
    return Review({}, Similarity(fingerprints.THRESHOLD))


def _entries(course_root: str, name: str, secret: bytes, students: list[str]) -> dict[str, dict]:
    assignment = Course.at(course_root).assignment(name)
    return {sid: constants.constant_entries(assignment.parameters(Variant.derive(secret, name, sid)))
            for sid in students}


def _all_entries(course: Course, assignment: Assignment, roster_ids: list[str], secret: bytes,
                 jobs: int) -> dict[str, dict]:
    if jobs <= 1 or len(roster_ids) < 4 * jobs:
        return _entries(str(course.root), assignment.name, secret, roster_ids)
    chunks = [roster_ids[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parts = pool.map(_entries, *zip(*[(str(course.root), assignment.name, secret, c) for c in chunks]))
        return {sid: found[sid] for found in parts for sid in found}


def _variant_signals(entries: dict[str, dict], code: dict, warnings: dict[str, set[str]]) -> list[CopySignal]:
    index: dict[float, dict[str, list[str]]] = defaultdict(dict)
    for sid, own in entries.items():
        for value, labels in own.items():
            index[value][sid] = labels
    signals = []
    for sid, c in code.items():
        found = constants.borrowed(constants.literals(c.text + "\n" + c.given), entries[sid], index, sid)
        if found:
            other, labels = found
            names = ", ".join(labels)
            warnings[sid].add(f"Your code computes with student {other}'s constants ({names}), not your own; "
                              f"{NOT_A_SCORE}.")
            warnings[other].add(f"Student {sid}'s submission computes with your constants ({names}); "
                                f"{NOT_A_SCORE}.")
            signals.append(CopySignal((sid, other), f"{sid}'s code holds {other}'s constants ({names})"))
        if c.owner and c.owner != sid and c.owner in entries:
            warnings[c.owner].add(f"Student {sid} handed in a notebook generated for you; {NOT_A_SCORE}.")
            signals.append(CopySignal((sid, c.owner), f"{sid} handed in the notebook generated for {c.owner}"))
    return signals

