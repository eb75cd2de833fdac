"""The real thing: `autograder serve` (uvicorn) in its own process on a loopback port, driven over HTTP.

End to end on the repository's course; a kill -9 with jobs queued and a restart (every
submission graded, each exactly once); a bounded load test (200 uploads from 40
concurrent clients) that prints the time from upload to report.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from conftest import ROOT, submission_of
from serverkit import bearer, free_port, live_server, tokens, write_people

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """The repository's course without its course.toml (whose one-minute interval would slow these tests)."""
    folder = tmp_path_factory.mktemp("course")
    for part in ("assignments", "solutions", "templates"):
        (folder / part).symlink_to(ROOT / part)
    return folder


def wait_done(client, sid, headers, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/submissions/{sid}", headers=headers).json()
        if state["status"] in ("graded", "ungradable"):
            return state
        time.sleep(0.25)
    raise AssertionError(f"{sid} not graded in {timeout} s")


def test_end_to_end_over_http(tmp_path, course, course_copy):
    roster, staff = write_people(tmp_path, ["s1", "s2"])
    data, port = tmp_path / "data", free_port()
    token = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    with live_server(course_copy, roster, staff, data, port, "--jobs", "2", "--max-upload", "1 MiB"):
        client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        s1 = bearer(token["s1"])
        notebook = client.get("/api/assignments/critical_points/notebook", headers=s1)
        assert notebook.status_code == 200 and b'"student_id": "s1"' in notebook.content
        started = time.monotonic()
        answer = client.post("/api/assignments/critical_points/submissions", headers=s1,
                             files={"notebook": ("cp.ipynb", submission_of(course, "critical_points", "s1"))})
        assert answer.status_code == 202
        done = wait_done(client, answer.json()["id"], s1)
        print(f"\none upload on an idle server: report after {time.monotonic() - started:.2f} s")
        assert (done["status"], done["score"], done["max_score"]) == ("graded", 20.0, 20.0)
        assert done["report"]["sandbox"] in ("bwrap", "rlimit-only") and done["report"]["tasks"][0]["checks"]
        # 40 MiB against a 1 MiB limit: refused while it streams, and the client hears the 413.
        big = client.post("/api/assignments/critical_points/submissions", headers=s1,
                          files={"notebook": ("big.ipynb", b"{" + b" " * (40 * 2**20))})
        assert big.status_code == 413 and "Clear the notebook's outputs" in big.json()["error"]
        assert not any(p.stat().st_size > 2**20 for p in (data / "files").rglob("*") if p.is_file())
        rows = client.get("/api/assignments/critical_points/grades", headers=bearer(token["ta"])).json()
        assert [(r["student_id"], r["score"], r["submission"]) for r in rows] == \
            [("s1", 20.0, done["id"]), ("s2", 0.0, None)]
        page = client.get(f"/signin?token={token['s1']}", follow_redirects=True)
        assert page.status_code == 200 and "Your assignments" in page.text


def test_kill_9_with_jobs_queued_loses_nothing_and_grades_each_once(tmp_path, course, course_copy):
    students = [f"k{i}" for i in range(6)]
    roster, staff = write_people(tmp_path, students)
    data, port = tmp_path / "data", free_port()
    token = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    uploads = {}
    with live_server(course_copy, roster, staff, data, port, "--jobs", "1") as proc:
        client = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        for sid in students:
            for _ in range(2):
                answer = client.post("/api/assignments/critical_points/submissions", headers=bearer(token[sid]),
                                     files={"notebook": ("cp.ipynb", submission_of(course, "critical_points", sid))})
                assert answer.status_code == 202
                uploads[answer.json()["id"]] = sid
        db = sqlite3.connect(data / "autograder.sqlite")
        finished_before = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        os.kill(proc.pid, signal.SIGKILL)  # the server alone, as a crash would: no shutdown of any kind
        proc.wait()
    assert finished_before < len(uploads), "every job was done before the kill; the test proves nothing"
    states = dict(db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
    print(f"\nkilled with {states} of {len(uploads)} jobs ({finished_before} grades stored before the kill)")
    with live_server(course_copy, roster, staff, data, free_port(), "--jobs", "2") as proc:
        client = httpx2.Client(base_url=f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}", timeout=60)
        for sid, student in uploads.items():
            done = wait_done(client, sid, bearer(token[student]))
            assert (done["status"], done["score"]) == ("graded", 20.0)
    counts = dict(db.execute("SELECT submission_id, COUNT(*) FROM results GROUP BY submission_id").fetchall())
    assert counts == {sid: 1 for sid in uploads}
    assert db.execute("SELECT COUNT(*) FROM jobs WHERE state != 'done'").fetchone() == (0,)


def test_load_200_uploads_from_40_concurrent_clients(tmp_path, course, course_copy):
    clients, rounds = 40, 5
    students = [f"L{i:02d}" for i in range(clients)]
    roster, staff = write_people(tmp_path, students)
    data, port = tmp_path / "data", free_port()
    token = tokens(data, roster, staff, f"http://127.0.0.1:{port}")
    notebooks = {sid: submission_of(course, "critical_points", sid) for sid in students}
    with live_server(course_copy, roster, staff, data, port, "--jobs", "2"):
        def student(sid):
            times, ids = [], []
            with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                for _ in range(rounds):
                    started = time.monotonic()
                    answer = client.post("/api/assignments/critical_points/submissions", headers=bearer(token[sid]),
                                         files={"notebook": ("cp.ipynb", notebooks[sid])})
                    assert answer.status_code == 202, answer.text
                    done = wait_done(client, answer.json()["id"], bearer(token[sid]), timeout=600)
                    assert done["score"] == 20.0
                    times.append(time.monotonic() - started)
                    ids.append(answer.json()["id"])
            return times, ids

        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(student, students))
        wall = time.monotonic() - started
    latencies = sorted(t for times, _ in results for t in times)
    ids = [i for _, ids in results for i in ids]
    db = sqlite3.connect(data / "autograder.sqlite")
    assert len(ids) == len(set(ids)) == clients * rounds
    assert db.execute("SELECT COUNT(*) FROM submissions WHERE status = 'graded'").fetchone() == (clients * rounds,)
    assert dict(db.execute("SELECT submission_id, COUNT(*) FROM results GROUP BY submission_id").fetchall()) == \
        {i: 1 for i in ids}
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"\nload: {len(latencies)} uploads from {clients} concurrent clients, --jobs 2, in {wall:.1f} s "
          f"({len(latencies) / wall:.1f} per second); upload to report p50 {p50:.2f} s, p95 {p95:.2f} s, "
          f"max {latencies[-1]:.2f} s")


def test_serve_demo_prints_links_that_sign_in_a_student_and_a_ta(tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "autograder.cli", "serve", "--demo", "--data", str(tmp_path / "demo"),
                                 "--port", str(port), "--jobs", "1"], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Uvicorn running" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.5)
        links = dict(re.findall(r"(student s006|TA ta1)\b.*?(http://\S+)", log.read_text()))
        client = httpx2.Client(timeout=60, follow_redirects=True)
        for who, role in (("student s006", "student"), ("TA ta1", "staff")):
            client.cookies.clear()
            assert client.get(links[who]).status_code == 200
            assert client.get(f"http://127.0.0.1:{port}/api/me").json()["role"] == role
        rows = client.get(f"http://127.0.0.1:{port}/api/assignments/critical_points/grades").json()
        assert len(rows) == 12 and [r["submission"] for r in rows if r["student_id"] == "s006"] == [None]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_a_closed_pool_leaves_no_process_behind(sandbox):
    """A server's stop, or a test's, must not leave a grading worker (and its zygote) running."""
    from autograder.server.executors import LocalPool

    pool = LocalPool(2, sandbox)
    workers = list(pool._pool._processes)  # started by the warm-ups the pool submits at once
    assert len(workers) == 2
    deadline = time.monotonic() + 60
    while not all(_descendants([pid]) for pid in workers):  # each warm-up starts its worker's zygote
        assert time.monotonic() < deadline, "the pool's workers started no zygote within 60 s"
        time.sleep(0.1)
    everyone = set(workers) | _descendants(workers)
    pool.close()
    deadline = time.monotonic() + 10
    while [pid for pid in everyone if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in everyone if _alive(pid)]


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (state, parent, ...), None when gone."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has ended: only its parent's wait is missing


def _descendants(pids: list[int]) -> set[int]:
    parents = {int(p.name): fields[1] for p in Path("/proc").iterdir() if p.name.isdigit()
               if (fields := _stat(int(p.name))) is not None}
    found, todo = set(), list(pids)
    while todo:
        parent = str(todo.pop())
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in found]
        found.update(children)
        todo.extend(children)
    return found
