"""The program that runs inside the sandbox, next to one student's code.

It executes the notebook's code cells with notebook semantics (one namespace, a failing
cell does not stop the next), then answers calls: it builds the arguments from plain
data, calls the student's function, and sends back plain data only. It never sees a
reference value, and whatever it sends is decoded strictly and judged in the grader, so
a submission that tampers with this process can only spoil its own answers.

Imports: the standard library, numpy, pyseccomp (see `confine`), and this package's wire and
surfaces modules (each assignment's warm-up, run in the zygote below, imports what its students use).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import signal
import socket
import sys
import traceback
from typing import Any

import numpy as np

from .. import surfaces, wire
from . import confine

# Captured before any student code runs, so that a cell rebinding os.write or the json
# module cannot silence the channel (it can still spoil its own answers, nothing more).
_write = os.write
_read = os.read
_exit = os._exit
_dumps = wire.dumps
_loads = wire.loads


class Channel:
    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.pid = os.getpid()

    def send(self, message: dict) -> None:
        if os.getpid() != self.pid:
            # A process the student forked came back into this code: it must not answer.
            _exit(0)
        data = _dumps(message)
        while data:
            written = _write(self.write_fd, data)
            data = data[written:]

    def receive(self) -> dict | None:
        header = self._exactly(4)
        if header is None:
            return None
        body = self._exactly(int.from_bytes(header, "big"))
        return None if body is None else _loads(body)

    def _exactly(self, n: int) -> bytes | None:
        chunks, got = [], 0
        while got < n:
            chunk = _read(self.read_fd, min(n - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


# --- confinement ----------------------------------------------------------------------

def confine_worker(limits: dict, rules) -> None:
    """Apply resource limits, give up every privilege, load the system-call filter, and send the
    student's output nowhere."""
    for name, value in limits.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    confine.drop_privileges(limits.get("uid"))
    if rules is not None:
        rules.load()
    # A student's write past RLIMIT_FSIZE should fail with an error, not kill the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)


# --- running cells --------------------------------------------------------------------

def describe_exception(exc: BaseException) -> str:
    """'ValueError: message (line 3 of cell loss_gradient)', pointing into the student's code only."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell "):
            where = f" (line {frame.lineno} of {frame.filename[1:-1]})"
            break
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith("<cell "):
        where = f" (line {exc.lineno} of {exc.filename[1:-1]})"
        text = exc.msg
    else:
        text = _safe_str(exc)
    name = type(exc).__name__
    return f"{name}: {text}{where}" if text else f"{name}{where}"


def _safe_str(obj: Any, limit: int = 500) -> str:
    try:
        text = str(obj)
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_cells(channel: Channel, namespace: dict, observers: dict, cells: list) -> None:
    """Run the cells in order; an entry with "observers" instead of "source" installs the
    assignment's observers (see `compile_observers`) for the calls that follow."""
    for index, cell in enumerate(cells):
        channel.send({"event": "cell_start", "index": index})
        error = None
        try:
            if "observers" in cell:
                observers.update(compile_observers(cell["observers"]))
            else:
                exec(compile(cell["source"], f"<cell {cell['label']}>", "exec"), namespace)
        except BaseException as exc:  # notebook semantics: report and go on to the next cell
            error = describe_exception(exc)
        channel.send({"event": "cell_done", "index": index, "error": error})
    channel.send({"event": "cells_done"})


# --- observing return values --------------------------------------------------------------

def compile_observers(sources: dict) -> dict:
    """An assignment's observers: name → a Python expression in `value` (the raw value a
    student function returned) and `np`, whose plain result the grader receives as a fact."""
    return {str(name): compile(source, f"<observer {name}>", "eval") for name, source in sources.items()}


def observe(observers: dict, value: Any) -> dict:
    facts = {}
    for name, code in observers.items():
        try:
            fact = eval(code, {"np": np, "value": value})
        except Exception:  # a fact that cannot be observed on this value is not reported
            continue
        if fact is None or isinstance(fact, (bool, int, float, str)):
            facts[name] = fact
    return facts


# --- answering calls ------------------------------------------------------------------

def build_argument(value: Any) -> Any:
    if isinstance(value, wire.Surface):
        # The surface's own bound method, which counts its calls: a wrapper that counted them
        # cost a tenth of every step of the students' loops.
        return surfaces.function(value.family, value.params, value.returns)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _calls(argument: Any) -> int | None:
    owner = getattr(argument, "__self__", None)
    return owner.calls if isinstance(owner, tuple(surfaces.FAMILIES.values())) else None


def opaque(value: Any) -> wire.Opaque:
    return wire.Opaque(type(value).__name__, _safe_str(_safe_repr(value), 300))


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except BaseException:
        return "<unprintable>"


def as_float_array(value: Any) -> Any:
    try:
        arr = np.asarray(value, dtype=float)
    except BaseException:
        return opaque(value)
    if arr.size > wire.MAX_ARRAY_ELEMENTS:
        return wire.Opaque("ndarray", f"too large: shape {arr.shape}")
    return arr


def as_plain(value: Any, depth: int = 0) -> Any:
    if depth > 10:
        return opaque(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return as_float_array(value)
    if isinstance(value, (list, tuple)):
        return [as_plain(v, depth + 1) for v in value[:10000]]
    if isinstance(value, dict):
        return {str(k): as_plain(v, depth + 1) for k, v in list(value.items())[:1000]}
    return opaque(value)


def as_matrix(value: Any) -> Any:
    import sympy

    try:
        matrix = value if isinstance(value, sympy.MatrixBase) else sympy.Matrix(value)
        if matrix.rows * matrix.cols > 400:
            return wire.Opaque("Matrix", f"too large: {matrix.rows}×{matrix.cols}")
        entries = tuple(wire.Tree(expression_tree(sympy, e, [0])) for e in matrix)
    except Unsupported as exc:
        return wire.Opaque(type(value).__name__, str(exc))
    except BaseException:
        return opaque(value)
    return wire.MatrixTree((matrix.rows, matrix.cols), entries)


class Unsupported(Exception):
    pass


MAX_INTEGER_BITS = 190  # about 57 digits: the wire carries integers of at most 60


def expression_tree(sympy, expr, count: list) -> tuple:
    count[0] += 1
    if count[0] > wire.MAX_TREE_NODES:
        raise Unsupported("the expression is too large")
    if isinstance(expr, sympy.Rational):  # Integer included
        if max(abs(int(expr.p)), abs(int(expr.q))).bit_length() > MAX_INTEGER_BITS:
            raise Unsupported("an integer of more than 57 digits is too large for a symbolic answer")
        if isinstance(expr, sympy.Integer):
            return ("int", str(int(expr)))
        return ("rat", str(int(expr.p)), str(int(expr.q)))
    if isinstance(expr, sympy.Float):
        return ("float", repr(float(expr)))
    if isinstance(expr, sympy.Symbol):
        if not wire.SYMBOL_NAME.match(expr.name):
            raise Unsupported(f"symbol name {expr.name[:40]!r} is not a plain name")
        return ("sym", expr.name)
    if isinstance(expr, sympy.Add):
        return ("add",) + tuple(expression_tree(sympy, a, count) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        return ("mul",) + tuple(expression_tree(sympy, a, count) for a in expr.args)
    if isinstance(expr, sympy.Pow):
        return ("pow", expression_tree(sympy, expr.base, count), expression_tree(sympy, expr.exp, count))
    name = type(expr).__name__
    if name in wire.TREE_FUNCTIONS and len(expr.args) == 1:
        return ("fn", name, expression_tree(sympy, expr.args[0], count))
    raise Unsupported(f"{name} is not allowed in a symbolic answer (use numbers, symbols, +, *, **)")


CONVERTERS = {
    "array": as_float_array,
    "array_or_none": lambda v: None if v is None else as_float_array(v),
    "str": lambda v: v if isinstance(v, str) else opaque(v),
    "matrix": as_matrix,
    "data": as_plain,
}


def call(namespace: dict, request: dict, observers: dict | None = None) -> dict:
    name = request["function"]
    function = namespace.get(name)
    if function is None:
        return {"status": "missing", "message": f"no function named {name} exists after running your cells"}
    if not callable(function):
        return {"status": "bad_value", "message": f"{name} is a {type(function).__name__}, not a function"}
    args = [build_argument(a) for a in wire.decode(request["args"])]
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    try:
        result = function(*args)
        meta = {"type": type(result).__name__}
        if isinstance(result, np.ndarray):
            meta["dtype"] = str(result.dtype)
        if observers:
            meta["observed"] = observe(observers, result)
        value = CONVERTERS[request["expect"]](result)
    except BaseException as exc:
        return {"status": "error", "message": describe_exception(exc)}
    meta["calls"] = [_calls(a) for a in args]
    meta["mutated"] = [i for i, (a, b) in enumerate(zip(args, before)) if b is not None and not _same(a, b)]
    try:
        encoded = wire.encode(value)
    except wire.WireError as exc:
        return {"status": "bad_value", "message": str(exc)}
    return {"status": "ok", "value": encoded, "meta": meta}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


# --- the loop ---------------------------------------------------------------------------

def serve(channel: Channel) -> None:
    """Answer the grader until it says exit: this is one worker's whole life."""
    namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    observers: dict = {}
    channel.send({"event": "ready"})
    while True:
        request = channel.receive()
        if request is None or request.get("op") == "exit":
            break
        if request["op"] == "cells":
            run_cells(channel, namespace, observers, request["cells"])
        elif request["op"] == "calls":  # a submission's calls in one message, answered in order
            for one in request["calls"]:
                channel.send({"event": "result", **call(namespace, one, observers)})


# --- the zygote ---------------------------------------------------------------------------
#
# One warm process per sandbox and grading process: it has numpy imported (and runs each
# assignment's warm-up once, on request), then forks a fresh worker for every submission (and
# every restart after a crash). Each worker gets its own uid (when the zygote may change uid),
# its own empty folder, its own limits, and is killed together with everything it started
# when the grader is done.


def zygote_main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    workroot, isolated = sys.argv[2], sys.argv[3] == "isolated"
    try:
        confine.die_with_parent(signal.SIGKILL)
        if isolated:
            _own_pid_namespace()
            namespaces = confine.PidNamespaces()
        else:
            namespaces = None
        inits: dict[int, int] = {}  # worker -> the first process of its PID namespace
        confine.become_subreaper()
        # Built once here; each worker only loads it. Without bubblewrap it is a bonus, not a wall.
        rules = confine.syscall_filter() if isolated else _optional_filter()
    except (confine.Unconfinable, ImportError, OSError, ValueError) as exc:
        _send_control(control, {"event": "broken", "error": str(exc)[:300]})
        os._exit(1)
    _warm_up()
    _send_control(control, {"event": "ready"})
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 16, 2)
        except OSError:
            break
        for fd in fds:  # the worker's, not its namespace's first process's (`_spawn`)
            os.set_inheritable(fd, False)
        if not data:
            break
        request = json.loads(data)
        if request["op"] == "spawn":
            # Python's recipe for forking servers (see gc.freeze): the zygote collects nothing (BOOT
            # turned collection off; it only imports, warms up, forks and reaps), everything it holds
            # is frozen before each fork, and the worker collects again, its own objects only, so
            # its collections never write to (and copy) the pages it shares with the zygote.
            gc.freeze()
            reply = _spawn(control, fds, request, workroot, rules, namespaces, inits)
            for fd in fds:
                os.close(fd)
            _send_control(control, reply)
        elif request["op"] == "reap":
            _send_control(control, _reap(request["pid"], request.get("uid"), workroot, inits.pop(request["pid"], None)))
        elif request["op"] == "warm":
            _send_control(control, {"event": "warmed", "error": _run_warm_up(request["code"])})
    os._exit(0)


def _optional_filter():
    try:
        return confine.syscall_filter()
    except (ImportError, OSError, ValueError):
        return None


def _own_pid_namespace() -> None:
    """Go on as the first process of a PID namespace made here, where this process holds the
    capabilities to make one for each worker (`confine.PidNamespaces`); the process bubblewrap
    started waits for it and ends with it."""
    confine.new_pid_namespace()
    zygote = os.fork()
    if zygote:
        _, status = os.waitpid(zygote, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    confine.die_with_parent(signal.SIGKILL)


def _spawn(control, fds: list, request: dict, workroot: str, rules, namespaces, inits: dict) -> dict:
    """Fork a worker. Isolated (`namespaces`), it is the second process of a PID namespace made for
    it, whose first is `sleep` (spawned without copying this process, which forking would): the
    worker so keeps a process's usual signals (a namespace's first process ignores those it has no
    handler for), stays this process's child (its end is reported as it happened), and everything
    it starts lives in the namespace, to die with its first process (`_reap`)."""
    if namespaces is not None:
        try:
            namespaces.next_child()
            init = os.posix_spawn(namespaces.init_program, ["sleep", "infinity"], {})
        except (confine.Unconfinable, OSError) as exc:
            return {"error": str(exc)[:300]}
    pid = os.fork()
    if pid == 0:
        control.close()
        _child(fds, request, workroot, rules, isolated=namespaces is not None)
    if namespaces is not None:
        inits[pid] = init
    return {"pid": pid}


def _warm_up() -> None:
    """Pay once, here, what the first use of numpy.linalg costs in every process (lazy
    imports, dispatch tables): a forked worker starts with it done. What an assignment's
    own work costs at first use, its `warm_up` pays (see `_run_warm_up`)."""
    np.linalg.eigh(np.eye(2))
    np.linalg.solve(np.eye(2), np.ones(2))


def _run_warm_up(code: str) -> str | None:
    """Run an assignment's warm-up (course code, never a student's) before the next fork."""
    try:
        exec(compile(code, "<warm-up>", "exec"), {"__name__": "__warm_up__"})
    except Exception as exc:  # a warm-up only saves time: a failing one costs nothing else
        return describe_exception(exc)
    return None


def _send_control(control, message: dict) -> None:
    control.sendall(json.dumps(message).encode())


def _workdir(workroot: str, pid: int) -> str:
    return os.path.join(workroot, f"worker-{pid}")


def _child(fds: list, request: dict, workroot: str, rules, isolated: bool) -> None:
    channel = Channel(fds[0], fds[1])
    try:
        os.setsid()
        limits = request["limits"]
        gc.enable()
        if isolated:
            confine.private_mounts(int(limits["tmp_bytes"]))
            workdir = "/tmp/work"
        else:
            confine.die_with_parent(signal.SIGKILL)
            workdir = _workdir(workroot, os.getpid())
        os.mkdir(workdir, 0o700)
        if limits.get("uid") is not None and os.getuid() == 0:
            os.chown(workdir, limits["uid"], limits["uid"])
        os.chdir(workdir)
        os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)
        confine_worker(limits, rules)
    except (confine.Unconfinable, OSError) as exc:
        channel.send({"event": "unconfined", "error": str(exc)[:300]})
        os._exit(0)
    try:
        serve(channel)
    finally:
        os._exit(0)


def _reap(pid: int, uid: int | None, workroot: str, init: int | None) -> dict:
    """Kill a worker and all it started and collect its exit status. Isolated (`init`, the first
    process of its PID namespace), the kernel kills everything in the namespace with `init`, and
    the worker's /tmp goes with its mount namespace. Otherwise its session is killed, then
    whatever left it."""
    try:
        os.kill(init, signal.SIGKILL) if init else os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = None
    if init:
        os.waitpid(init, 0)  # ends once the namespace is empty: the worker was reaped just now
    else:
        _kill_escaped(uid)
        shutil.rmtree(_workdir(workroot, pid), ignore_errors=True)
    if status is None:
        return {"exit": None}
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exit": os.WEXITSTATUS(status)}


def _kill_escaped(uid: int | None) -> None:
    """Without namespaces: every process that left the worker's session. With a uid of its own,
    everything of that uid; otherwise what was orphaned to this process (the subreaper) and what
    those started, until nothing is left."""
    if uid is not None and os.getuid() == 0:
        if _has_processes(uid):
            killer = os.fork()
            if killer == 0:
                try:
                    os.setuid(uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(killer, 0)
        return
    for _ in range(1000):  # each round kills a generation; the process limit bounds how many there are
        orphans = _children()
        if not orphans:
            return
        for orphan in orphans:
            try:
                os.kill(orphan, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for orphan in orphans:
            try:
                os.waitpid(orphan, 0)
            except ChildProcessError:
                pass


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if fields[1] == me:
            found.append(int(entry))
    return found


def _has_processes(uid: int) -> bool:
    """Whether any process of `uid` is left. None of them can start another once none is left, so a
    look after the worker is dead finds every one that escaped it."""
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                return True
        except OSError:  # ended while we looked
            continue
    return False


if __name__ == "__main__":
    zygote_main()
