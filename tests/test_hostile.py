"""Hostile submissions, each with its exact verdict: what loses points, what keeps them.

Run on the toy assignment (two tasks: `scaled`, 3 points; `value_at_origin`, 1 point), so
every case shows that one hostile act costs its own task and nothing else. The cases that
could harm the machine outside a sandbox run only under bubblewrap.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time

import nbformat
import pytest

from autograder.sandbox import Limits

from conftest import ROOT, grade_bytes, submission_of, task_scores

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

FAST = Limits(cell_timeout=3, call_timeout=2, submission_timeout=60)
GOOD_SCALED = "def scaled(x):\n    return SCALE * np.asarray(x, dtype=float)"


def grade_cells(toy, sandbox, **cells):
    return grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", cells=cells), sandbox, FAST)


@pytest.fixture
def bwrap_only(sandbox):
    if sandbox != "bwrap":
        pytest.skip("needs bubblewrap isolation")


def first_message(report, task="scaled"):
    return next(t for t in report["tasks"] if t["name"] == task)["checks"][0]["message"]


# --- time, memory, processes ---------------------------------------------------------

def test_top_level_infinite_loop_costs_only_its_cell(toy, sandbox):
    report = grade_cells(toy, sandbox, value_at_origin="while True:\n    pass")
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 0.0}
    assert "did not finish within 3 s" in report["cell_errors"][0]["error"]
    assert "is not defined in your notebook" in first_message(report, "value_at_origin")


def test_infinite_loop_in_a_function_times_out_once(toy, sandbox):
    report = grade_cells(toy, sandbox, scaled="def scaled(x):\n    while True:\n        pass")
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    messages = [c["message"] for c in report["tasks"][0]["checks"]]
    assert len(messages) == 3 and "did not finish: no answer within 2 s" in messages[0]
    assert all("was not called again" in m for m in messages[1:])


def test_memory_bomb_is_a_failed_check(toy, sandbox):
    report = grade_cells(toy, sandbox, scaled="def scaled(x):\n    hog = []\n    while True:\n"
                                                  "        hog.append(bytearray(50 * 2**20))")
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    # Zeroing 2 GiB takes seconds: the call limit or the memory limit stops it, whichever comes first.
    assert any(word in first_message(report) for word in ("MemoryError", "killed", "did not finish"))


def test_fork_bomb_hits_the_process_limit(toy, sandbox, bwrap_only):
    bomb = ("import os, time\ndef scaled(x):\n    for _ in range(500):\n        if os.fork() == 0:\n"
            "            __import__('ctypes').CDLL(None).prctl(15, b'agbomb', 0, 0, 0)\n"
            "            time.sleep(30)\n            os._exit(0)\n    return SCALE * np.asarray(x, dtype=float)")
    report = grade_cells(toy, sandbox, scaled=bomb)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    assert "Resource temporarily unavailable" in first_message(report) or "BlockingIOError" in first_message(report)
    # Every child it managed to fork died with its sandbox.
    for _ in range(50):  # SIGKILL is delivered at once, but reaping takes a moment
        leftover = subprocess.run(["pgrep", "-x", "agbomb"], capture_output=True, text=True).stdout.split()
        if not leftover:
            break
        time.sleep(0.1)
    assert leftover == []


@pytest.mark.parametrize("code, said", [
    ("import os\ndef scaled(x):\n    os._exit(3)", "exited with status 3"),
    ("import ctypes\ndef scaled(x):\n    return ctypes.string_at(0)", "segmentation fault"),
    ("import os, signal\ndef scaled(x):\n    os.kill(os.getpid(), signal.SIGKILL)", "killed (SIGKILL)"),
])
def test_process_death_is_a_verdict_and_grading_goes_on(toy, sandbox, code, said):
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    assert said in first_message(report)


def test_sys_exit_at_top_level_is_a_cell_error(toy, sandbox):
    report = grade_cells(toy, sandbox, scaled="import sys\nsys.exit(0)\n" + GOOD_SCALED)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    assert report["cell_errors"][0]["error"].startswith("SystemExit")


def test_deep_recursion(toy, sandbox):
    code = "import sys\nsys.setrecursionlimit(10**8)\ndef scaled(x, n=0):\n    return scaled(x, n + 1)"
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


def test_killing_the_parent_ends_only_this_sandbox(toy, sandbox, bwrap_only):
    code = "import os, signal\ndef scaled(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(-1, signal.SIGKILL)"
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


# --- files, output, network ------------------------------------------------------------

def test_disk_filler_is_bounded(toy, sandbox, bwrap_only):
    filler = ("i = 0\nwhile True:\n    with open(f'fill{i}', 'wb') as out:\n"
              "        out.write(b'x' * 2**20 * 8)\n    i += 1\n" + GOOD_SCALED)
    report = grade_cells(toy, sandbox, scaled=filler)
    assert "No space left on device" in report["cell_errors"][0]["error"]
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


def test_nothing_carries_over_to_the_next_submission(toy, sandbox, bwrap_only):
    planter = ("import os, time\nopen('planted.txt', 'w').write('secret')\nopen('/dev/shm/planted', 'w').write('x')\n"
               "if os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n    os._exit(0)\n" + GOOD_SCALED)
    grade_cells(toy, sandbox, scaled=planter)
    spy = ("import os\ndef scaled(x):\n    tmp, shm = os.listdir('/tmp'), os.listdir('/dev/shm')\n"
           "    pids = sorted(p for p in os.listdir('/proc') if p.isdigit())\n"
           "    raise RuntimeError(f'tmp={tmp} shm={shm} pids={pids}')")
    report = grade_cells(toy, sandbox, scaled=spy)
    # Its own folder only, and no process but itself and the first process of its PID namespace.
    assert "tmp=['work'] shm=[] pids=['1', '2']" in first_message(report)


def test_huge_output_changes_nothing(toy, sandbox):
    report = grade_cells(toy, sandbox, scaled="print('x' * 10**8)\n" + GOOD_SCALED)
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 1.0}


def test_printed_or_written_fake_results_change_nothing(toy, sandbox):
    fake = json.dumps({"score": 100, "status": "graded"})
    code = (f"print({fake!r})\nopen('report.json', 'w').write({fake!r})\n"
            "def scaled(x):\n    return np.zeros(3)")
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


def test_course_files_are_invisible(toy, sandbox, bwrap_only):
    secrets = [ROOT / "solutions", ROOT / "tests", ROOT / "assignments", toy.root / "solutions" / "toy.py",
               ROOT / "course.key", ROOT / "autograder"]
    code = ("import os\ndef scaled(x):\n    seen = [p for p in " + repr([str(p) for p in secrets]) +
            " if os.path.exists(p)]\n    rest = os.listdir(" + repr(str(ROOT)) + ") if os.path.exists(" +
            repr(str(ROOT)) + ") else []\n"
            "    raise RuntimeError(f'visible: {seen}, course folder holds {rest}')")
    report = grade_cells(toy, sandbox, scaled=code)
    # Only the Python environment, when it lives inside the course folder, is mounted there (a folder
    # under /tmp is not there at all: the worker's /tmp is its own).
    assert "visible: [], course folder holds ['.venv']" in first_message(report) or \
        "visible: [], course folder holds []" in first_message(report)


def test_no_network_even_to_loopback(toy, sandbox, bwrap_only):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: _accept(server, accepted))
    thread.start()
    code = (f"import socket\ndef scaled(x):\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
            "    return SCALE * np.asarray(x, dtype=float)")
    report = grade_cells(toy, sandbox, scaled=code)
    thread.join()
    server.close()
    assert accepted == []
    assert task_scores(report)["scaled"] == 0.0
    assert "Network is unreachable" in first_message(report) or "ConnectionRefused" in first_message(report)


def _accept(server, accepted):
    try:
        accepted.append(server.accept())
    except OSError:
        pass


# --- cheating the checks -----------------------------------------------------------------

def test_patching_numpy_and_builtins_earns_nothing(toy, sandbox):
    code = ("import builtins\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\nbuiltins.abs = lambda x: 0\n"
            "def scaled(x):\n    return np.zeros(3)")
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


def test_forged_messages_on_the_grader_channel_earn_nothing(toy, sandbox):
    code = ("import os\ndef scaled(x):\n    for fd in range(3, 10):\n        try:\n"
            "            os.write(fd, b'\\x00\\x00\\x00\\x02{}')\n        except OSError:\n            pass\n"
            "    return np.zeros(3)")
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


@pytest.mark.parametrize("body", [
    "class Evil:\n    def __array__(self, *a, **k):\n        raise RuntimeError('no')\n    def __repr__(self):\n        raise RuntimeError('no')",
    "class Evil:\n    def __eq__(self, other):\n        return True\n    def __float__(self):\n        while True:\n            pass",
    "class Evil(list):\n    def __iter__(self):\n        import os\n        os._exit(1)",
])
def test_objects_with_hostile_methods(toy, sandbox, body):
    code = body + "\ndef scaled(x):\n    return Evil()"
    report = grade_cells(toy, sandbox, scaled=code)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}


def test_editing_locked_cells_changes_nothing_but_is_noted(toy, sandbox):
    nb = nbformat.reads(submission_of(toy, "toy", "s1").decode(), as_version=4)
    nb.cells[1].source = "import numpy as np\nSCALE = 0.0"
    report = grade_bytes(toy, "toy", "s1", nbformat.writes(nb).encode(), sandbox, FAST)
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 1.0}
    assert "locked cell 'constants' was edited" in report["warnings"][0]


# --- broken files ------------------------------------------------------------------------

def test_deleted_solution_cell(toy, sandbox):
    nb = nbformat.reads(submission_of(toy, "toy", "s1").decode(), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "value_at_origin"]
    report = grade_bytes(toy, "toy", "s1", nbformat.writes(nb).encode(), sandbox, FAST)
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 0.0}
    assert "The solution cell 'value_at_origin' is missing from the notebook." in report["warnings"]


def test_syntax_error_in_one_cell(toy, sandbox):
    report = grade_cells(toy, sandbox, value_at_origin="def value_at_origin(f):\n    return f(np.zeros(2)")
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 0.0}
    assert report["cell_errors"][0]["error"].startswith("SyntaxError")


def test_nbformat_3_is_converted_and_graded(toy, sandbox):
    nb = nbformat.reads(submission_of(toy, "toy", "s1").decode(), as_version=4)
    v3 = nbformat.writes(nbformat.convert(nb, 3)).encode()
    report = grade_bytes(toy, "toy", "s1", v3, sandbox, FAST)
    assert report["status"] == "graded"
    assert report["warnings"][0].startswith("The notebook was in the old nbformat 3")


# --- symbolic answers ----------------------------------------------------------------------

@pytest.mark.parametrize("body, said", [
    ("w1, w2 = sp.symbols('w1 w2')\n    evil = sp.Symbol(\"__import__('os').system('touch {marker}')\")\n"
     "    return sp.Matrix([[evil, 0], [0, w1]])", "is not a plain name"),
    ("return \"Matrix([[__import__('os').system('touch {marker}'), 0], [0, 0]])\"",
     "returned a str object (\"Matrix([[__import__('os').system('touch {marker}'), 0], [0, 0]])\"), not a sympy Matrix"),
    ("w1 = sp.Symbol('w1')\n    return sp.Matrix([[w1 ** (10 ** 9), 0], [0, 0]])",
     "the exponent 1000000000 is far larger than a Hessian of this loss needs"),
    ("w1 = sp.Symbol('w1')\n    return sp.Matrix([[sp.Integer(10) ** (10 ** 5), 0], [0, w1]])",
     "an integer of more than 57 digits is too large for a symbolic answer"),
    ("class F(sp.Function):\n        pass\n    return sp.Matrix([[F(sp.Symbol('w1')), 0], [0, 0]])",
     "F is not allowed in a symbolic answer"),
])
def test_symbolic_answers_are_rebuilt_never_evaluated(course, sandbox, body, said, tmp_path):
    # Were the answer evaluated in the grader, the marker file of this very run would appear.
    marker = tmp_path / "pwned"
    code = f"import sympy as sp\ndef symbolic_hessian():\n    {body.format(marker=marker)}"
    data = submission_of(course, "critical_points", "s1", cells={"symbolic_hessian": code})
    report = grade_bytes(course, "critical_points", "s1", data, sandbox, FAST)
    scores = task_scores(report)
    assert scores["symbolic_hessian"] == 0.0
    assert all(score == t["max_score"] for t in report["tasks"] if t["name"] != "symbolic_hessian"
               for score in [scores[t["name"]]])
    assert said.format(marker=marker) in first_message(report, "symbolic_hessian")
    assert not marker.exists()


# --- a whole class -------------------------------------------------------------------------

HOSTILE_CLASS = {
    "loop": {"scaled": "def scaled(x):\n    while True:\n        pass"},
    "exit": {"scaled": "import os\ndef scaled(x):\n    os._exit(0)"},
    "segfault": {"value_at_origin": "import ctypes\ndef value_at_origin(f):\n    return ctypes.string_at(0)"},
    "patcher": {"scaled": "np.allclose = lambda *a, **k: True\ndef scaled(x):\n    return np.zeros(3)"},
    "printer": {"scaled": "print('{\"score\": 4.0}' * 100000)\ndef scaled(x):\n    return x"},
    "forker": {"scaled": "import os, time\ndef scaled(x):\n    for _ in range(100):\n        if os.fork() == 0:\n"
                         "            time.sleep(20)\n            os._exit(0)\n    return np.zeros(3)"},
}


def test_honest_neighbours_keep_their_grades_in_a_hostile_class(toy, tmp_path, sandbox):
    from autograder.batch import grade_class
    from autograder.roster import Roster

    honest = [f"h{n}" for n in range(4)]
    folder = tmp_path / "subs"
    folder.mkdir()
    for sid in honest:
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid))
    for sid, cells in HOSTILE_CLASS.items():
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid, cells=cells))
    ids = [i for pair in zip(honest, list(HOSTILE_CLASS)) for i in pair] + list(HOSTILE_CLASS)[len(honest):]
    roster = Roster(("student_id",), tuple({"student_id": sid} for sid in ids))
    from conftest import SECRET

    run = grade_class(toy, "toy", roster, folder, tmp_path / "out", SECRET, jobs=2, sandbox=sandbox,
                      limits=FAST, say=lambda line: None)
    assert run.graded == len(ids)
    reports = {sid: json.loads((tmp_path / "out" / sid / "report.json").read_text()) for sid in ids}
    assert all(reports[sid]["score"] == 4.0 for sid in honest)
    assert all(reports[sid]["score"] < 4.0 for sid in HOSTILE_CLASS)


def test_a_notebook_with_100_mb_of_output_is_graded(toy, sandbox):
    nb = nbformat.reads(submission_of(toy, "toy", "s1").decode(), as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (100 * 2**20))]
    report = grade_bytes(toy, "toy", "s1", nbformat.writes(nb).encode(), sandbox, FAST)
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 1.0}
