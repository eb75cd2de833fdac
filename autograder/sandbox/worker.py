"""One sandboxed worker process, for (part of) one submission, as the grader sees it: forked by
this process's zygote, it speaks `wire` over a pair of pipes; this side reads with deadlines, so a
student who loops forever costs a timeout, never a hung grader."""

from __future__ import annotations

import itertools
import os
import select
import signal
import time

from .. import wire
from .limits import Limits, WorkerDied, WorkerTimeout, ZygoteEnded
from .zygotes import zygote


def _tasks_of(uid: int) -> int:
    """How many tasks (processes and threads: what RLIMIT_NPROC counts) a uid runs now."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass  # the process ended while we looked
    return count


_uids = itertools.count()


def _fresh_uid() -> int:
    """A uid no other sandbox of this machine uses at the same time (no passwd entry needed)."""
    return 200_000 + (os.getpid() % 4096) * 256 + next(_uids) % 256


class Worker:
    """One sandboxed worker process, for (part of) one submission: forked by the zygote."""

    def __init__(self, sandbox: str, limits: Limits):
        self.sandbox = sandbox
        self.limits = limits
        # As root, the worker becomes a fresh uid: process limits then count only its own
        # processes, and files readable by root alone (course.key) are out of its reach.
        # Outside bubblewrap that needs a Python installation others can read (not /root).
        # `choose_sandbox` made sure the worker can: student code never runs as root.
        self.uid = _fresh_uid() if os.getuid() == 0 else None
        self.zygote = zygote(sandbox, limits)
        to_worker_r, self._to_worker = os.pipe()
        # Written to with a deadline (`send`): a worker that stops reading must cost a timeout,
        # not a grader blocked on a full pipe.
        os.set_blocking(self._to_worker, False)
        self._from_worker, from_worker_w = os.pipe()
        self._buffer = bytearray()  # grown in place: a 32 MiB message arrives in pipe-sized pieces
        self._status: dict | None = None
        self.pid: int | None = None
        try:
            try:
                try:
                    self.pid = self.zygote.spawn([to_worker_r, from_worker_w], self._limits_message())
                except ZygoteEnded:  # it died after it was last seen alive: a new one, once
                    self.zygote = zygote(sandbox, limits)
                    self.pid = self.zygote.spawn([to_worker_r, from_worker_w], self._limits_message())
            finally:
                os.close(to_worker_r)
                os.close(from_worker_w)
            started = self.receive(self.limits.start_timeout)
            if started.get("event") != "ready":
                self.kill()
                raise WorkerDied(f"the sandbox could not confine the process ({str(started.get('error'))[:200]})")
        except (WorkerDied, WorkerTimeout):
            self.close()
            raise

    def _limits_message(self) -> dict:
        lim = self.limits
        rlimits = {
            "RLIMIT_CPU": lim.cpu_seconds, "RLIMIT_AS": lim.memory_bytes, "RLIMIT_FSIZE": lim.file_bytes,
            "RLIMIT_NOFILE": lim.open_files, "RLIMIT_CORE": 0,
        }
        if self.uid is not None:
            rlimits["RLIMIT_NPROC"] = lim.processes
        elif os.getuid() != 0:
            # Without a uid of its own the worker shares the user's process count (root
            # would be exempt): allow what the user runs now plus the sandbox's share.
            rlimits["RLIMIT_NPROC"] = _tasks_of(os.getuid()) + lim.processes
        return {"rlimits": rlimits, "uid": self.uid, "tmp_bytes": lim.tmp_bytes}

    # --- the channel ----------------------------------------------------------------

    def send(self, message: dict | bytes, timeout: float | None = None) -> None:
        """Send a message (or one already framed by wire.dumps) within `timeout` (the call timeout
        by default): larger than the pipe, it goes as fast as the worker reads it."""
        data = memoryview(message if isinstance(message, bytes) else wire.dumps(message))
        deadline = time.monotonic() + (self.limits.call_timeout if timeout is None else timeout)
        try:
            while data:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [self._to_worker], [], remaining)[1]:
                    raise WorkerTimeout()
                try:
                    data = data[os.write(self._to_worker, data):]
                except BlockingIOError:
                    continue  # less room than select promised: wait for more
        except OSError:  # BrokenPipeError among them: the worker is gone
            raise WorkerDied(self._death_reason()) from None

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        header = self._read_exactly(4, deadline)
        size = int.from_bytes(header, "big")
        if size > wire.MAX_MESSAGE_BYTES:
            self.kill()
            raise WorkerDied("it sent the grader a message larger than the protocol allows")
        body = self._read_exactly(size, deadline)
        try:
            return wire.loads(body)
        except wire.WireError as exc:
            self.kill()
            raise WorkerDied(f"it wrote something that is not a grader message into the grader's channel ({exc})") from None

    def expect(self, event: str, timeout: float) -> dict:
        message = self.receive(timeout)
        if message.get("event") != event:
            self.kill()
            raise WorkerDied(f"the grader's channel carried an unexpected message (wanted {event!r})")
        return message

    def _read_exactly(self, n: int, deadline: float) -> bytes:
        while len(self._buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerTimeout()
            ready, _, _ = select.select([self._from_worker], [], [], remaining)
            if not ready:
                raise WorkerTimeout()
            chunk = os.read(self._from_worker, 1 << 20)
            if not chunk:
                raise WorkerDied(self._death_reason())
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _finish(self) -> dict:
        """Kill the worker and its descendants (once) and return how it ended."""
        if self._status is None:
            self._status = self.zygote.reap(self.pid, self.uid) if self.pid is not None else {"exit": None}
        return self._status

    def _death_reason(self) -> str:
        status = self._finish()
        if status.get("signal"):
            return describe_signal(status["signal"])
        if status.get("exit") is None:
            return "it closed the grader's channel"
        return f"the process exited with status {status['exit']} (sys.exit or os._exit in your code?)"

    # --- the end ----------------------------------------------------------------------

    def kill(self) -> None:
        """End the worker and everything it started."""
        self._finish()

    def close(self) -> None:
        if self._status is None and self.pid is not None:
            try:
                self.send({"op": "exit"}, timeout=0.1)
            except (WorkerDied, WorkerTimeout):
                pass  # it is killed next anyway
        self.kill()
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass


def describe_signal(number: int) -> str:
    meanings = {
        signal.SIGKILL: "it was killed (SIGKILL), usually for using too much memory or time",
        signal.SIGSEGV: "it crashed with a segmentation fault (SIGSEGV)",
        signal.SIGXCPU: "it used up its CPU time limit (SIGXCPU)",
        signal.SIGABRT: "it aborted (SIGABRT)",
        signal.SIGBUS: "it crashed with a bus error (SIGBUS)",
        signal.SIGXFSZ: "it wrote a file larger than allowed (SIGXFSZ)",
    }
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return meanings.get(number, f"it was ended by {name}")

