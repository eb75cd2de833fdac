"""What a sandbox allows one submission, and the two ways a worker fails the grader."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """Every limit of one submission's sandbox. Sizes are in bytes, times in seconds (CPU time
    for `cpu_seconds`, wall-clock time for the timeouts), counts are counts."""

    cpu_seconds: int = 120  # CPU time of one worker process (RLIMIT_CPU)
    memory_bytes: int = 2048 * MiB  # address space of one worker process (RLIMIT_AS)
    processes: int = 64  # processes and threads a worker may run at once (RLIMIT_NPROC)
    file_bytes: int = 16 * MiB  # the largest file a worker may write (RLIMIT_FSIZE)
    open_files: int = 64  # file descriptors (RLIMIT_NOFILE)
    tmp_bytes: int = 64 * MiB  # the worker's private /tmp (and /dev/shm), a tmpfs of this size
    start_timeout: float = 30.0  # wall clock: a zygote's start, or a worker's first word
    cell_timeout: float = 30.0  # wall clock: one notebook cell
    call_timeout: float = 10.0  # wall clock: one call of a student's function
    submission_timeout: float = 240.0  # wall clock: everything of one submission, restarts included


class WorkerDied(Exception):
    """The worker process ended or broke the protocol; the message says how, for the student."""


class ZygoteEnded(WorkerDied):
    """The zygote asked for a worker was gone (killed by the host, say): a new one can serve."""


class WorkerTimeout(Exception):
    """The worker did not answer within the time it had."""
