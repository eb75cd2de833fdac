"""What runs on a cluster worker: the course it received, its warm sandbox, grading one unit.

`GradingPlugin` is registered by the client and set up by every worker, including workers
that join later or restart after a crash: it writes the course into the machine's cache
(see `shipment`), loads its assignments and starts the sandbox zygote, once per worker
process, and ends the zygote with the worker. `run_on_worker` is the task: it runs
`backend.run_unit` on that copy of the course, exactly as the local pool does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from ..backend import Graded, run_unit
from ..course import Course
from ..grading import Unit
from ..policy import Policy
from ..sandbox import Limits, bwrap_status, close_zygotes, zygote
from .shipment import CourseFiles, default_cache, materialise

# The courses this worker process holds or is preparing, by digest. A unit may arrive before the
# plugin that prepares its course (both come from the scheduler, on different connections).
_courses: dict[str, Future] = {}
_arrived = threading.Condition()
PLUGIN_WAIT = 120
# One unit at a time in a process, however many threads the worker has: CPython's ast is not
# safe in two threads at once before 3.12 ("AST constructor recursion depth mismatch"), and a
# report must not depend on what else ran beside it. Run workers with --nthreads 1.
_grading = threading.Lock()


class NotPrepared(Exception):
    """This worker cannot grade the course: the client must stop, not blame a student."""


class GradingPlugin(WorkerPlugin):
    # Registering the same course and sandbox again (another run, the course server) keeps
    # the running setup instead of tearing it down under the units in flight.
    idempotent = True

    def __init__(self, files: CourseFiles, digest: str, sandbox: str, limits: Limits):
        self.files, self.digest, self.sandbox, self.limits = files, digest, sandbox, limits
        self.name = f"autograder-{sandbox}-{digest[:16]}"

    async def setup(self, worker) -> None:
        # The zygote dies with the thread that started it: not a passing thread, and not the
        # event loop, which must not block for the seconds a warm start takes.
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="autograder-sandbox")
        prepared = self._keeper.submit(self._prepare, worker.address)
        with _arrived:
            _courses[self.digest] = prepared
            _arrived.notify_all()
        await asyncio.wrap_future(prepared)

    def _prepare(self, address: str) -> Path:
        try:
            if self.sandbox == "bwrap" and not bwrap_status()[0]:
                raise NotPrepared(f"{bwrap_status()[1]}, and this grade run isolates student code with it")
            root = materialise(self.files, self.digest, default_cache())
            course = Course.at(str(root))
            for name in course.assignment_names():
                course.assignment(name)  # imported here, once, not by two grading threads at a time
            zygote(self.sandbox, self.limits)
        except Exception as exc:
            raise NotPrepared(f"the Dask worker {address} cannot grade: {exc}") from exc
        return root

    def teardown(self, worker) -> None:
        close_zygotes()
        self._keeper.shutdown(wait=False)


def run_on_worker(unit: Unit, digest: str, policy: Policy | None = None) -> Graded:
    """`run_unit` on this worker's copy of the course (the report's files too, given the rules)."""
    with _arrived:
        if not _arrived.wait_for(lambda: digest in _courses, timeout=PLUGIN_WAIT):
            raise NotPrepared(f"the course never reached the Dask worker {get_worker().address}")
    root = _courses[digest].result()
    with _grading:
        return run_unit(dataclasses.replace(unit, course_root=str(root)), policy)
