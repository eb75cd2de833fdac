"""The TA's class table of a large class, timed in-process (no grading while it runs).

    .venv/bin/python benchmarks/class_table.py [--students 1000] [--repeat 10] [--profile]

A data folder like the one a deadline night leaves (benchmarks/deadline.py): `--students` on
the roster of the repository's course (critical_points, a due date passed, a late penalty),
one in twenty handing in nothing, half of the others three times, the rest once; a few late
attempts, overrides (some on earlier code), extensions and open review requests. The reports
are real: a handful of notebooks (correct, known mistakes, untouched) graded once in the
sandbox, then stored for every student as their own. The store is filled directly, without the
server's queue.

Printed: the time of `GET /staff/critical_points` (plain, sorted by score, searched) through
the app, median and slowest of `--repeat`; with `--profile`, where one request's time goes
(cProfile, the handler called in this thread). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.requests import Request  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from autograder.course import Course  # noqa: E402
from autograder.demo import load_mistakes, with_cell  # noqa: E402
from autograder.grading import Unit, grade  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes  # noqa: E402
from autograder.policy import read_policy  # noqa: E402
from autograder.records import Override, Submission  # noqa: E402
from autograder.roster import Roster  # noqa: E402
from autograder.sandbox import choose_sandbox  # noqa: E402
from autograder.server import pages  # noqa: E402
from autograder.server.app import create_app  # noqa: E402
from autograder.server.auth import issue  # noqa: E402
from autograder.server.blobs import Blobs  # noqa: E402
from autograder.server.settings import Settings  # noqa: E402
from autograder.server.store import Extension, ReviewRequest, Store  # noqa: E402
from autograder.variants import Variant  # noqa: E402

SECRET = b"class-table-benchmark-secret-0123"
ASSIGNMENT = "critical_points"
COURSE_TOML = """timezone = "Europe/Vienna"
[assignments.critical_points]
due = 2026-12-04T23:59:00
late_penalty = 0.1
late_cutoff = 2026-12-11T23:59:00
"""
DUE_DAY = "2026-12-04"
PAGES = {"plain": "", "sorted by score": "?sort=score&order=desc", "searched": "?q=s00"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="where one request's time goes (cProfile)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="class-table-"))
    course = _course_copy(folder)
    students = [f"s{i:04d}" for i in range(args.students)]
    began = time.monotonic()
    kinds = _graded_kinds(Course(course), choose_sandbox()[0])
    print(f"{len(kinds)} kinds of report graded in {time.monotonic() - began:.0f} s", flush=True)
    began = time.monotonic()
    attempts = _fill(folder / "data", course, students, kinds)
    print(f"{args.students} students, {attempts} attempts stored in {time.monotonic() - began:.0f} s", flush=True)

    roster = Roster(("student_id", "first_name", "last_name"),
                    tuple({"student_id": s, "first_name": "Student", "last_name": s[1:]} for s in students))
    settings = Settings(course, roster, ("ta",), folder / "data", SECRET, read_policy(course, [ASSIGNMENT]),
                        sandbox="bwrap")
    app = create_app(settings)  # no lifespan: nothing grades
    token = next(r["token"] for r in issue(app.state.service.store, {"ta": "staff"}, "http://bench"))
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    for name, query in PAGES.items():
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            answer = client.get(f"/staff/{ASSIGNMENT}{query}")
            times.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text[:300]
        print(f"class table, {name}: median {statistics.median(times) * 1000:.0f} ms, "
              f"slowest {max(times) * 1000:.0f} ms ({len(answer.content) / 1024:.0f} KiB)")
    if args.profile:
        _profile(app, token)


def _profile(app, token: str) -> None:
    scope = {"type": "http", "method": "GET", "path": f"/staff/{ASSIGNMENT}", "query_string": b"",
             "headers": [(b"authorization", f"Bearer {token}".encode())], "app": app,
             "path_params": {"a": ASSIGNMENT}, "client": ("127.0.0.1", 1), "scheme": "http",
             "server": ("bench", 80)}
    profile = cProfile.Profile()
    profile.runcall(pages.class_page, Request(scope))
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)


def _course_copy(folder: Path) -> Path:
    """The repository's course with a due date passed and a late penalty."""
    course = folder / "course"
    course.mkdir()
    for part in ("assignments", "solutions", "templates"):
        (course / part).symlink_to(ROOT / part)
    (course / "course.toml").write_text(COURSE_TOML)
    return course


def _graded_kinds(course: Course, sandbox: str) -> list[tuple[bytes, object]]:
    """(file, report) of a few kinds of notebook of one variant: correct, each known mistake, untouched."""
    definition = course.assignment(ASSIGNMENT)
    variant = Variant.derive(SECRET, ASSIGNMENT, "s0000")
    files = [notebook_bytes(build_notebook(course, definition, variant, solutions=True)),
             notebook_bytes(build_notebook(course, definition, variant))]
    files += [notebook_bytes(with_cell(build_notebook(course, definition, variant, solutions=True), m.task, m.source))
              for m in load_mistakes(course, ASSIGNMENT)[:4]]
    return [(data, grade(Unit(str(course.root), ASSIGNMENT, "s0000", variant.key,
                              Submission(f"kind{i}.ipynb", data), sandbox))) for i, data in enumerate(files)]


def _fill(data: Path, course: Path, students: list[str], kinds) -> int:
    """The store and files of a class after its deadline; the number of attempts."""
    store, blobs = Store(data / "autograder.sqlite"), Blobs(data / "files")
    store._db().execute("PRAGMA synchronous=OFF")  # a benchmark's data, not a course's
    shas = [blobs.put(file) for file, _ in kinds]
    count = 0
    for number, sid in enumerate(students):
        if number % 20 == 19:
            continue  # handed in nothing
        tries = 3 if number % 2 else 1
        for attempt in range(tries):
            kind = (number + attempt) % len(kinds)
            late = number % 10 == 3 and attempt == tries - 1
            received = f"{'2026-12-06' if late else DUE_DAY}T{10 + attempt:02d}:{number % 60:02d}:00.000000Z"
            report = replace(kinds[kind][1], student_id=sid, submitted_at=received)
            submission_id = f"{sid}-{attempt}"
            store.add_submission(submission_id, ASSIGNMENT, sid, shas[kind], f"{sid}.ipynb", len(kinds[kind][0]),
                                 received, 10, 0.0, 2**40)
            job = store.claim()
            store.finish(job.id, report, "benchmark")
            count += 1
        if number % 33 == 0:
            task = kinds[0][1].tasks[number % len(kinds[0][1].tasks)].name
            # Every other override judged code the counting attempt no longer has.
            code = None if number % 66 else "earlier code"
            store.set_override(ASSIGNMENT, sid, Override(task, 0.5, "looked at by hand", "ta", DUE_DAY), code)
        if number % 50 == 7:
            store.set_extension(ASSIGNMENT, sid, Extension("2026-12-08T23:59:00+01:00", None, "ill", "ta", DUE_DAY),
                                "ta")
        if number % 100 == 11:
            store.add_request(ReviewRequest(f"r{number}", f"{sid}-0", ASSIGNMENT, sid,
                                            kinds[0][1].tasks[0].name, json.dumps("please look"), DUE_DAY))
    store.close()
    return count


if __name__ == "__main__":
    main()
