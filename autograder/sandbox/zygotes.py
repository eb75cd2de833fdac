"""The warm sandboxed process that forks one worker per submission, and the zygotes of this process.

A zygote has numpy (and each assignment's warm-up) loaded once; every worker it forks starts
with that paid. Under bubblewrap each worker gets namespaces of its own (`confine`).
"""

from __future__ import annotations

import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

from . import bwrap
from .limits import Limits, WorkerDied, ZygoteEnded


class Zygote:
    """The warm sandboxed process that forks one worker per submission (see `inside`)."""

    def __init__(self, sandbox: str, limits: Limits, warm_up: str = ""):
        """Start the process and return at once; `ready` waits for it. A warm-up given here is sent
        with the start, so that the zygote pays it while this process does other work."""
        self.sandbox, self.limits = sandbox, limits
        self._host_tmp = None if sandbox == bwrap.BWRAP else tempfile.mkdtemp(prefix="autograder-sandbox-")
        if self._host_tmp:
            os.chmod(self._host_tmp, 0o755)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        workroot = "/tmp" if sandbox == bwrap.BWRAP else self._host_tmp
        self.proc = subprocess.Popen(
            self._command(theirs.fileno(), workroot), pass_fds=(theirs.fileno(),),
            env=_environment(os.path.join(workroot, ".zygote")), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=workroot, start_new_session=True,
        )
        theirs.close()
        self.warmed: set[str] = set()
        self.parent = os.getpid()
        self._owed: list[str | None] = [None]  # the replies the zygote owes, in order: its start, then warm-ups
        if warm_up:
            self._ask({"op": "warm", "code": warm_up}, [], 0)
            self._owed.append(warm_up)

    def ready(self) -> None:
        """Wait for the start and for a warm-up sent with it. A start that fails raises WorkerDied;
        a warm-up that hangs ends the zygote (`warm` then says so)."""
        while self._owed:
            owed = self._owed.pop(0)
            reply = self._ask(None, [], self.limits.start_timeout)
            if owed is None and reply != {"event": "ready"}:
                self.close()
                why = f" ({str(reply.get('error'))[:300]})" if reply and reply.get("error") else ""
                raise WorkerDied(f"the sandbox could not start{why}")
            if owed is not None:
                if reply is None:
                    _cold.add(owed)
                    self._owed.clear()
                    self.close()
                    return
                self.warmed.add(owed)

    def _command(self, control_fd: int, workroot: str) -> list[str]:
        if self.sandbox != bwrap.BWRAP:
            return bwrap.boot_argv(str(bwrap.PACKAGE_DIR.parent), control_fd, workroot, isolated=False)
        return bwrap.command(bwrap.boot_argv(bwrap.SANDBOX_PACKAGE_ROOT, control_fd, workroot, isolated=True),
                             self.limits)

    def _ask(self, request: dict | None, fds: list[int], timeout: float) -> dict | None:
        """Send a request (if any) and wait up to `timeout` for a reply (none with a timeout of 0)."""
        try:
            if request is not None:
                socket.send_fds(self.control, [json.dumps(request).encode()], fds)
            if not timeout:
                return None
            ready, _, _ = select.select([self.control], [], [], timeout)
            data = self.control.recv(1 << 16) if ready else b""
        except OSError:
            return None
        return json.loads(data) if data else None

    @property
    def adopted(self) -> bool:
        """Used by a pool process that claimed it from the process that started it (`adopt`)."""
        return os.getpid() != self.parent

    def alive(self) -> bool:
        """Alive while its end of the channel is open (bubblewrap's own process may outlive the
        zygote by a moment); and, when it is our child, while that process runs."""
        if not self.adopted and self.proc.poll() is not None:
            return False
        try:
            poller = select.poll()
            poller.register(self.control, select.POLLIN)
            return not any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in poller.poll(0))
        except (OSError, ValueError):
            return False

    def spawn(self, fds: list[int], limits: dict) -> int:
        """A new worker's pid; WorkerDied saying why when the zygote could not make one."""
        reply = self._ask({"op": "spawn", "limits": limits}, fds, 30)
        if reply is None:  # gone (killed by the host, say): the next worker gets a new zygote
            self.kill()
            self.close()
            raise ZygoteEnded("the sandbox could not start a process (its zygote ended)")
        if not isinstance(reply.get("pid"), int):
            raise WorkerDied(f"the sandbox could not start a process ({reply.get('error') or 'no answer'})")
        return reply["pid"]

    def reap(self, pid: int, uid: int | None) -> dict:
        return self._ask({"op": "reap", "pid": pid, "uid": uid}, [], 30) or {"exit": None}

    def warm(self, code: str, timeout: float) -> bool:
        """Run an assignment's warm-up here, once; False when it did not answer in time (the
        zygote is then ended, since it may be stuck in the warm-up)."""
        self.ready()
        if not self.alive() or code in _cold:
            return False
        if code not in self.warmed:
            if self._ask({"op": "warm", "code": code}, [], timeout) is None:
                self.close()
                return False
            self.warmed.add(code)
        return True

    def kill(self) -> None:
        """End it at once (a spare nobody claimed)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        self.control.close()  # the zygote's cue to end, reaping what it started
        if self.adopted:
            return  # the process that started it waits for it
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        if self._host_tmp:
            shutil.rmtree(self._host_tmp, ignore_errors=True)


_zygotes: dict[tuple, Zygote] = {}
_starting = threading.Lock()


def zygote(sandbox: str, limits: Limits) -> Zygote:
    """This process's zygote for a sandbox ("bwrap" or "rlimit-only"), started on first use and after a death.

    It dies with the thread that started it (PR_SET_PDEATHSIG), so start it from a thread
    that lives as long as the process grades.
    """
    current = prestart(sandbox, limits)
    current.ready()
    if not current.alive():  # a warm-up sent with its start hung and ended it: a plain one, then
        current = prestart(sandbox, limits)
        current.ready()
    return current


def prestart(sandbox: str, limits: Limits, warm_up: str = "") -> Zygote:
    """This process's zygote, started (with `warm_up`) if there is none, without waiting for it:
    a grading process that starts it before building its first checks gets both done at once."""
    # Keyed by pid too: a forked pool worker must not share its parent's zygote.
    key = (os.getpid(), sandbox, limits.tmp_bytes)
    with _starting:
        current = _zygotes.get(key)
        if current is None or not current.alive():
            _zygotes[key] = current = Zygote(sandbox, limits, "" if warm_up in _cold else warm_up)
            # Ended and waited for when this process ends (pool processes too, which skip atexit),
            # so that the zygote's time is counted where it was spent and nothing is left behind.
            multiprocessing.util.Finalize(current, current.close, exitpriority=1)
    return current


def close_zygotes() -> None:
    """End this process's zygotes (a cluster worker that shuts down)."""
    with _starting:
        for key in [k for k in _zygotes if k[0] == os.getpid()]:
            _zygotes.pop(key).close()


_cold: set[str] = set()  # warm-ups that hung once: not tried again in this process
_spares: list[Zygote] = []  # started here for the pool processes this process forks next (`Spares`)


class Spares:
    """Zygotes started ahead, one for each pool process this process is about to fork: they start
    (interpreter, numpy, the assignment's warm-up) while this process still loads the assignment and
    plans the run, on cores that would otherwise wait for it. Each pool process claims one in its
    initializer (`adopt`, with `claims`), or this process claims the first when it grades in place.
    Start them from the thread that outlives the pool: they die with it."""

    def __init__(self, sandbox: str, limits: Limits, warm_up: str, count: int):
        self.claims = multiprocessing.Value("i", 0)
        self.zygotes = [Zygote(sandbox, limits, warm_up) for _ in range(count)]
        self.here: Zygote | None = None  # the one this process claimed for itself
        _spares[:] = self.zygotes

    def __enter__(self) -> "Spares":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def claim_here(self) -> None:
        """This process grades in place: the first spare is its zygote."""
        with self.claims.get_lock():
            self.claims.value += 1
        self.here = self.zygotes[0]
        _claim(0)

    def release(self) -> None:
        """Once the pool processes exist: this process's copies of the spares' channels closed, so
        that each zygote ends with the pool process that claimed it."""
        _spares.clear()
        for spare in self.zygotes:
            if spare is not self.here:
                spare.control.close()

    def close(self) -> None:
        """After the pool: the claimed spares waited for (they end with their pool processes), the
        others ended."""
        self.release()
        for index, spare in enumerate(self.zygotes):
            if index >= self.claims.value:
                spare.kill()
            if spare is not self.here:
                spare.close()


def adopt(claims) -> None:
    """A pool process's initializer: claim the spare whose index `claims` (`Spares.claims`) hands out next."""
    with claims.get_lock():
        index, claims.value = claims.value, claims.value + 1
    _claim(index)


def _claim(index: int) -> None:
    """Make spare `index` this process's zygote (if there is one), and let go of the others' channels."""
    for i, spare in enumerate(_spares):
        if i != index:
            spare.control.close()  # this process's copy only
            continue
        with _starting:
            _zygotes[(os.getpid(), spare.sandbox, spare.limits.tmp_bytes)] = spare
        multiprocessing.util.Finalize(spare, spare.close, exitpriority=1)
    _spares.clear()


def warm(sandbox: str, limits: Limits, code: str) -> None:
    """Have this process's zygote run an assignment's warm-up (`Assignment.warm_up`) before it
    forks the next worker, so that every worker starts with that first-use cost paid.

    The warm-up is course code and runs inside the sandbox, where students' code runs: it must
    hold nothing secret. Failing or hanging costs nothing but the time it meant to save.
    """
    if not code or code in _cold:
        return
    try:
        warmed = zygote(sandbox, limits).warm(code, limits.start_timeout)
    except WorkerDied:
        return  # no zygote: starting a worker will say so, for the check that needs it
    if not warmed:
        _cold.add(code)


def _environment(home: str) -> dict:
    return {
        "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": home, "PYTHONHASHSEED": "0",
        # One thread: numpy's BLAS threads would count against the process limit.
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }

