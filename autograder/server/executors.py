"""Where grading runs: the seam between the server's queue and the machines that grade.

An executor takes a `grading.Unit` and returns a `concurrent.futures.Future` of its
`backend.Graded` (the report as the engine made it, and the key of the grader that made
it). The local one is a pool of `--jobs` processes running `backend.run_unit`, each with
its own warm sandbox zygote, as `grade --jobs` uses them. A cluster back end (Dask) fits
the same three methods; the dispatcher needs nothing else.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from ..backend import run_unit
from ..grading import Unit
from ..sandbox import Limits, zygote


PR_SET_PDEATHSIG = 1


class Executor(Protocol):
    capacity: int  # units graded at once

    def submit(self, unit: Unit) -> Future: ...

    def restart(self) -> None:
        """Start afresh, so that the next units are graded by the grader's code as it is now on disk."""

    def fresh(self) -> "Executor":
        """Another executor of the same kind, grading with the grader's code as it is now on disk
        (a regrade preview's), while this one keeps the code it has."""

    def close(self) -> None: ...


def _warm(kind: str) -> None:
    """Import the engine and start the sandbox zygote before the first student waits for it."""
    zygote(kind, Limits())


def die_with_parent() -> None:
    """First thing in a grading process: on Linux it gets SIGKILL when the forkserver that forked it
    ends (PR_SET_PDEATHSIG), and the forkserver ends with the server, so a kill -9 of the server
    leaves no grading process (and no sandbox zygote, which dies with its grading process) behind.
    A forkserver gone before the request took hold (the server killed as the pool started) is
    seen here: the process exits at once."""
    if sys.platform.startswith("linux"):
        from . import lifeline

        set_death_signal()
        if os.getppid() != lifeline.FORKSERVER:
            os._exit(1)


def set_death_signal() -> None:
    """On Linux: SIGKILL to this process when its parent ends, however it ends (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class LocalPool:
    def __init__(self, jobs: int, sandbox: str):
        self.capacity = jobs
        self.sandbox = sandbox
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # forkserver, not fork: the server process has threads (a fork could copy a held lock).
        context = multiprocessing.get_context("forkserver")
        # Each worker forks with the engine already imported, and knows the forkserver's pid.
        context.set_forkserver_preload([__name__, f"{__package__}.lifeline"])
        pool = ProcessPoolExecutor(max_workers=self.capacity, mp_context=context, initializer=die_with_parent)
        for _ in range(self.capacity):
            pool.submit(_warm, self.sandbox)
        return pool

    def submit(self, unit: Unit) -> Future:
        return self._pool.submit(run_unit, unit)

    def restart(self) -> None:
        old, self._pool = self._pool, self._start()
        old.shutdown(wait=False)  # its units in flight still finish and report

    def fresh(self) -> "LocalPool":
        return LocalPool(self.capacity, self.sandbox)

    def close(self) -> None:
        # Waits for the units in flight (each bounded by its time-outs), so that no worker and no
        # zygote outlives the server.
        self._pool.shutdown(wait=True, cancel_futures=True)
