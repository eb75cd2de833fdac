"""Grading speed against nbgrader, for every assignment of the course, in one run.

    .venv/bin/python benchmarks/throughput.py [--quick] [--assignments critical_points momentum_nag]
                                              [--class-size 40] [--repeat 3] [--large 1000]
                                              [--nbgrader-class 40] [--course DIR]

For each assignment:

1. The issue's measure: a class of `--class-size` `--solutions` notebooks (made by `autograder
   generate`), the whole `autograder grade ... --jobs 2` command timed from start to exit
   (median of `--repeat` runs), and `nbgrader autograde` of the same notebooks in the same run;
   the ratio of the two.
2. Where one submission's time goes: the stages of grading, timed in one process over a sample
   (medians), with the process's own CPU time beside the wall time.
3. Peak memory: the largest resident set of any one process of the grade command.
4. A large class (`--large` students: mostly correct work, the known mistakes in turn, untouched
   stubs and 1 % hostile notebooks that loop, exit or eat memory), graded with --jobs 2.

The machine's load (1-minute load average) is printed beside each timing: on a shared machine
a busy neighbour shows up there. A benchmark, not a test: it asserts nothing and prints numbers.
`--quick` is the short version (a class of 10, 3 students for nbgrader, 100 for the large class).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.demo import load_mistakes  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes, with_cell  # noqa: E402
from autograder.variants import Variant  # noqa: E402

SECRET = "benchmark-secret"
HOSTILE = {
    "infinite loop": "def {task}(*args, **kwargs):\n    while True:\n        pass",
    "os._exit": "import os\ndef {task}(*args, **kwargs):\n    os._exit(1)",
    "memory bomb": "def {task}(*args, **kwargs):\n    hog = []\n    while True:\n        hog.append(bytearray(2**27))",
}
# The stages of one submission, as (label, module, function): each is timed where it is called,
# without the stages it calls. An empty label adds to the one above; a name a version of the
# grader does not have is left out (template_cells is what older graders render cells with, _call
# what they made each call with).
STAGES = (
    ("read the notebook, plan its cells", "autograder.grading", "read_submission"),
    ("", "autograder.grading", "locked_cells"),
    ("", "autograder.grading", "template_cells"),
    ("", "autograder.grading", "execution_plan"),
    ("parameters and reference", "autograder.course", "Course.context"),
    ("build the checks (hidden cases, references)", None, "checks"),
    ("sandbox: start a worker, run the cells", "autograder.session", "SubmissionRun._start"),
    ("sandbox: calls (student code and transfer)", "autograder.session", "SubmissionRun._call"),
    ("", "autograder.session", "SubmissionRun._ask"),
    ("judge the answers", "autograder.grading", "_judge"),
    ("write report.json and report.html", "autograder.render.reports", "write_report"),
)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def roster(folder: Path, ids: list[str]) -> Path:
    path = folder / "roster.csv"
    path.write_text("student_id\n" + "\n".join(ids) + "\n")
    return path


def env() -> dict:
    return {**os.environ, "AUTOGRADER_SECRET": SECRET, "PATH": f"{BIN}:{os.environ['PATH']}"}


# --- 1. the class against nbgrader ------------------------------------------------

def solutions_class(assignment: str, size: int, work: Path, course: Path) -> tuple[Path, Path]:
    """`autograder generate --solutions`, the solution notebooks handed in flat."""
    ids = [f"s{k:03d}" for k in range(1, size + 1)]
    path = roster(work, ids)
    subprocess.run([str(BIN / "autograder"), "generate", assignment, "--roster", str(path), "--out",
                    str(work / "generated"), "--solutions", "--course", str(course)],
                   env=env(), check=True, capture_output=True)
    submissions = work / "submissions"
    submissions.mkdir()
    for sid in ids:
        shutil.copy(work / "generated" / sid / f"{assignment}.solution.ipynb", submissions / f"{sid}.ipynb")
    return path, submissions


def grade_command(assignment: str, submissions: Path, roster_path: Path, out: Path, course: Path,
                  jobs: int = 2) -> tuple[float, str, float]:
    """Wall seconds of the whole command, start to exit; its closing line; and its peak memory,
    the largest resident set (MiB) of any process of its tree that was waited for."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(BIN / "autograder"), "grade", assignment, str(submissions), "--roster", str(roster_path),
               "--out", str(out), "--jobs", str(jobs), "--course", str(course)]
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, env=env())
        _, status, usage = os.wait4(process.pid, 0)  # the rusage of this command's tree alone
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"grade failed: {stderr.read()[-2000:]}")
        return seconds, stdout.read().strip().splitlines()[0], usage.ru_maxrss / 1024


def nbgrader_seconds(assignment: str, submissions: Path, ids: list[str], work: Path, course: Path) -> float:
    """`nbgrader autograde` of the same notebooks in its own course folder, timed start to exit."""
    from autograder.integrations.nbgrader import write_source

    course_dir = work / "nbgrader-course"
    course_dir.mkdir()
    (course_dir / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.CourseDirectory.db_assignments = [dict(name=%r)]\n"
        "c.CourseDirectory.db_students = [%s]\n" % (str(course_dir), assignment, ", ".join(f"dict(id={s!r})" for s in ids)))
    write_source(Course(course), assignment, SECRET.encode(), course_dir)
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force"], cwd=course_dir, env=env(),
                   check=True, capture_output=True)
    for sid in ids:
        target = course_dir / "submitted" / sid / assignment
        target.mkdir(parents=True)
        shutil.copy(submissions / f"{sid}.ipynb", target / f"{assignment}.ipynb")
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "nbgrader"), "autograde", assignment, "--force"], cwd=course_dir, env=env(),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    graded = len(list((course_dir / "autograded").glob(f"*/{assignment}/{assignment}.ipynb")))
    if done.returncode != 0 or graded != len(ids):
        raise SystemExit(f"nbgrader autograded {graded} of {len(ids)} notebooks (exit {done.returncode}): "
                         f"{done.stderr[-2000:]}")
    return seconds


def against_nbgrader(assignment: str, size: int, repeat: int, nbgrader_size: int, work: Path, course: Path) -> None:
    """Our command `repeat` times before nbgrader's run and `repeat` times after it: on a shared
    machine the load changes during nbgrader's minutes, and the median of both sides meets it."""
    roster_path, submissions = solutions_class(assignment, size, work, course)

    def ours(times: int) -> list[tuple[float, str, float, str]]:
        return [(*grade_command(assignment, submissions, roster_path, work / "graded", course), load())
                for _ in range(times)]

    runs = ours(repeat)
    theirs = None
    if nbgrader_size:
        ids = [f"s{k:03d}" for k in range(1, nbgrader_size + 1)]
        theirs, at = nbgrader_seconds(assignment, submissions, ids, work, course), load()
        runs += ours(repeat)
    median = statistics.median(s for s, _, _, _ in runs)
    print(f"  ours: a class of {size}, `grade --jobs 2` start to exit: {median:.2f} s, the median of "
          f"{', '.join(f'{s:.2f} s ({lo})' for s, _, _, lo in runs)}" + (" (before and after nbgrader)" if theirs else ""))
    print(f"        {runs[-1][1]}")
    print(f"        peak memory: {max(p for _, _, p, _ in runs):.0f} MiB (largest resident set of one process)")
    if theirs is None:
        return
    theirs_class = theirs * size / nbgrader_size
    print(f"  nbgrader 0.9 autograde, {nbgrader_size} of the same notebooks: {theirs:.1f} s ({at})"
          + (f", {theirs_class:.1f} s for the class of {size}" if nbgrader_size != size else ""))
    print(f"  ratio: {theirs_class / median:.1f}x faster than nbgrader")


# --- 2. the stages of one submission --------------------------------------------------------

def stage_profile(assignment: str, submissions: Path, sample: int, course: Path) -> None:
    """Each stage timed where it is called, in one process, over `sample` submissions (after one
    that warms the process and starts its zygote, as a long run amortises both)."""
    import importlib

    from autograder.render import reports
    from autograder.grading import Unit, grade
    from autograder.records import Submission
    from autograder.sandbox import choose_sandbox

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    inner: list[list[float]] = []  # per open stage: the wall and CPU time of the stages it called
    originals = []

    def timed(label, function):
        def wrapper(*args, **kwargs):
            inner.append([0.0, 0.0])
            w, c = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                dw, dc = time.perf_counter() - w, time.process_time() - c
                nested_w, nested_c = inner.pop()
                wall[label] = wall.get(label, 0.0) + dw - nested_w
                cpu[label] = cpu.get(label, 0.0) + dc - nested_c
                if inner:
                    inner[-1][0] += dw
                    inner[-1][1] += dc
        return wrapper

    label = None
    for name, module_name, attribute in STAGES:
        label = name or label
        if module_name is None:  # a field of the assignment (frozen): its checks builder
            owner = Course(course).assignment(assignment)
        else:
            owner_name, _, attribute = attribute.rpartition(".")
            owner = importlib.import_module(module_name)
            owner = getattr(owner, owner_name) if owner_name else owner
        if hasattr(owner, attribute):
            put = object.__setattr__ if module_name is None else setattr  # past the frozen dataclass
            originals.append((put, owner, attribute, getattr(owner, attribute)))
            put(owner, attribute, timed(label, getattr(owner, attribute)))
    kind = choose_sandbox(False)[0]
    paths = sorted(submissions.glob("*.ipynb"))[: sample + 1]
    units = [Unit(str(course), assignment, p.stem, Variant.derive(SECRET.encode(), assignment, p.stem).key,
                  Submission(p.name, p.read_bytes()), kind) for p in paths]
    out = Path(tempfile.mkdtemp())
    try:
        reports.write_report(grade(units[0]), out / "warm-up", course / "templates")
        wall.clear()
        cpu.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        for unit in units[1:]:
            reports.write_report(grade(unit), out / unit.student_id, course / "templates")
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        for put, owner, name, original in originals:
            put(owner, name, original)
        shutil.rmtree(out, ignore_errors=True)
    n = len(units) - 1
    print(f"  one submission ({kind} sandbox, mean of {n}, {load()}): {total / n * 1000:.0f} ms wall, "
          f"{total_cpu / n * 1000:.0f} ms CPU in the grading process")
    for label in dict.fromkeys(name for name, _, _ in STAGES if name):
        if label in wall:
            print(f"    {label:<46} {wall[label] / n * 1000:6.1f} ms wall {cpu[label] / n * 1000:6.1f} ms CPU")
    rest = total - sum(wall.values())
    print(f"    {'everything else':<46} {rest / n * 1000:6.1f} ms wall")


# --- 4. a large class ----------------------------------------------------------------------

def large_class(assignment: str, n: int, folder: Path, course: Course) -> list[str]:
    """Mostly correct work, the known mistakes in turn, a few untouched stubs, 1 % hostile."""
    definition = course.assignment(assignment)
    mistakes = load_mistakes(course, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"b{k:05d}" for k in range(n)]
    for k, sid in enumerate(ids):
        variant = Variant.derive(SECRET.encode(), assignment, sid)
        nb = build_notebook(course, definition, variant, solutions=k % 20 != 19)
        if k % 100 == 50:
            kind = list(HOSTILE)[(k // 100) % len(HOSTILE)]
            task = definition.tasks[-1].name
            nb = with_cell(nb, task, HOSTILE[kind].format(task=task))
        elif k % 10 in (3, 7):
            mistake = mistakes[(k // 10) % len(mistakes)]
            nb = with_cell(nb, mistake.task, mistake.source)
        (folder / f"{sid}.ipynb").write_bytes(notebook_bytes(nb))
    return ids


def large(assignment: str, n: int, work: Path, course: Path) -> None:
    ids = large_class(assignment, n, work / "large", Course(course))
    seconds, line, peak = grade_command(assignment, work / "large", roster(work, ids), work / "large-graded", course)
    hostile = sum(1 for k in range(n) if k % 100 == 50)
    print(f"  a class of {n} ({hostile} hostile), `grade --jobs 2`: {seconds:.1f} s, {n / seconds:.1f} submissions/s, "
          f"peak memory {peak:.0f} MiB ({load()})\n        {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", nargs="+", default=None, help="[default: every assignment of the course]")
    parser.add_argument("--course", type=Path, default=ROOT)
    parser.add_argument("--class-size", type=int, help="[default: 40; quick: 10]")
    parser.add_argument("--repeat", type=int, help="runs of our grade command; the median counts [default: 3; quick: 1]")
    parser.add_argument("--nbgrader-class", type=int,
                        help="how many of the class nbgrader grades, 0 to skip [default: the whole class; quick: 3]")
    parser.add_argument("--stage-sample", type=int, help="[default: 20; quick: 5]")
    parser.add_argument("--large", type=int, help="size of the large class, 0 to skip [default: 1000; quick: 100]")
    parser.add_argument("--quick", action="store_true", help="the short version")
    args = parser.parse_args()
    defaults = {"class_size": (40, 10), "repeat": (3, 1), "stage_sample": (20, 5), "large": (1000, 100),
                "nbgrader_class": (None, 3)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    nbgrader_size = args.class_size if args.nbgrader_class is None else min(args.nbgrader_class, args.class_size)
    course = args.course.resolve()
    names = args.assignments or Course(course).assignment_names()
    print(f"{os.cpu_count()} cores; {load()} at the start; {time.strftime('%Y-%m-%d %H:%M')}")
    for assignment in names:
        work = Path(tempfile.mkdtemp(prefix=f"bench-{assignment}-"))
        try:
            print(f"{assignment}:")
            against_nbgrader(assignment, args.class_size, args.repeat, nbgrader_size, work, course)
            stage_profile(assignment, work / "submissions", args.stage_sample, course)
            if args.large:
                large(assignment, args.large, work, course)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{load()} at the end")


if __name__ == "__main__":
    main()
