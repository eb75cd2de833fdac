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
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import wire

PACKAGE_DIR = Path(__file__).resolve().parent
SANDBOX_PACKAGE_ROOT = "/opt/optim-autograder"
BOOT = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from autograder.sandbox_worker import main; main()"
)


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


_uids = itertools.count()


def _fresh_uid() -> int:
    """A uid no other sandbox of this machine uses at the same time (no passwd entry needed)."""
    return 200_000 + (os.getpid() % 4096) * 256 + next(_uids) % 256


class Worker:
    """One sandboxed worker process, for (part of) one submission."""

    def __init__(self, kind: str, limits: Limits):
        self.kind = kind
        self.limits = limits
        # Outside bubblewrap the Python installation may sit where a fresh uid cannot
        # read it (/root), so only the sandbox proper changes uid.
        self.uid = _fresh_uid() if os.getuid() == 0 and kind == "bwrap" else None
        self._tmp = None if kind == "bwrap" else tempfile.mkdtemp(prefix="autograder-sandbox-")
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        command = self._command(to_worker_r, from_worker_w)
        self.proc = subprocess.Popen(
            command, pass_fds=(to_worker_r, from_worker_w), env=self._environment(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=self._tmp or "/", start_new_session=True,
        )
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._buffer = b""
        try:
            self.send({"limits": self._limits_message(), "workdir": "/tmp" if kind == "bwrap" else self._tmp})
            self.expect("ready", self.limits.start_timeout)
        except (WorkerDied, WorkerTimeout):
            self.close()
            raise

    def _command(self, read_fd: int, write_fd: int) -> list[str]:
        python = sys.executable
        boot = BOOT.format(root=SANDBOX_PACKAGE_ROOT if self.kind == "bwrap" else str(PACKAGE_DIR.parent))
        argv = [python, "-I", "-B", "-c", boot, str(read_fd), str(write_fd)]
        if self.kind != "bwrap":
            return argv
        # /tmp first: a course checked out under /tmp must have its environment mounted on top of it.
        binds = ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp",
                 "--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink(f"/{link}"):
                binds += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        mounts = [(p, p) for p in sorted({sys.base_prefix, sys.prefix}) if not p.startswith("/usr/")]
        mounts.append((str(PACKAGE_DIR), f"{SANDBOX_PACKAGE_ROOT}/autograder"))
        for source, target in mounts:
            # Parents of a mount point would otherwise be created 0700 and the uid
            # the worker becomes could not walk through them.
            for parent in reversed(Path(target).parents[:-1]):
                binds += ["--perms", "0755", "--dir", str(parent)]
            binds += ["--ro-bind", source, target]
        if os.path.exists("/etc/alternatives"):
            binds += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
        return [
            shutil.which("bwrap") or "bwrap", *_bwrap_isolation(), *binds, "--chdir", "/tmp", *argv,
        ]

    def _environment(self) -> dict:
        home = "/tmp" if self.kind == "bwrap" else self._tmp
        return {
            "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": home, "PYTHONHASHSEED": "0",
            # One thread: numpy's BLAS threads would count against the process limit.
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }

    def _limits_message(self) -> dict:
        lim = self.limits
        rlimits = {
            "RLIMIT_CPU": lim.cpu_seconds, "RLIMIT_AS": lim.memory_bytes, "RLIMIT_FSIZE": lim.file_bytes,
            "RLIMIT_NOFILE": lim.open_files, "RLIMIT_CORE": 0,
        }
        if self.uid is not None:
            rlimits["RLIMIT_NPROC"] = lim.processes
        return {"rlimits": rlimits, "uid": self.uid}

    # --- the channel ----------------------------------------------------------------

    def send(self, message: dict) -> None:
        data = wire.dumps(message)
        try:
            while data:
                data = data[os.write(self._to_worker, data):]
        except (BrokenPipeError, OSError):
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

    def events(self, timeout: float) -> Iterator[dict]:
        while True:
            yield self.receive(timeout)

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

    def _death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "it closed the grader's channel"
        if code < 0:
            return describe_signal(-code)
        # bwrap reports the child's death by a signal as 128 + signal number.
        if self.kind == "bwrap" and code > 128:
            return describe_signal(code - 128)
        return f"the process exited with status {code} (sys.exit or os._exit in your code?)"

    # --- the end ----------------------------------------------------------------------

    def kill(self) -> None:
        """End the worker and everything it started."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.uid is not None:
            _kill_uid(self.uid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"op": "exit"})
                self.proc.wait(timeout=2)
            except (WorkerDied, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _kill_uid(uid: int) -> None:
    """Kill every process of a sandbox's own uid, wherever it hid: only that sandbox runs as it."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


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


def choose_kind(require_sandbox: bool) -> tuple[str, str]:
    """("bwrap", "") when isolation works; ("rlimit-only", why) otherwise, unless it is required."""
    ok, why = bwrap_status()
    if ok:
        return "bwrap", ""
    if require_sandbox:
        from .errors import UserError

        raise UserError(f"--require-sandbox: {why}; install bubblewrap (Debian package 'bubblewrap')")
    return "rlimit-only", why
