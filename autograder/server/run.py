"""Running the course server: one process per data folder (a lock says so), uvicorn in front,
and `serve --demo`, the bundled sample class with sign-in links to click."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
from pathlib import Path
from typing import Callable

import uvicorn

from .. import csvfile
from ..course import Course
from ..demo import DEMO_SECRET, sample_class
from ..errors import UserError
from ..notebooks import build_notebook, notebook_bytes
from ..policy import read_policy
from ..roster import read_roster
from ..variants import Variant
from .app import create_app
from .auth import Person, issue
from .connections import BACKLOG, fit_cap, guarded_protocol
from .executors import Executor
from .people import everyone
from .handin import hand_in
from .service import Refused, Service
from .settings import Settings

DEMO_STAFF = "ta1"
DEMO_NEWCOMER = "s006"  # the sample student who handed nothing in
TOKEN_COLUMNS = ("id", "role", "token", "url")
MAX_CONNECTIONS = 1000
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def serve(settings: Settings, host: str, port: int, say: Callable[[str], None] = print,
          executor: Executor | None = None, max_connections: int = MAX_CONNECTIONS,
          trusted_proxy: str | None = None) -> None:
    """Serve until stopped; `executor` grades instead of the local pool (a Dask cluster). Forwarded
    headers (the client's scheme and address) are believed from `trusted_proxy` alone."""
    with _lock(settings.data):
        _large_blocks_back_to_the_system()
        app = create_app(settings, executor)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        cap, files = fit_cap(max_connections)
        graders = (f"{settings.jobs} grading process{'es' if settings.jobs != 1 else ''}" if executor is None
                   else "grading on the Dask cluster")
        say(f"Course server for {settings.course_root} on http://{host}:{port}/ "
            f"(data: {settings.data}, {graders}, sandbox: {settings.sandbox}, at most {cap} connections "
            f"of {files} open files{f', behind the proxy at {trusted_proxy}' if trusted_proxy else ''}). "
            "Ctrl-C stops it; nothing queued is lost.")
        # No access log: sign-in links carry tokens in their query string.
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_level="info",
                                      timeout_graceful_shutdown=5, http=guarded_protocol(cap), backlog=BACKLOG,
                                      proxy_headers=trusted_proxy is not None,
                                      forwarded_allow_ips=trusted_proxy or "")).run()


def _large_blocks_back_to_the_system() -> None:
    """glibc raises its mmap threshold to the size of every large block freed (up to 32 MiB), after which
    uploads' buffers come from per-thread heaps that keep them when freed: twenty 32 MiB uploads grew the
    server by 700 MiB for good. A fixed threshold keeps every block of 1 MiB or more mapped on its own
    and returned when freed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, 2**20)


class _lock:
    """Two servers on one data folder would grade each job twice; the second is refused."""

    def __init__(self, data: Path):
        data.mkdir(parents=True, exist_ok=True)
        self.path = data / "server.lock"

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise UserError(f"another `autograder serve` is using {self.path.parent}; stop it first") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def write_tokens(rows: list[dict[str, str]], out: Path) -> None:
    """TOKENS.csv (id,role,token,url), readable by its owner alone: it holds everyone's keys."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csvfile.Writer(handle)
        writer.writerow(TOKEN_COLUMNS)
        writer.writerows([row[c] for c in TOKEN_COLUMNS] for row in rows)
    os.replace(partial, out)


def prepare_demo(course: Course, data: Path, base_url: str, say: Callable[[str], None] = print) -> tuple[Path, Path]:
    """The sample class in `data`: roster, staff list, tokens, and (the first time) every sample
    student's attempts queued, except one student left for the newcomer. Returns (roster, staff)."""
    data.mkdir(parents=True, exist_ok=True)
    say(f"Preparing the sample class in {data}/ (the first time, every sample student's notebooks are made) …")
    names = course.assignment_names()
    roster_rows, _ = sample_class(course, names[0], DEMO_SECRET)
    roster_path, staff_path = data / "roster.csv", data / "staff.csv"
    roster_path.write_text("student_id,name\n" + "".join(f"{r['student_id']},{r['name']}\n" for r in roster_rows.rows),
                           encoding="utf-8")
    staff_path.write_text(f"staff_id\n{DEMO_STAFF}\n", encoding="utf-8")
    roster = read_roster(roster_path)
    settings = Settings(course.root, roster, (DEMO_STAFF,), data, DEMO_SECRET, read_policy(course.root, course.assignment_names()))
    service = Service(settings)
    rows = issue(service.store, everyone(roster, [DEMO_STAFF]), base_url)
    write_tokens(rows, data / "TOKENS.csv")
    if not service.store.attempts(names[0]):
        for name in names:
            _, files = sample_class(course, name, DEMO_SECRET)
            for sid, content in files.items():
                if sid != DEMO_NEWCOMER:
                    try:
                        hand_in(service, Person(sid, "student"), name, f"{name}.ipynb", content)
                    except Refused:
                        pass  # a sample of a broken file: the server refuses it from students as well
    samples = data / "try-these"
    samples.mkdir(exist_ok=True)
    for name in names:
        variant = Variant.derive(DEMO_SECRET, name, DEMO_NEWCOMER)
        (samples / f"{name}-solved.ipynb").write_bytes(
            notebook_bytes(build_notebook(course, course.assignment(name), variant, solutions=True)))
    service.store.close()
    link = {r["id"]: r["url"] for r in rows}
    say(f"Demo class: {len(roster.student_ids)} sample students and one TA, data in {data}/")
    say(f"  student {DEMO_NEWCOMER} (nothing handed in yet): {link[DEMO_NEWCOMER]}")
    say(f"  TA {DEMO_STAFF}:                                 {link[DEMO_STAFF]}")
    say(f"  a solved notebook for {DEMO_NEWCOMER} to upload: {samples}/{names[0]}-solved.ipynb")
    say(f"  every sign-in link: {data / 'TOKENS.csv'}")
    return roster_path, staff_path
