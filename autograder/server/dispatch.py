"""The dispatcher: hands queued jobs from the database to an executor and stores each grade.

The queue lives in the database, so it survives the server: at start-up, jobs that were
running when the server died wait again (their grade was never committed), and every
job is graded until its grade is stored, in one transaction, once. A lost worker (the
pool broke) costs a retry, at most `MAX_TRIES` per job; the job after that is reported
ungradable with a reason that blames us, not the student.

A regrade preview grades on an executor of its own, started when the preview opens, so that
the grader's code as it is on disk then regrades, while uploads stay with the grader in
force. Applying the preview puts its executor in force; discarding it closes it.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..backend import FAILED
from ..grading import Unit, grader_failed
from ..records import Report
from .executors import Executor
from .store import Claim, Store

MAX_TRIES = 3
log = logging.getLogger("autograder.server")


class Dispatcher:
    def __init__(self, store: Store, executor: Executor, unit_for: Callable[[Claim], Unit]):
        """`unit_for(job)` gives the unit to grade (it reads the file: it runs in a thread)."""
        self.store = store
        self.executor = executor  # the grader in force: every upload
        self.preview: Executor | None = None  # the open regrade preview's, started on its first job
        self.unit_for = unit_for
        self._wake = asyncio.Event()
        self._inflight: dict[int, Claim] = {}
        self._stopping = False
        self._finishing: set[asyncio.Task] = set()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next tick."""
        self._wake.set()

    def open_preview(self) -> None:
        """A regrade preview opened: its jobs go to fresh processes from now on (those of an earlier
        preview in flight finish in theirs)."""
        self._retire(self.preview)
        self.preview = None
        self.wake()

    def close_preview(self, applied: bool) -> None:
        """Applied: the preview's grader is in force from now on. Discarded: its processes go."""
        if applied and self.preview is not self.executor:
            old, self.executor = self.executor, self.preview or _fresh(self.executor)
            self._retire(old)
        else:
            self._retire(self.preview)
        self.preview = None
        self.wake()

    def _retire(self, executor: Executor | None) -> None:
        if executor is not None and executor is not self.executor:
            # Closing waits for the units in flight, which report back as usual.
            asyncio.get_running_loop().run_in_executor(None, executor.close)

    def _executor_for(self, job: Claim) -> Executor:
        if job.regrade is None:
            return self.executor
        if self.preview is None:
            self.preview = _fresh(self.executor)
        return self.preview

    @property
    def capacity(self) -> int:
        extra = self.preview is not None and self.preview is not self.executor
        return self.executor.capacity + (self.preview.capacity if extra else 0)

    def close(self) -> None:
        """After `stop`: no grading process outlives the server."""
        if self.preview is not None and self.preview is not self.executor:
            self.preview.close()
        self.executor.close()

    async def run(self) -> None:
        count = await run_in_threadpool(self.store.requeue_interrupted)
        if count:
            log.info("requeued %d job(s) interrupted by the last shutdown", count)
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._wake.clear()
            while len(self._inflight) < self.capacity and not self._stopping:
                job = await run_in_threadpool(self.store.claim)
                if job is None:
                    break
                await self._start(job, loop)
            try:
                # The tick covers work queued by another route into the database (none today).
                await asyncio.wait_for(self._wake.wait(), timeout=2.0)
            except asyncio.TimeoutError:
                pass

    async def _start(self, job: Claim, loop: asyncio.AbstractEventLoop) -> None:
        self._inflight[job.id] = job
        try:
            unit = await run_in_threadpool(self.unit_for, job)
        except Exception as exc:  # our bug: the job must still end, with a reason
            log.exception("cannot prepare job %s", job.id)
            report = await run_in_threadpool(_bare_failure, self.store, job, f"{type(exc).__name__}: {exc}")
            self._spawn(self._store(job, report))
            return
        executor = self._executor_for(job)
        try:
            future = executor.submit(unit)
        except (BrokenProcessPool, RuntimeError):
            executor.restart()
            future = executor.submit(unit)
        future.add_done_callback(lambda f: self._report_back(loop, job, unit, f))

    def _report_back(self, loop: asyncio.AbstractEventLoop, job: Claim, unit: Unit, future: Future) -> None:
        """From the executor's thread to the event loop; after shutdown the job stays 'running' and
        waits again at the next start."""
        try:
            loop.call_soon_threadsafe(self._finished, job, unit, future)
        except RuntimeError:
            pass  # the loop is closed: the server stopped while this unit was being graded

    def _finished(self, job: Claim, unit: Unit, future: Future) -> None:
        try:
            graded = future.result()
            report, key = graded.report, graded.grader_key
        except BrokenProcessPool:
            log.warning("a grading process died on job %s (try %d)", job.id, job.tries)
            self._executor_for(job).restart()
            if job.tries < MAX_TRIES:
                self._spawn(self._retry(job))
                return
            report, key = grader_failed(unit, _blame("the grading process died, three times")), FAILED
        except Exception as exc:  # grade() never raises; a pickling or pool error might
            log.exception("job %s failed", job.id)
            report, key = grader_failed(unit, _blame(f"{type(exc).__name__}: {exc}")), FAILED
        self._spawn(self._store(job, report, key))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _store(self, job: Claim, report: Report, key: str = "none") -> None:
        try:
            await run_in_threadpool(self.store.finish, job.id, report, key)
        finally:
            self._inflight.pop(job.id, None)
            self.wake()

    async def _retry(self, job: Claim) -> None:
        try:
            await run_in_threadpool(self.store.requeue, job.id)
        finally:
            self._inflight.pop(job.id, None)
            self.wake()

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)


def _fresh(executor: Executor) -> Executor:
    """A new executor with the code on disk now; one that cannot make another (a cluster, which ships
    the course to its workers) is renewed in place, and then uploads get the new code too."""
    make = getattr(executor, "fresh", None)
    if make is not None:
        return make()
    executor.restart()
    return executor


def _bare_failure(store: Store, job: Claim, why: str) -> Report:
    """When not even a unit could be made (the file or the assignment is gone): a report that says so."""
    attempt = store.attempt(job.submission_id)
    return Report(attempt.student_id if attempt else "", attempt.assignment if attempt else "", "", "ungradable",
                  f"The server could not prepare submission {job.submission_id} for grading ({why}); this is the "
                  "server's fault: your course staff will look into it.", True, 0.0, 0.0, "", "", __version__, None)


def _blame(why: str) -> str:
    return f"The grader failed on this submission ({why}); this is the grader's fault, not the student's."
