"""Grading on a Dask cluster against the local pool, the cost of a task, and 100,000 submissions.

    .venv/bin/python benchmarks/cluster.py [--assignment critical_points] [--size 200]
                                           [--noop 2000] [--repeat 2]

Prints, for one generated class: the wall time of `autograder grade` (cluster start included)
with --jobs 1, --jobs 2, --cluster local:1 and --cluster local:2; Dask's own cost per task
(no-op tasks through the same bounded window the grader uses); what the client spends on
each report (receiving it, writing report.json/html, storing it in the gradebook); and, from
those numbers, a model of the time to grade 100,000 submissions on N workers. A benchmark,
not a test: it asserts nothing. The load average is printed with the numbers, since other
work on the machine shifts them.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from throughput import ROOT, SECRET, make_class

from autograder.render import reports
from autograder.course import Course
from autograder.gradebook import Gradebook
from autograder.grading import Unit, grade
from autograder.records import Submission
from autograder.sandbox import choose_sandbox
from autograder.variants import Variant

CONFIGS = [["--jobs", "1"], ["--jobs", "2"], ["--cluster", "local:1"], ["--cluster", "local:2"]]


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_grade(assignment: str, work: Path, option: list[str]) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds it reports for grading after start-up)."""
    out = work / ("graded-" + "-".join(option).strip("-").replace(":", ""))
    shutil.rmtree(out, ignore_errors=True)
    command = [str(ROOT / ".venv" / "bin" / "autograder"), "grade", assignment, str(work / "submissions"),
               "--roster", str(work / "roster.csv"), "--out", str(out), "--course", str(ROOT), *option]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "AUTOGRADER_SECRET": SECRET.decode()})
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grade {' '.join(option)} failed: {done.stderr[-2000:]}")
    return wall, float(re.search(r" in ([0-9.]+) s \(", done.stdout).group(1))


def noop(x):
    return x


def dask_cost_per_task(count: int, workers: int) -> float:
    """Seconds per no-op task on a local cluster, submitted through a window of 32 as the grader does."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, Client(cluster) as client:
        client.submit(noop, 0).result()
        pending = iter(range(count))
        window = as_completed()
        started = time.perf_counter()
        for i in range(32):
            window.add(client.submit(noop, next(pending), pure=False))
        for future in window:
            future.result()
            following = next(pending, None)
            if following is not None:
                window.add(client.submit(noop, following, pure=False))
        return (time.perf_counter() - started) / count


def empty_units(assignment: str, work: Path, count: int) -> dict[str, float]:
    """Seconds per unit of a class where nobody submitted: all of a unit's way but the sandbox."""
    empty = work / "empty"
    (empty / "submissions").mkdir(parents=True, exist_ok=True)
    (empty / "roster.csv").write_text("student_id\n" + "".join(f"e{k:05d}\n" for k in range(count)))
    return {option[1]: run_grade(assignment, empty, option)[1] / count
            for option in (["--jobs", "1"], ["--cluster", "local:1"])}


def client_cost_per_report(assignment: str, work: Path, sid: str, repeat: int = 200) -> tuple[float, int]:
    """Seconds the client spends on one finished report (unpickle it, write its files, store it), and its size."""
    course = Course(ROOT)
    unit = Unit(str(ROOT), assignment, sid, Variant.derive(SECRET, assignment, sid).key,
                Submission(sid, (work / "submissions" / f"{sid}.ipynb").read_bytes()), choose_sandbox(False)[0])
    report = grade(unit)
    message = pickle.dumps((report, "key", reports.report_files(report, course.root / "templates")))
    folder = Path(tempfile.mkdtemp())
    book = Gradebook(folder / "gradebook.sqlite")
    started = time.perf_counter()
    for _ in range(repeat):
        received, key, files = pickle.loads(message)
        reports.write_report_files(files, folder / sid)
        book.store(received, key)
    seconds = (time.perf_counter() - started) / repeat
    book.close()
    shutil.rmtree(folder)
    return seconds, len(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="critical_points")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--noop", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration; the fastest counts")
    args = parser.parse_args()
    course = Course(ROOT)
    work = Path(tempfile.mkdtemp(prefix="autograder-cluster-bench-"))
    ids = make_class(course, args.assignment, args.size, work / "submissions")
    print(f"{args.assignment}, {args.size} submissions, {os.cpu_count()} cores; {load()}")
    walls = {}
    for option in CONFIGS:
        runs = [run_grade(args.assignment, work, option) for _ in range(args.repeat)]
        wall, grading = min(runs)
        walls[option[1]] = (wall, grading)
        print(f"  {' '.join(option):<18} {wall:7.1f} s wall ({args.size / wall:5.2f}/s), {grading:7.1f} s after "
              f"start-up ({args.size / grading:5.2f}/s)   [{load()}]")
    task = {}
    for workers in (1, 2):
        task[workers] = dask_cost_per_task(args.noop, workers)
        print(f"Dask's cost per task (no-op, {workers} worker(s), window of 32): {task[workers] * 1000:.2f} ms   "
              f"[{load()}]")
    empty = empty_units(args.assignment, work, args.noop)
    print(f"a unit without a submission: --jobs 1 {empty['1'] * 1000:.2f} ms, --cluster local:1 "
          f"{empty['local:1'] * 1000:.2f} ms, so {(empty['local:1'] - empty['1']) * 1000:+.2f} ms per unit on a cluster")
    client, size = client_cost_per_report(args.assignment, work, ids[0])
    print(f"the client per report ({size / 1024:.0f} KiB back from the worker; write + store): {client * 1000:.2f} ms")

    per_unit = walls["1"][1] / args.size  # one process, after start-up
    start = walls["local:1"][0] - walls["local:1"][1]
    overhead = walls["local:1"][1] / args.size - per_unit
    # The client is one process: it submits every unit and receives, writes and stores every report;
    # a no-op task that two workers finish no faster than one measures the part nobody shares.
    serial = client + task[2]
    print(f"\nModel: T(N) = start + 100000 * max((unit + overhead) / N, serial), with unit = {per_unit:.3f} s "
          f"(--jobs 1, after start-up), overhead = {overhead * 1000:+.0f} ms (local:1 against --jobs 1), "
          f"start = {start:.0f} s, serial = {serial * 1000:.1f} ms (the client per report + a no-op task "
          f"on 2 workers)")
    for workers in (1, 2, 8, 32, 128, 512):
        seconds = start + 100_000 * max((per_unit + max(overhead, 0.0)) / workers, serial)
        print(f"  {workers:4d} workers: {seconds / 3600:7.2f} h ({seconds:9.0f} s)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
