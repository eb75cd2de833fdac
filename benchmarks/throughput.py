"""Throughput of `autograder grade` on generated classes, and nbgrader's autograde on the same class.

    .venv/bin/python benchmarks/throughput.py [--assignment critical_points] [--sizes 200 1000]
                                              [--jobs 1 2] [--nbgrader-sample 40]

Prints, per class size and --jobs: wall seconds, submissions per second and the peak memory
(largest resident set of any one process); the split of time per submission (in-process
profile of a sample); and nbgrader 0.9 autograde's seconds per submission on a sample of the
same class, run in the same process tree on the same machine, with the ratio. A benchmark, not
a test: it asserts nothing and prints numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.demo import load_mistakes  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes, with_cell  # noqa: E402
from autograder.variants import Variant  # noqa: E402

SECRET = b"benchmark-secret"
HOSTILE = {
    "infinite loop": "def {task}(*args, **kwargs):\n    while True:\n        pass",
    "os._exit": "import os\ndef {task}(*args, **kwargs):\n    os._exit(1)",
    "memory bomb": "def {task}(*args, **kwargs):\n    hog = []\n    while True:\n        hog.append(bytearray(2**27))",
}


def make_class(course: Course, assignment: str, n: int, folder: Path) -> list[str]:
    """Mostly correct work, the known mistakes in turn, a few untouched stubs, 1 % hostile."""
    definition = course.assignment(assignment)
    mistakes = load_mistakes(course, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"b{k:05d}" for k in range(n)]
    for k, sid in enumerate(ids):
        variant = Variant.derive(SECRET, assignment, sid)
        nb = build_notebook(course, definition, variant, solutions=k % 20 != 19)
        if k % 100 == 50:
            kind = list(HOSTILE)[(k // 100) % len(HOSTILE)]
            task = definition.tasks[-1].name
            nb = with_cell(nb, task, HOSTILE[kind].format(task=task))
        elif k % 10 in (3, 7):
            mistake = mistakes[(k // 10) % len(mistakes)]
            nb = with_cell(nb, mistake.task, mistake.source)
        (folder / f"{sid}.ipynb").write_bytes(notebook_bytes(nb))
    (folder.parent / "roster.csv").write_text("student_id\n" + "\n".join(ids) + "\n")
    return ids


def peak_rss_mib() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(children, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def run_grade(assignment: str, work: Path, jobs: int) -> tuple[float, str]:
    out = work / f"graded-j{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(ROOT / ".venv" / "bin" / "autograder"), "grade", assignment, str(work / "submissions"),
               "--roster", str(work / "roster.csv"), "--out", str(out), "--jobs", str(jobs), "--course", str(ROOT)]
    env = {**os.environ, "AUTOGRADER_SECRET": SECRET.decode()}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grade failed: {done.stderr[-2000:]}")
    return seconds, done.stdout.strip().splitlines()[0]


def time_split(assignment: str, work: Path, ids: list[str], sample: int) -> None:
    """Where one submission's time goes, from an in-process profile of a sample."""
    from autograder import reports
    from autograder.grading import Submission, Unit, grade
    from autograder.sandbox import choose_sandbox

    course = Course(ROOT)
    kind = choose_sandbox(False)[0]
    units = [Unit(str(ROOT), assignment, sid, Variant.derive(SECRET, assignment, sid).key,
                  Submission(sid, (work / "submissions" / f"{sid}.ipynb").read_bytes()), kind)
             for sid in ids[:sample]]
    grade(units[0])  # start the zygote outside the measurement, as a long run amortises it
    profile = cProfile.Profile()
    out = Path(tempfile.mkdtemp())
    started = time.perf_counter()
    profile.enable()
    for unit in units:
        reports.write_report(grade(unit), out / unit.student_id, course.root / "templates")
    profile.disable()
    total = (time.perf_counter() - started) / len(units)
    stats = pstats.Stats(profile).stats
    parts = {
        "draw parameters and reference": "context",
        "build checks (hidden cases, references)": "checks",
        "sandbox: start worker, run cells": "_start",
        "sandbox: calls (student code + transfer)": "call",
        "judge answers": "run_judge",
        "write report.json + report.html (figures)": "write_report",
    }
    print(f"  time per submission (one process, sample of {len(units)}): {total * 1000:.0f} ms")
    for label, function in parts.items():
        cumulative = sum(v[3] for k, v in stats.items() if k[2] == function) / len(units)
        print(f"    {label:<45} {cumulative * 1000:7.0f} ms")
    shutil.rmtree(out, ignore_errors=True)


def sandbox_overhead(assignment: str, work: Path, ids: list[str], sample: int) -> None:
    """The same submissions graded under bubblewrap and as a plain limited subprocess."""
    from autograder.grading import Submission, Unit, grade
    from autograder.sandbox import bwrap_status

    if not bwrap_status()[0]:
        print("  sandbox overhead: bubblewrap is not available here")
        return
    times = {}
    for kind in ("rlimit-only", "bwrap"):
        units = [Unit(str(ROOT), assignment, sid, Variant.derive(SECRET, assignment, sid).key,
                      Submission(sid, (work / "submissions" / f"{sid}.ipynb").read_bytes()), kind)
                 for sid in ids[:sample]]
        grade(units[0])  # each kind's zygote starts outside the measurement
        started = time.perf_counter()
        for unit in units:
            grade(unit)
        times[kind] = (time.perf_counter() - started) / len(units)
    print(f"  sandbox overhead per submission (sample of {sample}): bwrap {times['bwrap'] * 1000:.0f} ms, "
          f"plain limited subprocess {times['rlimit-only'] * 1000:.0f} ms, "
          f"difference {(times['bwrap'] - times['rlimit-only']) * 1000:+.0f} ms")


def nbgrader_seconds_per_submission(assignment: str, work: Path, ids: list[str], sample: int) -> float:
    """nbgrader autograde on the first `sample` students of the same class (its own course folder)."""
    from autograder.nbgrader_course import write_source

    nbgrader = ROOT / ".venv" / "bin" / "nbgrader"
    course_dir = work / "nbgrader-course"
    shutil.rmtree(course_dir, ignore_errors=True)
    course_dir.mkdir()
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.CourseDirectory.db_assignments = [dict(name=%r)]\n"
        "c.CourseDirectory.db_students = [%s]\n" % (str(course_dir), assignment,
                                                      ", ".join(f"dict(id={sid!r})" for sid in ids[:sample])))
    write_source(Course(ROOT), assignment, SECRET, course_dir)
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    subprocess.run([str(nbgrader), "generate_assignment", assignment, "--force"], cwd=course_dir, env=env,
                   check=True, capture_output=True)
    for sid in ids[:sample]:
        target = course_dir / "submitted" / sid / assignment
        target.mkdir(parents=True)
        shutil.copy(work / "submissions" / f"{sid}.ipynb", target / f"{assignment}.ipynb")
    started = time.perf_counter()
    subprocess.run([str(nbgrader), "autograde", assignment, "--force"], cwd=course_dir, env=env,
                   capture_output=True)
    return (time.perf_counter() - started) / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="critical_points")
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile-sample", type=int, default=30)
    parser.add_argument("--nbgrader-sample", type=int, default=40,
                        help="students nbgrader autogrades (0: skip); its time per submission is constant")
    args = parser.parse_args()
    course = Course(ROOT)
    work_root = Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    ours = {}
    for size in args.sizes:
        work = work_root / f"class-{size}"
        started = time.perf_counter()
        ids = make_class(course, args.assignment, size, work / "submissions")
        print(f"{args.assignment}, {size} submissions (generated in {time.perf_counter() - started:.1f} s)")
        for jobs in args.jobs:
            seconds, line = run_grade(args.assignment, work, jobs)
            ours[(size, jobs)] = seconds / size
            print(f"  --jobs {jobs}: {seconds:7.1f} s  {size / seconds:6.2f} submissions/s  "
                  f"peak RSS {peak_rss_mib():.0f} MiB   [{line}]")
    time_split(args.assignment, work, ids, args.profile_sample)
    sandbox_overhead(args.assignment, work, ids, args.profile_sample)
    if args.nbgrader_sample:
        theirs = nbgrader_seconds_per_submission(args.assignment, work, ids, args.nbgrader_sample)
        print(f"nbgrader 0.9 autograde, {args.nbgrader_sample} of the same submissions: {theirs:.2f} s per submission")
        for (size, jobs), per in sorted(ours.items()):
            print(f"  ours at {size} submissions, --jobs {jobs}: {per:.3f} s per submission, {theirs / per:.1f}x faster")
    shutil.rmtree(work_root, ignore_errors=True)


if __name__ == "__main__":
    main()
