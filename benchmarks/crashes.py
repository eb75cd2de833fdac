"""What a function that breaks the notebook's process costs one submission.

    .venv/bin/python benchmarks/crashes.py [--assignment critical_points momentum_nag]
                                           [--repeat 3] [--call-timeout 10]

Grades, in one process with the zygote warm, a correct submission and submissions in which
one function (each task in turn) exits, segfaults, kills itself with SIGKILL or hangs on
every call, then ones in which every function crashes or hangs. Prints per assignment and
way of breaking: the median wall seconds of a submission, the median extra seconds over a
correct one (negative when the broken function's own checks cost more than its failure),
the most sandboxed processes started for one submission, the median seconds one restart
takes (a fresh worker forked by the zygote, running the cells), and the score kept.
A benchmark, not a test: it asserts nothing and prints numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import session  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grading import Unit, grade  # noqa: E402
from autograder.records import Submission  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes, with_cell  # noqa: E402
from autograder.sandbox import Limits, choose_sandbox  # noqa: E402
from autograder.variants import Variant  # noqa: E402

SECRET = b"benchmark-secret"
BREAKS = {
    "os._exit": "import os\ndef {task}(*args, **kwargs):\n    os._exit(0)",
    "segfault": "import ctypes\ndef {task}(*args, **kwargs):\n    return ctypes.string_at(0)",
    "SIGKILL": "import os, signal\ndef {task}(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGKILL)",
    "hang": "def {task}(*args, **kwargs):\n    while True:\n        pass",
}

starts: list[float] = []  # seconds each start of the notebook's process took, for one submission


def timed_start(run: session.SubmissionRun, start=session.SubmissionRun._start):
    began = time.perf_counter()
    try:
        return start(run)
    finally:
        starts.append(time.perf_counter() - began)


def timed_grade(course: Course, assignment: str, breaks: dict[str, str], sandbox: str,
                limits: Limits) -> tuple[float, list[float], float]:
    variant = Variant.derive(SECRET, assignment, "bench")
    nb = build_notebook(course, course.assignment(assignment), variant, solutions=True)
    for task, way in breaks.items():
        nb = with_cell(nb, task, BREAKS[way].format(task=task))
    unit = Unit(str(course.root), assignment, "bench", variant.key, Submission("bench.ipynb", notebook_bytes(nb)),
                sandbox, limits)
    starts.clear()
    began = time.perf_counter()
    report = grade(unit)
    return time.perf_counter() - began, starts[:], report["score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", nargs="+", default=["critical_points", "momentum_nag"])
    parser.add_argument("--repeat", type=int, default=3, help="gradings per case (hangs: once per task)")
    parser.add_argument("--call-timeout", type=float, default=Limits().call_timeout)
    args = parser.parse_args()
    session.SubmissionRun._start = timed_start
    course = Course(ROOT)
    sandbox = choose_sandbox()[0]
    limits = dataclasses.replace(Limits(), call_timeout=args.call_timeout)
    print(f"sandbox {sandbox}; call timeout {limits.call_timeout:g} s, submission budget {limits.submission_timeout:g} s; "
          "medians over each task broken in turn")
    print(f"{'assignment':<16} {'broken':<26} {'seconds':>8} {'extra s':>8} {'starts':>7} {'restart s':>10} "
          f"{'score':>6}")
    for assignment in args.assignment:
        tasks = [t.name for t in course.assignment(assignment).tasks]
        timed_grade(course, assignment, {}, sandbox, limits)  # warm the zygote and this process's caches
        good = [timed_grade(course, assignment, {}, sandbox, limits) for _ in range(args.repeat)]
        base = statistics.median(t for t, _, _ in good)
        cases = [("none (correct)", [{}])]
        cases += [(f"one function: {way}", [{task: way} for task in tasks]) for way in BREAKS]
        cases += [("every function: segfault", [dict.fromkeys(tasks, "segfault")]),
                  ("every function: hang", [dict.fromkeys(tasks, "hang")])]
        for label, variants in cases:
            repeat = 1 if any("hang" in v.values() for v in variants) else args.repeat
            runs = [timed_grade(course, assignment, breaks, sandbox, limits) for breaks in variants for _ in range(repeat)]
            seconds = statistics.median(t for t, _, _ in runs)
            restarts = [t for _, started, _ in runs for t in started[1:]]
            restart = f"{statistics.median(restarts):10.2f}" if restarts else f"{'-':>10}"
            most = max(len(started) for _, started, _ in runs)
            score = statistics.median(s for _, _, s in runs)
            print(f"{assignment:<16} {label:<26} {seconds:8.2f} {seconds - base:8.2f} {most:7d} {restart} {score:6.1f}")


if __name__ == "__main__":
    main()
