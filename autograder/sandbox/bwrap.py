"""Which sandbox this machine can give student code, and the bubblewrap command that builds it.

Under bubblewrap the zygote sees a read-only system and Python, this package (nothing else of
the course), no network and a PID namespace of its own; as root it keeps only the capabilities
it needs to give every worker namespaces and a uid of its own (`confine`), as an ordinary user
it gets the same ones inside bubblewrap's user namespace. Where that cannot work, student code
does not run unless the operator says so (`--no-sandbox`), and then never as root.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

from ..course import BUNDLED
from ..errors import UserError
from .limits import Limits

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_PACKAGE_ROOT = "/opt/optim-autograder"
BWRAP = "bwrap"
NO_SANDBOX = "rlimit-only"
# Only the modules that run inside are imported there: this package's __init__ (the grader's side:
# subprocess, multiprocessing, ...) would cost a zygote a tenth of its start, so an empty package
# module stands in for it.
INSIDE_PACKAGE = (
    "import sys, types; sys.path[:0] = {path!r}; "
    "sys.modules['autograder.sandbox'] = package = types.ModuleType('autograder.sandbox'); "
    "package.__path__ = [{path[0]!r} + '/autograder/sandbox']"
)
# Collection is off while the zygote imports and warms up (numpy, sympy: objects that live as long
# as it does, walked again and again by collections as they are built: a fifth of its start); see
# `inside.zygote_main` for when it comes back.
BOOT = "import gc; gc.disable(); " + INSIDE_PACKAGE + "; from autograder.sandbox.inside import zygote_main; zygote_main()"
# Run in a sandbox of exactly the zygote's kind before any student code (`confine.self_test`).
PROBE = INSIDE_PACKAGE + "; from autograder.sandbox import confine; confine.self_test({uid!r})"
# What the zygote keeps when it runs as root: enough to give each worker its own namespaces
# (SYS_ADMIN), uid and folder, to drop the bounding set (SETPCAP) and to kill and clean up after
# it; nothing else. As an ordinary user the same list is what it holds in bubblewrap's user
# namespace, which gives it power over that namespace only.
ZYGOTE_CAPS = ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN",
               "CAP_DAC_OVERRIDE", "CAP_FOWNER")
# This package's modules that run inside the sandbox (`_inside_copy`).
INSIDE_MODULES = ("__init__.py", "wire.py", "untrusted_json.py", "surfaces.py", "sandbox/inside.py",
                  "sandbox/confine.py")
# Packages the workers import, wherever this Python finds them (a user's site-packages too).
SANDBOX_IMPORTS = ("numpy", "sympy", "mpmath", "pyseccomp")

def isolation_flags() -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    # As root we stay in the initial user namespace so that the worker can become a real,
    # fresh uid (process limits then count only its own processes); otherwise a user
    # namespace is what lets an ordinary user build the sandbox at all.
    if os.getuid() != 0:
        flags.append("--unshare-user")
    return flags


def command(argv: list[str], limits: Limits) -> list[str]:
    """The bubblewrap command line that runs `argv` as a zygote."""
    # /tmp first: a course checked out under /tmp must have its environment mounted on top of it.
    binds = ["--proc", "/proc", "--dev", "/dev",
             "--perms", "0755", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
             "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            binds += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    mounts = [(p, p) for p in _python_folders() if not _within(p, "/usr")]
    mounts.append((_inside_copy(), f"{SANDBOX_PACKAGE_ROOT}/autograder"))
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
    # The loader's cache: pyseccomp finds libseccomp through it (ctypes.util.find_library).
    for shared in ("/etc/alternatives", "/etc/ld.so.cache"):
        if os.path.exists(shared):
            binds += ["--ro-bind", shared, shared]
    caps = [flag for cap in ZYGOTE_CAPS for flag in ("--cap-add", cap)]
    if os.getuid() == 0:
        caps = ["--cap-drop", "ALL", *caps]
    return [shutil.which(BWRAP) or BWRAP, *isolation_flags(), *caps, *binds, "--remount-ro", "/", "--chdir", "/tmp",
            *argv]


@functools.lru_cache(maxsize=None)
def _python_folders() -> tuple[str, ...]:
    """The Python installation and the folders the workers import packages from, outermost only."""
    folders = {sys.base_prefix, sys.prefix}
    for name in SANDBOX_IMPORTS:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.add(str(Path(spec.origin).resolve().parent.parent))
    return tuple(f for f in sorted(folders) if not any(f != o and _within(f, o) for o in folders))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@functools.lru_cache(maxsize=None)
def _inside_copy() -> str:
    """A copy of just the modules that run inside, made once per process: the sandbox sees none of
    the grader's code, and no mount of it names the folder the grader was installed or checked out
    in (/proc/self/mountinfo shows a mount's source)."""
    folder = tempfile.mkdtemp(prefix="autograder-inside-")
    for module in INSIDE_MODULES:
        source = PACKAGE_DIR / module
        (Path(folder) / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, Path(folder) / module)  # its time too, so that the compiled copy below stays valid
        cached = importlib.util.cache_from_source(str(source))
        if os.path.exists(cached):
            target = Path(folder) / Path(cached).relative_to(PACKAGE_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(cached, target)
    for path in [Path(folder), *Path(folder).rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))
    return folder


# -I: nothing from the environment or the folder it starts in; -B: no bytecode written; -S: no site
# module (its .pth files cost a start 20-40 ms): the folders it imports from are named instead.
SANDBOX_PYTHON = (sys.executable, "-I", "-B", "-S")


def import_path(root: str) -> list[str]:
    """Where the sandbox's Python imports from: this package's root, then the folders of this
    Python's path that the sandbox can see (a user's PYTHONPATH among them: the sandbox's Python
    runs with -I, which ignores the environment)."""
    folders = _python_folders()
    return [root, *(f for f in sys.path if any(_within(f, p) for p in folders))]


def boot_argv(root: str, control_fd: int, workroot: str, isolated: bool) -> list[str]:
    return [*SANDBOX_PYTHON, "-c", BOOT.format(path=import_path(root)), str(control_fd), workroot,
            "isolated" if isolated else "plain"]


_early: Future | None = None


def probe_early() -> None:
    """Start the probe in a thread of its own: a command that will run student code asks for it
    before its imports, which then run beside it (its 60 ms are mostly a sandbox's start)."""
    global _early
    if _early is not None:
        return
    _early = Future()

    def run(answer: Future) -> None:
        try:
            answer.set_result(_probe())
        except BaseException as exc:  # handed to bwrap_status, which raises it where it is asked
            answer.set_exception(exc)

    threading.Thread(target=run, args=(_early,), name="sandbox probe", daemon=True).start()


@functools.lru_cache(maxsize=None)
def bwrap_status() -> tuple[bool, str]:
    """Whether bubblewrap can start a sandbox here in which every worker gets namespaces of its
    own; if not, what is missing and how to get it, in one line. The probe runs once (from
    `probe_early`'s thread, when that started it)."""
    return _early.result() if _early is not None else _probe()


def _probe() -> tuple[bool, str]:
    exe = shutil.which(BWRAP)
    if exe is None:
        return False, "bubblewrap is not installed (Debian and Ubuntu: apt-get install bubblewrap)"
    probe = PROBE.format(path=import_path(SANDBOX_PACKAGE_ROOT), uid=65534 if os.getuid() == 0 else None)
    try:
        done = subprocess.run(command([*SANDBOX_PYTHON, "-c", probe], Limits()),
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start ({exc})"
    if done.returncode == 0:
        return True, ""
    said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
    return False, _remedy(said[-1][:200] if said else f"exit status {done.returncode}")


def _remedy(error: str) -> str:
    """The error of a failed start, with the setting that most likely causes it."""
    if "pyseccomp" in error or "libseccomp" in error:
        return (f"the sandbox cannot load its system-call filter ({error}); install libseccomp2 "
                "(Debian and Ubuntu: apt-get install libseccomp2) and the Python package pyseccomp")
    if os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv"):
        where = ("in this container, whose seccomp profile forbids namespaces: run it with "
                 "--security-opt seccomp=unconfined (or a profile that allows unshare, clone and mount)")
    elif _sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1" and os.getuid() != 0:
        where = ("AppArmor forbids unprivileged user namespaces: sudo sysctl "
                 "kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap")
    elif _sysctl("kernel/unprivileged_userns_clone") == "0" and os.getuid() != 0:
        where = "unprivileged user namespaces are off: sudo sysctl kernel.unprivileged_userns_clone=1"
    elif _sysctl("user/max_user_namespaces") == "0":
        where = "user namespaces are off: sudo sysctl user.max_user_namespaces=15000"
    else:
        where = "namespaces are not available to this user"
    return f"bubblewrap cannot build the sandbox ({error}): {where}"


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return None


def readable_by_all(*paths) -> bool:
    for path in paths:
        for folder in [Path(path), *Path(path).parents]:
            if not folder.stat().st_mode & 0o005:
                return False
    return True


def choose_sandbox(no_sandbox: bool = False) -> tuple[str, str]:
    """("bwrap", "") when isolation works. Otherwise a UserError that says what is missing, unless
    the operator chose to grade without isolation: then ("rlimit-only", why), and as root only
    where the workers can run as an unprivileged uid."""
    ok, why = bwrap_status()
    if ok:
        return BWRAP, ""
    if not no_sandbox:
        raise UserError(f"student code cannot be isolated here: {why}. To grade anyway, without "
                        "isolation, pass --no-sandbox.")
    if os.getuid() == 0 and not readable_by_all(sys.base_prefix, sys.prefix, PACKAGE_DIR, *_python_folders()):
        raise UserError("--no-sandbox as root: student code must run as an unprivileged uid, but this Python "
                        f"installation ({sys.prefix}) or this package is not readable by other users; install "
                        "bubblewrap, or use a Python that every user can read")
    return NO_SANDBOX, why
