"""A deadline night on loopback: many students hand in at once while the server is killed twice.

    .venv/bin/python benchmarks/deadline.py [--students 1000] [--uploads 2000] [--clients 100]
                                            [--spread 180] [--jobs 2] [--kills 2] [--timeout 1500]

`autograder serve` (the repository's course, critical_points, --jobs N) on a loopback port;
`--students` students, each with their own notebook, hand in `--uploads` attempts from
`--clients` concurrent clients within `--spread` seconds: half of the students hand in once,
the others three times in a row (the impatient ones, as many as it takes to reach `--uploads`),
waiting when the server says 429. Meanwhile a prober times the pages a student and a TA load
(`/api/health`, the student's assignment page, the TA's class table) every half second until
the queue is empty, the server's resident memory is sampled, and the server (with its grading
processes) is killed with SIGKILL `--kills` times and started again at once.

Printed: uploads accepted and refused, upload to report (from the server's own times: received
to graded) p50/p95/max, page latency p50/p95/max while the backlog drains, the server's peak
RSS, whether every accepted upload was graded exactly once (nothing lost, nothing twice), and
fairness: how often a student's third attempt started while another student's first attempt
was waiting. A benchmark, not a test: it asserts nothing, it stops by
itself within `--timeout` seconds, and it sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes  # noqa: E402
from autograder.variants import Variant  # noqa: E402

SECRET = b"deadline-benchmark-secret-0123456789"
ASSIGNMENT = "critical_points"


class Server:
    """`autograder serve` in its own process group; `kill()` is a kill -9 of the server and its pool."""

    def __init__(self, folder: Path, course: Path, jobs: int):
        self.folder, self.course, self.jobs = folder, course, jobs
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = open(folder / "server.log", "ab")

    def start(self) -> float:
        """Start and wait until it answers; the seconds that took."""
        began = time.monotonic()
        command = [sys.executable, "-m", "autograder.cli", "serve", "--roster", self.folder / "roster.csv",
                   "--staff", self.folder / "staff.csv", "--data", self.folder / "data", "--port", str(self.port),
                   "--course", self.course, "--secret-file", self.folder / "secret", "--jobs", str(self.jobs)]
        self.proc = subprocess.Popen([str(c) for c in command], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        while time.monotonic() - began < 120:
            try:
                if httpx2.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx2.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not start within two minutes; see " + str(self.folder / "server.log"))

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.log.close()

    def rss(self) -> int:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        return next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--uploads", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--spread", type=float, default=180.0, help="seconds over which the first uploads arrive")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1500.0, help="the whole run stops by itself after this")
    args = parser.parse_args()
    hogs = min(args.students, max(0, (args.uploads - args.students) // 2))
    print(f"{args.students} students ({hogs} of them hand in three times), {args.students + 2 * hogs} uploads "
          f"from {args.clients} clients over {args.spread:.0f} s, --jobs {args.jobs}, {args.kills} kill -9; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    folder = Path(tempfile.mkdtemp(prefix="deadline-"))
    course = _course_copy(folder)
    students = [f"s{i:04d}" for i in range(args.students)]
    links = _class(folder, students)
    began = time.monotonic()
    notebooks = _notebooks(course, students)
    print(f"{len(notebooks)} notebooks made in {time.monotonic() - began:.0f} s", flush=True)

    server = Server(folder, course, args.jobs)
    server.start()
    stop = threading.Event()
    deadline = time.monotonic() + args.timeout
    rss: list[int] = []
    pages: list[tuple[str, float]] = []
    accepted: list[str] = []
    refused: dict[int, int] = {}
    restarts: list[float] = []
    lock = threading.Lock()

    def sample_memory():
        while not stop.wait(0.5):
            rss.append(server.rss())

    def probe_pages():
        student, ta = httpx2.Client(timeout=30, headers=_bearer(links[students[0]])), \
            httpx2.Client(timeout=30, headers=_bearer(links["ta"]))
        targets = [("health", student, "/api/health"), ("student page", student, f"/assignments/{ASSIGNMENT}"),
                   ("class table", ta, f"/staff/{ASSIGNMENT}")]
        while not stop.wait(0.5):
            for name, client, path in targets:
                t0 = time.monotonic()
                try:
                    ok = client.get(server.base + path).status_code == 200
                except httpx2.HTTPError:
                    ok = False  # the server is down (killed): not a page latency
                if ok:
                    pages.append((name, time.monotonic() - t0))

    def hand_in(sid: str, start_at: float, attempts: int):
        time.sleep(max(0.0, start_at - time.monotonic()))
        with httpx2.Client(timeout=120, headers=_bearer(links[sid])) as client:
            done = 0
            while done < attempts and time.monotonic() < deadline:
                try:
                    answer = client.post(f"{server.base}/api/assignments/{ASSIGNMENT}/submissions",
                                         files={"notebook": (f"{ASSIGNMENT}.ipynb", notebooks[sid])})
                except httpx2.HTTPError:
                    time.sleep(1 + random.random())  # killed mid-upload: hand in again, as a student would
                    continue
                with lock:
                    if answer.status_code == 202:
                        accepted.append(answer.json()["id"])
                    else:
                        refused[answer.status_code] = refused.get(answer.status_code, 0) + 1
                if answer.status_code == 202:
                    done += 1
                elif answer.status_code in (429, 503):
                    time.sleep(float(answer.headers.get("retry-after", "5")) * (0.5 + random.random()))
                else:
                    print(f"  {sid}: {answer.status_code} {answer.text[:200]}", flush=True)
                    return

    def killer():
        for k in range(args.kills):
            if stop.wait(max(0.0, t0 + args.spread * (k + 1) / (args.kills + 1) - time.monotonic())):
                return
            server.kill()
            restarts.append(server.start())
            print(f"  kill -9 #{k + 1} at {time.monotonic() - t0:.0f} s; up again in {restarts[-1]:.1f} s", flush=True)

    rng = random.Random(7)
    plan = [(sid, 3 if i < hogs else 1) for i, sid in enumerate(rng.sample(students, len(students)))]
    t0 = time.monotonic()
    threads = [threading.Thread(target=f, daemon=True) for f in (sample_memory, probe_pages, killer)]
    for thread in threads:
        thread.start()
    with ThreadPoolExecutor(args.clients) as pool:
        for sid, attempts in plan:
            pool.submit(hand_in, sid, t0 + rng.uniform(0, args.spread), attempts)
    uploaded = time.monotonic() - t0
    print(f"  every upload answered after {uploaded:.0f} s; the queue drains …", flush=True)
    staff = httpx2.Client(timeout=30, headers=_bearer(links["ta"]))
    while time.monotonic() < deadline:
        try:
            if not _waiting(folder):
                break
        except sqlite3.Error:
            pass
        time.sleep(2)
    drained = time.monotonic() - t0
    stop.set()
    for thread in threads:
        thread.join(timeout=130)
    staff.close()
    server.stop()
    _report(folder, accepted, refused, pages, rss, restarts, uploaded, drained)
    print(f"(data and the server's log: {folder})")


def _report(folder, accepted, refused, pages, rss, restarts, uploaded, drained) -> None:
    db = sqlite3.connect(folder / "data" / "autograder.sqlite")
    rows = db.execute("SELECT s.id, s.student_id, s.received_at, s.status, j.id, j.enqueued_at, j.started_at, "
                      "j.finished_at, j.tries FROM submissions s JOIN jobs j ON j.submission_id = s.id "
                      "WHERE j.regrade IS NULL ORDER BY j.id").fetchall()
    results = dict(db.execute("SELECT submission_id, COUNT(*) FROM results GROUP BY submission_id").fetchall())
    stored = {r[0] for r in rows}
    lost = [i for i in accepted if i not in stored]
    waiting = [r[0] for r in rows if r[0] not in results]  # still queued when --timeout ended the run
    twice = [i for i, n in results.items() if n > 1]
    latencies = sorted(_seconds(r[7]) - _seconds(r[2]) for r in rows if r[7])
    print(f"\nuploads: {len(accepted)} accepted (202), refused {dict(sorted(refused.items())) or 'none'}; "
          f"all answered after {uploaded:.0f} s, queue empty after {drained:.0f} s")
    print(f"upload to report (received → graded, server's clock): p50 {_pct(latencies, 50):.1f} s, "
          f"p95 {_pct(latencies, 95):.1f} s, max {latencies[-1] if latencies else 0:.1f} s")
    for name in ("health", "student page", "class table"):
        times = sorted(t for n, t in pages if n == name)
        if times:
            print(f"{name}: {len(times)} loads while the backlog drained, p50 {_pct(times, 50) * 1000:.0f} ms, "
                  f"p95 {_pct(times, 95) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
    print(f"server RSS: peak {max(rss, default=0) / 2**20:.0f} MiB, median {statistics.median(rss or [0]) / 2**20:.0f} MiB")
    print(f"kill -9: {len(restarts)}, back up in {', '.join(f'{r:.1f} s' for r in restarts) or '-'}; "
          f"jobs tried again after a kill: {sum(r[8] > 1 for r in rows)}")
    print(f"nothing lost: {not lost} ({len(lost)} accepted uploads missing); nothing graded twice: {not twice} "
          f"({len(twice)} with more than one grade); graded: {len(rows) - len(waiting)} of {len(rows)}"
          f"{f' ({len(waiting)} still waiting when --timeout ended the run)' if waiting else ''}")
    # Fairness: a third attempt that started while another student's first attempt was waiting (received more
    # than half a second before that start, started after it: the receipt time is taken before the file is
    # written, so an upload received a moment earlier may not have been in the queue yet).
    by_student: dict[str, list] = {}
    for r in rows:
        by_student.setdefault(r[1], []).append(r)
    firsts = [attempts[0] for attempts in by_student.values()]
    later = [r for attempts in by_student.values() for r in attempts[2:]]
    overtaking = sum(1 for r in later for f in firsts
                     if f[1] != r[1] and r[6] and f[6] and _seconds(f[5]) + 0.5 < _seconds(r[6]) < _seconds(f[6]))
    print(f"fairness: {len(later)} third attempts; {overtaking} times one started while another student's first "
          f"attempt was waiting")


def _waiting(folder: Path) -> int:
    with sqlite3.connect(folder / "data" / "autograder.sqlite", timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM jobs WHERE state != 'done'").fetchone()[0]


def _seconds(text: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _pct(values: list[float], p: int) -> float:
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))] if values else 0.0


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _course_copy(folder: Path) -> Path:
    """The repository's course without its course.toml (whose interval between attempts would refuse the hogs)."""
    course = folder / "course"
    course.mkdir()
    for part in ("assignments", "solutions", "templates"):
        (course / part).symlink_to(ROOT / part)
    return course


def _class(folder: Path, students: list[str]) -> dict[str, str]:
    (folder / "roster.csv").write_text("student_id\n" + "".join(f"{s}\n" for s in students))
    (folder / "staff.csv").write_text("staff_id\nta\n")
    (folder / "secret").write_bytes(SECRET)
    out = folder / "TOKENS.csv"
    subprocess.run([sys.executable, "-m", "autograder.cli", "tokens", "--roster", folder / "roster.csv",
                    "--staff", folder / "staff.csv", "--data", folder / "data", "--out", out], check=True,
                   capture_output=True)
    return {row["id"]: row["token"] for row in csv.DictReader(out.open())}


def _notebooks(course_root: Path, students: list[str]) -> dict[str, bytes]:
    course = Course(course_root)
    assignment = course.assignment(ASSIGNMENT)
    return {sid: notebook_bytes(build_notebook(course, assignment, Variant.derive(SECRET, ASSIGNMENT, sid),
                                               solutions=True)) for sid in students}


if __name__ == "__main__":
    main()
