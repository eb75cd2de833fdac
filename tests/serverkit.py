"""Helpers of the course server's tests: an app in-process, a real server in a subprocess, waiting for grades."""

from __future__ import annotations

import contextlib
import csv
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

from autograder.policy import CoursePolicy, Policy
from autograder.roster import Roster
from autograder.server.executors import LocalPool
from autograder.server.settings import Settings

from conftest import ROOT, SECRET

TOY = ROOT / "tests" / "fixtures" / "toy_course"
STUDENTS = ("a1", "b2", "c3")
STAFF = ("ta",)
DONE = ("graded", "ungradable")


def settings(data: Path, kind: str, course: Path = TOY, students=STUDENTS, **policy) -> Settings:
    roster = Roster(("student_id",), tuple({"student_id": s} for s in students))
    rules = CoursePolicy(course / "course.toml", Policy(**policy), {})
    return Settings(course, roster, STAFF, data, SECRET, rules, jobs=1, sandbox=kind)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wait_done(client, submission_id: str, headers: dict | None = None, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/submissions/{submission_id}", headers=headers or {})
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] in DONE:
            return answer.json()
        time.sleep(0.1)
    raise AssertionError(f"submission {submission_id} was not graded within {timeout} s")


class Gate:
    """A local pool that starts nothing until `open()`: jobs stay queued as long as a test needs."""

    def __init__(self, kind: str):
        self.pool = LocalPool(1, kind)
        self.capacity = 1
        self.held: list[tuple] = []
        self.is_open = False

    def submit(self, unit) -> Future:
        if self.is_open:
            return self.pool.submit(unit)
        future = Future()
        self.held.append((unit, future))
        return future

    def open(self) -> None:
        self.is_open = True
        for unit, future in self.held:
            self.pool.submit(unit).add_done_callback(lambda f, out=future: out.set_result(f.result()))
        self.held.clear()

    def restart(self) -> None:
        self.pool.restart()

    def close(self) -> None:
        self.pool.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tokens(data: Path, roster: Path, staff: Path, base_url: str) -> dict[str, str]:
    out = data / "TOKENS.csv"
    subprocess.run([sys.executable, "-m", "autograder.cli", "tokens", "--roster", roster, "--staff", staff,
                    "--data", data, "--out", out, "--base-url", base_url], check=True, capture_output=True)
    return {row["id"]: row["token"] for row in csv.DictReader(out.open())}


def write_people(folder: Path, students, staff=STAFF) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    roster, staff_file = folder / "roster.csv", folder / "staff.csv"
    roster.write_text("student_id\n" + "".join(f"{s}\n" for s in students))
    staff_file.write_text("staff_id\n" + "".join(f"{s}\n" for s in staff))
    return roster, staff_file


@contextlib.contextmanager
def live_server(course: Path, roster: Path, staff: Path, data: Path, port: int, *extra: str,
                open_files: int | None = None):
    """`autograder serve` in its own process group, on a loopback port; yields the process once it answers.
    `open_files`: the server's limit of open files (soft and hard), as a small machine would have it."""
    secret = data.parent / "secret"
    secret.write_bytes(SECRET)
    command = [sys.executable, "-m", "autograder.cli", "serve", "--roster", roster, "--staff", staff, "--data", data,
               "--port", str(port), "--course", course, "--secret-file", secret, *extra]
    log = open(data.parent / f"server-{port}.log", "ab")
    limit = None if open_files is None else (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (open_files,) * 2))
    proc = subprocess.Popen([str(c) for c in command], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=limit)
    try:
        _wait_until_up(port, proc)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        # Whatever outlived the server (its pool after a kill -9) goes with the group, not on with the suite.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()


def _wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with status {proc.returncode}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError("the server did not answer within a minute")


HIDDEN_CHECK = """

import dataclasses as _dc


def _with_hidden(ctx):
    out = checks(ctx)
    x = np.round(ctx.hidden_rng("scaled/hidden").normal(size=3), 3)
    expected = ctx.reference.scaled(x)
    out.append(Check("scaled", "scaled on a hidden input", (Call("scaled", (x,), "array", f"x = {x.tolist()}"),),
                     lambda o, e=expected, x=x: compare(o[0].value, e, rtol=1e-9, atol=0, shows=f"x = {x.tolist()}"),
                     visibility="hidden"))
    return out


ASSIGNMENT = _dc.replace(ASSIGNMENT, checks=_with_hidden)
"""


def toy_with_a_hidden_check(folder: Path) -> Path:
    """A copy of the toy course (to edit freely) whose `scaled` has a hidden check drawn from `ctx.hidden_rng`,
    and an empty course.toml."""
    shutil.copytree(TOY, folder)
    init = folder / "assignments" / "toy" / "__init__.py"
    init.write_text(init.read_text() + HIDDEN_CHECK)
    (folder / "course.toml").write_text("")
    return folder
