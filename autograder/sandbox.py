"""Starting, talking to and ending the process that runs one student's code.

Under bubblewrap the process sees a read-only /usr, the Python installation and this
package (nothing else of the course), a private /tmp of bounded size, no network, its
own PID namespace (so every process it spawns dies with it), and it runs as a fresh
unprivileged uid with limits on CPU time, memory, processes, file size and open files.
Where bubblewrap cannot run, the same worker runs as a limited subprocess ("rlimit-only"),
which still bounds resources but cannot hide the file system: the grader says so loudly.

The worker speaks `wire` over a pair of pipes; this side reads with deadlines, so a
student who loops forever costs a timeout, never a hung grader.
"""

from __future__ import annotations

import functools
import itertools
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import wire
from .course import BUNDLED

PACKAGE_DIR = Path(__file__).resolve().parent
SANDBOX_PACKAGE_ROOT = "/opt/optim-autograder"
# Collection is off while the zygote imports and warms up (numpy, sympy: objects that live as long
# as it does, walked again and again by collections as they are built: a fifth of its start); see
# `sandbox_worker.zygote_main` for when it comes back.
BOOT = (
    "import gc; gc.disable(); import sys; sys.path.insert(0, {root!r}); "
    "from autograder.sandbox_worker import zygote_main; zygote_main()"
)
# What the zygote keeps when it runs as root under bubblewrap: enough to give each worker
# its own uid and folder and to kill and clean up after it; nothing else.
ZYGOTE_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 120
    memory_bytes: int = 2 * 2**30
    processes: int = 64
    file_bytes: int = 16 * 2**20
    open_files: int = 64
    tmp_bytes: int = 64 * 2**20
    start_timeout: float = 30.0
    cell_timeout: float = 30.0
    call_timeout: float = 10.0
    submission_timeout: float = 240.0


class WorkerDied(Exception):
    """The worker process ended or broke the protocol; the message says how, for the student."""


class WorkerTimeout(Exception):
    pass


@functools.lru_cache(maxsize=None)
def bwrap_status() -> tuple[bool, str]:
    """Whether bubblewrap can start a sandbox here, and if not, why."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bubblewrap (bwrap) is not installed"
    try:
        done = subprocess.run(
            [exe, *_bwrap_isolation(), "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
             "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "true"],
            capture_output=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not start: {exc}"
    if done.returncode != 0:
        return False, "bwrap could not create namespaces: " + done.stderr.decode(errors="replace").strip()[:200]
    return True, ""


def _bwrap_isolation() -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    # As root we stay in the initial user namespace so that the worker can become a real,
    # fresh uid (process limits then count only its own processes); otherwise a user
    # namespace is what lets an ordinary user build the sandbox at all.
    if os.getuid() != 0:
        flags.append("--unshare-user")
    return flags


def _readable_by_all(*paths) -> bool:
    for path in paths:
        for folder in [Path(path), *Path(path).parents]:
            if not folder.stat().st_mode & 0o005:
                return False
    return True


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


class Zygote:
    """The warm sandboxed process that forks one worker per submission (see sandbox_worker)."""

    def __init__(self, sandbox: str, limits: Limits, warm_up: str = ""):
        """Start the process and return at once; `ready` waits for it. A warm-up given here is sent
        with the start, so that the zygote pays it while this process does other work."""
        self.sandbox, self.limits = sandbox, limits
        self._host_tmp = None if sandbox == "bwrap" else tempfile.mkdtemp(prefix="autograder-sandbox-")
        if self._host_tmp:
            os.chmod(self._host_tmp, 0o755)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        workroot = "/tmp" if sandbox == "bwrap" else self._host_tmp
        self.proc = subprocess.Popen(
            self._command(theirs.fileno(), workroot, limits), pass_fds=(theirs.fileno(),),
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
                raise WorkerDied("the sandbox could not start")
            if owed is not None:
                if reply is None:
                    _cold.add(owed)
                    self._owed.clear()
                    self.close()
                    return
                self.warmed.add(owed)

    def _command(self, control_fd: int, workroot: str, limits: Limits) -> list[str]:
        root = SANDBOX_PACKAGE_ROOT if self.sandbox == "bwrap" else str(PACKAGE_DIR.parent)
        argv = [sys.executable, "-I", "-B", "-c", BOOT.format(root=root), str(control_fd), workroot]
        if self.sandbox != "bwrap":
            return argv
        # /tmp first: a course checked out under /tmp must have its environment mounted on top of it.
        # It is not world-writable: each worker writes only in its own folder below it.
        binds = ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "0755", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
                 "--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink(f"/{link}"):
                binds += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        mounts = [(p, p) for p in sorted({sys.base_prefix, sys.prefix}) if not p.startswith("/usr/")]
        mounts.append((str(PACKAGE_DIR), f"{SANDBOX_PACKAGE_ROOT}/autograder"))
        for source, target in mounts:
            # Parents of a mount point would otherwise be created 0700 and the uid
            # a worker becomes could not walk through them.
            for parent in reversed(Path(target).parents[:-1]):
                binds += ["--perms", "0755", "--dir", str(parent)]
            binds += ["--ro-bind", source, target]
        # Installed from a wheel, the bundled course lies in an installation mounted above (a venv's or
        # /usr's site-packages): an empty, read-only folder in its place keeps its solutions out of sight.
        if any(Path(source) in BUNDLED.parents for source in ("/usr", *(s for s, _ in mounts))):
            binds += ["--tmpfs", str(BUNDLED), "--remount-ro", str(BUNDLED)]
        if os.path.exists("/etc/alternatives"):
            binds += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
        caps = ["--cap-drop", "ALL"] + [flag for cap in ZYGOTE_CAPS for flag in ("--cap-add", cap)] \
            if os.getuid() == 0 else []
        return [shutil.which("bwrap") or "bwrap", *_bwrap_isolation(), *caps, *binds, "--chdir", "/tmp", *argv]

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
        if not self.adopted:
            return self.proc.poll() is None
        # Not our child, so not ours to wait for: alive while its end of the channel is open.
        try:
            poller = select.poll()
            poller.register(self.control, select.POLLIN)
            return not any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in poller.poll(0))
        except (OSError, ValueError):
            return False

    def spawn(self, fds: list[int], limits: dict) -> int | None:
        reply = self._ask({"op": "spawn", "limits": limits}, fds, 30)
        return reply.get("pid") if reply else None

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


class Worker:
    """One sandboxed worker process, for (part of) one submission: forked by the zygote."""

    def __init__(self, sandbox: str, limits: Limits):
        self.sandbox = sandbox
        self.limits = limits
        # As root, the worker becomes a fresh uid: process limits then count only its own
        # processes, and files readable by root alone (course.key) are out of its reach.
        # Outside bubblewrap that needs a Python installation others can read (not /root).
        can_drop = os.getuid() == 0 and (sandbox == "bwrap" or _readable_by_all(sys.base_prefix, sys.prefix, PACKAGE_DIR))
        self.uid = _fresh_uid() if can_drop else None
        self.zygote = zygote(sandbox, limits)
        to_worker_r, self._to_worker = os.pipe()
        # Written to with a deadline (`send`): a worker that stops reading must cost a timeout,
        # not a grader blocked on a full pipe.
        os.set_blocking(self._to_worker, False)
        self._from_worker, from_worker_w = os.pipe()
        self.pid = self.zygote.spawn([to_worker_r, from_worker_w], self._limits_message())
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._buffer = b""
        self._status: dict | None = None
        try:
            if self.pid is None:
                raise WorkerDied("the sandbox could not start a process")
            self.expect("ready", self.limits.start_timeout)
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
        return {"rlimits": rlimits, "uid": self.uid}

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
        data, self._buffer = self._buffer[:n], self._buffer[n:]
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


def choose_sandbox(require_sandbox: bool) -> tuple[str, str]:
    """("bwrap", "") when isolation works; ("rlimit-only", why) otherwise, unless it is required."""
    ok, why = bwrap_status()
    if ok:
        return "bwrap", ""
    if require_sandbox:
        from .errors import UserError

        raise UserError(f"--require-sandbox: {why}; install bubblewrap (Debian package 'bubblewrap')")
    return "rlimit-only", why
