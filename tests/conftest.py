"""Shared fixtures: the repository's own course, a toy course for engine tests, the sandbox (bubblewrap: the suite refuses to run student code without it, as the commands do)."""

from __future__ import annotations

import multiprocessing.process
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from autograder import wire
from autograder.checks import Outcome
from autograder.course import Course
from autograder.grading import Unit, grade
from autograder.notebooks import build_notebook, notebook_bytes, with_cell
from autograder.records import Report, Submission
from autograder.sandbox import Limits, choose_sandbox, inside
from autograder.variants import Variant

# jsonschema checks IRIs with rfc3987-syntax where it is installed (nbgrader brings it, through
# jupyter_events), which builds a grammar for three seconds when imported; nbformat's validation,
# this suite's one use of jsonschema, never checks an IRI.
sys.modules.setdefault("rfc3987_syntax", None)

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"test-secret"
# Every assignment of the repository's course: a test about "each assignment" runs over all of them.
ASSIGNMENTS = tuple(Course(ROOT).assignment_names())

# `make quick` loads this profile (--hypothesis-profile=quick): a quarter of each property test's
# examples; `make test` runs them all.
settings.register_profile("quick", max_examples=25)


def examples(full: int) -> int:
    """A property test's number of examples: `full` in `make test`, scaled like hypothesis's
    own default (100) by the profile in use."""
    return max(1, full * settings.default.max_examples // 100)


@pytest.fixture(autouse=True)
def _only_slow_tests_start_processes(request, monkeypatch):
    """`make quick` runs the tests not marked slow in under a minute: a test that starts a process
    (the sandbox, a command, a browser) must say so with @pytest.mark.slow, or it fails here."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    started = []

    def refusing(how):
        def refuse(*args, **kwargs):
            started.append(how)
            raise AssertionError(f"{request.node.nodeid} starts a process ({how}); mark it @pytest.mark.slow")
        return refuse

    # Every way a test starts one: a command, a fork (a process pool's too), multiprocessing in any context.
    monkeypatch.setattr(subprocess.Popen, "__init__", refusing("subprocess"))
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refusing(f"os.{name}"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refusing("multiprocessing"))
    yield
    # Checked again here: grading turns any exception, this one too, into an ungradable report.
    assert not started, f"{request.node.nodeid} starts a process ({started[0]!r}); mark it @pytest.mark.slow"


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="session")
def toy() -> Course:
    return Course(ROOT / "tests" / "fixtures" / "toy_course")


@pytest.fixture(scope="session")
def sandbox() -> str:
    return choose_sandbox()[0]


def replaced(text: str, old: str, new: str, count: int = -1) -> str:
    """`text.replace(old, new)`, failing when `old` is not in `text`: an edit that silently
    changed nothing would leave its test testing nothing."""
    assert old in text, f"{old!r} is not in the text to edit"
    return text.replace(old, new, count)


def submission_of(course: Course, assignment: str, student: str, solutions: bool = True, cells: dict | None = None,
                  owner: str | None = None) -> bytes:
    """A notebook as student `owner` (default: `student`) would hand it in, with some cells rewritten."""
    nb = build_notebook(course, course.assignment(assignment), Variant.derive(SECRET, assignment, owner or student),
                        solutions=solutions)
    for grade_id, source in (cells or {}).items():
        nb = with_cell(nb, grade_id, source)
    return notebook_bytes(nb)


def grade_report(course: Course, assignment: str, student: str, data: bytes | None, sandbox: str,
                 limits: Limits = Limits()) -> Report:
    variant = Variant.derive(SECRET, assignment, student)
    sub = None if data is None else Submission(f"{student}.ipynb", data)
    return grade(Unit(str(course.root), assignment, student, variant.key, sub, sandbox, limits))


def grade_bytes(course: Course, assignment: str, student: str, data: bytes | None, sandbox: str,
                limits: Limits = Limits()) -> dict:
    """The report as report.json holds it."""
    return grade_report(course, assignment, student, data, sandbox, limits).to_json()


def task_scores(report: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in report["tasks"]}


def answer_in_process(namespace: dict, call, observers: dict) -> Outcome:
    """What the sandbox would send back for one call, answered here by the worker's own `call` (the wire
    round trip included): fast, and the judges see exactly the values and facts a sandbox would send."""
    request = wire.loads(wire.dumps({"function": call.function, "args": wire.encode(list(call.args)),
                                     "expect": call.expect})[4:])
    reply = wire.loads(wire.dumps(inside.call(namespace, request, observers))[4:])
    if reply["status"] != "ok":
        return Outcome(reply["status"], message=reply["message"])
    return Outcome("ok", value=wire.decode(reply["value"]), meta=reply["meta"])
