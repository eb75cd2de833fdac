"""The client's side of a Dask cluster: connect, ship the course, submit units, collect reports.

The client keeps the course secret and the gradebook. Each unit carries only its student's
variant key and submission; the course reaches the workers once, through `GradingPlugin`.
Units go out in a bounded window (a few per worker thread), so the scheduler never holds a
whole class of notebooks, and reports come back as they finish. A worker that dies costs
nothing: Dask runs its units elsewhere and each future still ends once. A unit that kills
every worker it lands on ends, after `distributed.scheduler.allowed-failures` deaths, as
`KilledWorker`, which becomes that student's ungradable report.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator

import dask
from distributed import Client, KilledWorker, LocalCluster, as_completed

from .. import grading
from ..backend import FAILED, Graded, graded
from ..grader_version import loaded_grader_key
from ..course import Course
from ..errors import UserError
from ..grading import Unit
from ..policy import Policy
from ..sandbox import Limits
from .shipment import CourseFiles
from .worker import GradingPlugin, NotPrepared, run_on_worker

UNITS_PER_THREAD = 4  # queued per worker thread: enough that none waits for the client
MIN_WINDOW = 32  # and at least this many, so that an adaptive cluster sees work to grow for
CONNECT_TIMEOUT = 30
WORKER_TIMEOUT = 120
ADDRESS_HELP = "ADDRESS is tcp://HOST:PORT of a running Dask scheduler, or local:N for N local worker processes"


class ClusterExecutor:
    """Grading on a Dask cluster.

    `grade(units, policy)` is `batch.grade_class`'s executor: it yields each unit's `Graded`, its
    files rendered on the worker. `submit(unit)` gives a `concurrent.futures.Future` of a
    `Graded`, the course server's executor protocol (with `capacity`, `restart()` and `close()`).
    """

    def __init__(self, address: str, course: Course, sandbox: str, limits: Limits = Limits()):
        self.address, self.course, self.sandbox, self.limits = address, course, sandbox, limits
        self.client, self._local = _connect(address)
        self._inflight: set = set()
        self._lock = threading.Lock()
        self._threads, self._counted = 0, 0.0
        try:
            self._ship()
        except BaseException:
            self.close()
            raise

    def _ship(self) -> None:
        files = CourseFiles.of(self.course.root)
        digest = files.digest()
        plugin = GradingPlugin(files, digest, self.sandbox, self.limits)
        try:
            self.client.register_plugin(plugin)
        except NotPrepared as exc:
            raise UserError(str(exc)) from None
        except OSError:
            # A worker died while it was being prepared. The scheduler keeps the plugin for every
            # worker alive or to come; asking again only checks that the scheduler is still there.
            try:
                self.client.register_plugin(plugin)
            except OSError as exc:
                raise UserError(f"lost the Dask scheduler at {self.address}: {exc}") from None
        self.digest = digest

    # --- the course server's executor protocol ----------------------------------------

    @property
    def capacity(self) -> int:
        """Units graded at once: the worker threads of the cluster now (asked at most every 2 s)."""
        if time.monotonic() - self._counted > 2:
            self._threads, self._counted = sum(self.client.nthreads().values()), time.monotonic()
        return self._threads

    def submit(self, unit: Unit) -> concurrent.futures.Future:
        result: concurrent.futures.Future = concurrent.futures.Future()
        future = self._submit(unit)

        def done(future) -> None:
            with self._lock:
                self._inflight.discard(future)
            try:
                result.set_result(self._outcome(future, unit, None))
            except Exception as exc:
                result.set_exception(exc)

        with self._lock:
            self._inflight.add(future)  # a future nobody holds is cancelled by Dask
        future.add_done_callback(done)
        return result

    def restart(self) -> None:
        """Ship the course as it is now; the engine is whatever each worker has installed."""
        self._ship()

    def close(self) -> None:
        self.client.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> "ClusterExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- whole classes ---------------------------------------------------------------------

    def grade(self, units: Iterable[Unit], policy: Policy) -> Iterator[Graded]:
        pending = iter(units)
        window = as_completed()
        unit_of = {}

        def top_up() -> None:
            while window.count() < max(MIN_WINDOW, UNITS_PER_THREAD * self.capacity):
                unit = next(pending, None)
                if unit is None:
                    return
                future = self._submit(unit, policy)
                unit_of[future.key] = unit
                window.add(future)

        top_up()
        for future in window:
            unit = unit_of.pop(future.key)
            top_up()
            done = self._outcome(future, unit, policy)
            here = loaded_grader_key(str(self.course.root), unit.assignment)
            if done.grader_key not in (FAILED, here):
                raise UserError(f"the worker that graded {unit.student_id} runs another version of the grader "
                                f"(grader key {done.grader_key}, here {here}): install the same optim-autograder "
                                "on every worker and on this machine")
            yield done

    # --- one unit ------------------------------------------------------------------------

    def _submit(self, unit: Unit, policy: Policy | None = None):
        if Path(unit.course_root).resolve() != self.course.root:
            raise ValueError(f"a unit of the course {unit.course_root}, sent to the cluster of {self.course.root}")
        return self.client.submit(run_on_worker, unit, self.digest, policy, pure=False)

    def _outcome(self, future, unit: Unit, policy: Policy | None) -> Graded:
        """The `Graded` of a finished future; one made here, keyed `FAILED`, when the cluster could not grade it."""
        try:
            return future.result()
        except KilledWorker as exc:
            deaths = exc.allowed_failures + 1
            why = (f"grading it ended the worker process it ran on, on {deaths} workers in a row, so it was not "
                   "tried again")
        except NotPrepared as exc:
            raise UserError(str(exc)) from None
        except Exception as exc:
            why = f"on the cluster: {type(exc).__name__}: {str(exc)[:200]}"
        report = grading.grader_failed(unit, f"The grader failed on this submission ({why}); "
                                             "this is the grader's fault, not the student's.")
        return graded(unit, report, FAILED, policy)



def _connect(address: str) -> tuple[Client, LocalCluster | None]:
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise UserError(f"--cluster {address}: N must be a whole number of workers, 1 or more ({ADDRESS_HELP})")
        # One thread per worker process, like --jobs; and no unit waits on a worker behind
        # another (saturation 1.0), so a unit that kills its worker takes no bystander with it.
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            # No dashboard; its HTTP server (health checks) on a free loopback port.
            cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                   dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   silence_logs=logging.ERROR)
        return Client(cluster), cluster
    if "://" not in address:
        raise UserError(f"--cluster {address}: {ADDRESS_HELP}")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (OSError, TimeoutError):
        client.close()
        raise UserError(f"no Dask worker joined the scheduler at {address} within {WORKER_TIMEOUT} s "
                        f"(start one with: dask worker {address} --nthreads 1)") from None
    return client, None
