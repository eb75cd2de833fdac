"""One student's code against another's: nothing a submission starts outlives it, and nothing it
does reaches a submission graded before, beside or after it. Run as root and (through
`test_the_isolation_suites_pass_as_an_ordinary_user`) as an ordinary user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.sandbox import Limits

from conftest import ROOT, grade_bytes, submission_of, task_scores

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

FAST = Limits(cell_timeout=5, call_timeout=3, submission_timeout=60)
HONEST = {"scaled": 3.0, "value_at_origin": 1.0}

# Left behind by the first submission: a process that leaves the worker's session and, for 20 s,
# stops, reads and kills every other process it can see, and leaves what it found where a later
# submission of the same student could read it back (/tmp, /dev/shm, System V shared memory).
LEFT_BEHIND = r'''
import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        libc.prctl(15, b"agleftbehind", 0, 0, 0)
        found = []
        end = time.time() + 20
        while time.time() < end:
            for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
                try:
                    os.kill(int(pid), signal.SIGSTOP)
                    found.append(open(f"/proc/{pid}/cmdline", "rb").read()[:80])
                    with open(f"/proc/{pid}/mem", "rb") as mem:
                        found.append(mem.read(16))
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            for where in ("/tmp/loot", "/dev/shm/loot"):
                try:
                    open(where, "w").write(repr(found)[:1000])
                except OSError:
                    pass
            key = libc.shmget(4242, 4096, 0o1666)
            if key >= 0:
                ctypes.memmove(libc.shmat(key, None, 0), b"loot", 4)
            time.sleep(0.05)
        os._exit(0)
    os._exit(0)
def scaled(x):
    return SCALE * np.asarray(x, dtype=float)
'''

# The same student's next submission: what is left of the first one?
READ_BACK = r'''
import ctypes, os
def scaled(x):
    libc = ctypes.CDLL(None, use_errno=True)
    loot = [open(w).read()[:100] for w in ("/tmp/loot", "/dev/shm/loot", "/tmp/work/loot") if os.path.exists(w)]
    pids = sorted(p for p in os.listdir("/proc") if p.isdigit())
    raise RuntimeError(f"loot={loot} shm={libc.shmget(4242, 0, 0)} pids={pids} tmp={os.listdir('/tmp')}")
'''


def _left_behind() -> list[str]:
    found = subprocess.run(["pgrep", "-x", "agleftbehind"], capture_output=True, text=True).stdout.split()
    return found


def test_a_left_behind_process_dies_with_its_submission_and_reaches_no_one(toy, sandbox):
    first = grade_bytes(toy, "toy", "evil", submission_of(toy, "toy", "evil", cells={"scaled": LEFT_BEHIND}),
                        sandbox, FAST)
    assert first["status"] == "graded"  # (it may well have stopped its own worker: that costs it alone)
    assert _left_behind() == []  # already gone when its report exists
    for student in ("h1", "h2", "h3"):  # graded by the same zygote, one after the other
        report = grade_bytes(toy, "toy", student, submission_of(toy, "toy", student), sandbox, FAST)
        assert task_scores(report) == HONEST and report["cell_errors"] == [], report
    second = grade_bytes(toy, "toy", "evil", submission_of(toy, "toy", "evil", cells={"scaled": READ_BACK}),
                         sandbox, FAST)
    message = second["tasks"][0]["checks"][0]["message"]
    assert "loot=[] shm=-1 pids=['1', '2'] tmp=['work']" in message


def test_the_worker_holds_no_privilege_and_its_system_calls_are_filtered(toy, sandbox):
    code = r'''
import ctypes, errno, os
def scaled(x):
    libc = ctypes.CDLL(None, use_errno=True)
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    facts = {
        "uid0": os.getuid() == 0,
        "caps": status["CapEff"].strip("0") + status["CapPrm"].strip("0") + status["CapBnd"].strip("0"),
        "nnp": status["NoNewPrivs"], "seccomp": status["Seccomp"], "dumpable": libc.prctl(3, 0, 0, 0, 0),
        "userns": libc.unshare(0x10000000), "ptrace": libc.ptrace(0, 0, 0, 0),
        "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None), "keyctl": libc.syscall(250, 0, 0, 0, 0),
        "bpf": libc.syscall(321, 0, 0, 0), "course": [l.split()[3] for l in open("/proc/self/mountinfo")
                                                     if l.split()[4].startswith("/opt/optim-autograder")],
    }
    raise RuntimeError(repr(facts))
'''
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", cells={"scaled": code}), sandbox, FAST)
    message = report["tasks"][0]["checks"][0]["message"]
    expected = ("{'uid0': False, 'caps': '', 'nnp': '1', 'seccomp': '2', 'dumpable': 0, 'userns': -1, 'ptrace': -1, "
                "'mount': -1, 'keyctl': -1, 'bpf': -1, 'course': ['/tmp/autograder-inside-")
    # The only mount of ours names a copy of the modules that run inside, not the grader's folder.
    assert expected in message and str(ROOT) not in message


def test_a_class_graded_while_the_host_kills_sandbox_processes_keeps_every_honest_mark(toy, sandbox):
    """While each student is graded, a thread SIGKILLs one of the sandbox's processes (a worker, the
    first process of its namespace, or the zygote) at a random moment: the host's fault, never the
    student's. A crash is charged only when it happens again in a fresh process."""
    import random
    import threading

    from autograder.sandbox import zygotes

    rng = random.Random(7)
    armed, done = threading.Event(), threading.Event()
    killed = []

    def killer():
        while not done.is_set():
            if not armed.wait(0.1):
                continue
            time.sleep(rng.uniform(0.0, 0.02))
            # Mostly a worker's processes, now and then the zygote itself.
            deepest = 2 if len(killed) % 5 == 4 else 3
            deadline = time.monotonic() + 1.0
            while armed.is_set() and time.monotonic() < deadline:
                victims = [pid for zygote in list(zygotes._zygotes.values())
                           for pid, depth in _below(zygote.proc.pid) if depth >= deepest]
                if victims:
                    try:
                        os.kill(rng.choice(victims), 9)
                        killed.append(deepest)
                        break
                    except ProcessLookupError:
                        pass
                time.sleep(0.001)
            armed.clear()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    reports = []
    try:
        for i in range(20):
            armed.set()
            reports.append(grade_bytes(toy, "toy", f"k{i}", submission_of(toy, "toy", f"k{i}"), sandbox, FAST))
            armed.clear()
    finally:
        done.set()
        thread.join()
    lost = [(r["student_id"], r["cell_errors"], [c["message"] for t in r["tasks"] for c in t["checks"] if not c["passed"]])
            for r in reports if (task_scores(r), r["cell_errors"]) != (HONEST, [])]
    assert lost == []
    assert len(killed) >= 8 and 2 in killed, f"the host killed too few processes ({killed}) for this test to mean anything"


def test_a_grading_process_killed_by_the_host_costs_nothing(toy, sandbox, tmp_path):
    """The OOM killer or an operator ends one of grade's pool processes: its students are graded
    again in a new pool, and every report is full marks."""
    import json
    import multiprocessing
    import threading

    from autograder.batch import grade_class
    from autograder.roster import Roster

    from conftest import SECRET

    ids = [f"p{i:02d}" for i in range(16)]
    folder = tmp_path / "subs"
    folder.mkdir()
    slow_but_right = "import time\ntime.sleep(0.25)\ndef scaled(x):\n    return SCALE * np.asarray(x, dtype=float)"
    for sid in ids:  # a quarter of a second each, so that the run is still going when the host strikes
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid, cells={"scaled": slow_but_right}))
    killed = []

    def killer():
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            pool = [p for p in multiprocessing.active_children() if "Process" in p.name]
            if pool:
                time.sleep(0.5)
                try:
                    os.kill(pool[0].pid, 9)
                    killed.append(pool[0].pid)
                except ProcessLookupError:
                    continue
            time.sleep(0.01)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    run = grade_class(toy, "toy", Roster(("student_id",), tuple({"student_id": sid} for sid in ids)), folder,
                      tmp_path / "out", SECRET, jobs=2, sandbox=sandbox, limits=FAST, say=lambda line: None)
    thread.join()
    assert killed and run.graded == len(ids)
    scores = {sid: json.loads((tmp_path / "out" / sid / "report.json").read_text())["score"] for sid in ids}
    assert scores == dict.fromkeys(ids, 4.0)


def _below(pid: int) -> list[tuple[int, int]]:
    """Every process below the zygote's bubblewrap, with its depth: bubblewrap's own second process
    (1), the zygote (2), the first process of a worker's namespace (3), the worker (4), what it
    started."""
    below, frontier = [], [(pid, 0)]
    while frontier:
        parent, depth = frontier.pop()
        try:
            children = [int(c) for c in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        except OSError:
            continue
        below += [(child, depth + 1) for child in children]
        frontier += [(child, depth + 1) for child in children]
    return below


# --- the same suites, as an ordinary user -----------------------------------------------------

ORDINARY_USER = "autograder-test"


def _ordinary_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(ORDINARY_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ORDINARY_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(ORDINARY_USER)


def _python_for(user: pwd.struct_passwd) -> list[str]:
    """A Python the user can run with this suite's packages: this one when every user can read it,
    else the system's Python of the same version with this environment's site-packages on its path
    (as a TA would use a Python of their own)."""
    from autograder.sandbox.bwrap import readable_by_all

    if readable_by_all(sys.base_prefix, sys.prefix):
        return [sys.executable]
    system = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}", path="/usr/bin:/bin")
    if system is None:
        pytest.fail(f"no Python readable by {user.pw_name}: install python{sys.version_info.major}."
                    f"{sys.version_info.minor} from the system's packages, or use a Python every user can read")
    return [system]


@pytest.mark.skipif(os.getuid() != 0, reason="runs as an ordinary user already: the suites above are that run")
def test_the_isolation_suites_pass_as_an_ordinary_user():
    user = _ordinary_user()
    # Not pytest's tmp_path: its parent is root's own, closed to other users.
    tmp_path = Path(tempfile.mkdtemp(prefix="autograder-as-user-"))
    site = [p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)]
    # A copy of the project the user owns, like a TA's checkout; its tests write nothing else.
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.key",
                                                                   "demo-output", "demo-server"))
    subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(tmp_path)], check=True)
    tmp_path.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join([str(checkout), *site]),
           "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    tests = ["tests/test_hostile.py", "tests/test_isolation.py",
             "tests/test_cli.py::test_without_isolation_grade_refuses_unless_told_no_sandbox"]
    done = subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                           *_python_for(user), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-k", "not ordinary_user",
                           *tests],
                          cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " skipped" not in done.stdout.splitlines()[-1], done.stdout[-500:]
