"""A function that breaks the notebook's process costs its own task, on the real assignments.

One function of a correct submission is replaced by one that ends the process (os._exit,
a segmentation fault, SIGKILL) or hangs, on every call. Every other task must keep full
marks, except a task whose reference calls the broken function (escape_saddle calls
numerical_hessian): it may lose what depends on it, and its messages say why. The process
is restarted at most once per broken function, and the sandbox is left clean for the next
student.
"""

from __future__ import annotations

import ast
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import session
from autograder import sandbox as sandboxes
from autograder.sandbox import Limits

from conftest import grade_bytes, submission_of, task_scores

pytestmark = [pytest.mark.slow, pytest.mark.hostile]

LIMITS = Limits(cell_timeout=5, call_timeout=2, submission_timeout=120)
TASKS = {
    "critical_points": ("loss_gradient", "symbolic_hessian", "numerical_gradient", "numerical_hessian",
                        "classify_critical_point", "escape_direction", "escape_saddle"),
    "momentum_nag": ("gradient_descent", "momentum", "nesterov", "minibatch_sgd", "steps_to_tolerance"),
}
BREAKS = {
    "exit": "import os\ndef {task}(*args, **kwargs):\n    os._exit(0)",
    "segfault": "import ctypes\ndef {task}(*args, **kwargs):\n    return ctypes.string_at(0)",
    "sigkill": "import os, signal\ndef {task}(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGKILL)",
    "hang": "def {task}(*args, **kwargs):\n    while True:\n        pass",
}
SAID = {
    "exit": "the process exited with status 0",
    "segfault": "segmentation fault",
    "sigkill": "killed (SIGKILL)",
    "hang": f"no answer within {LIMITS.call_timeout:g} s",
}


def how(way: str) -> str:
    return "timed out" if way == "hang" else "crashed the process"


def processes_spent(way: str) -> int:
    """The processes a broken function costs: a crash is charged only once it happens again in a
    fresh process (the host may have caused the first), a hang at once."""
    return 1 if way == "hang" else 2


def task_names(course, assignment: str) -> list[str]:
    return [t.name for t in course.assignment(assignment).tasks]


def users(course, assignment: str) -> dict[str, set[str]]:
    """For each task, the other tasks whose reference calls its function: they may lose with it."""
    names = set(task_names(course, assignment))
    calls = {name: {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} & names - {name}
             for name, tree in course.solution_functions(assignment).items() if name in names}
    return {name: {user for user, used in calls.items() if name in used} for name in names}


@pytest.fixture
def starts(monkeypatch) -> list[int]:
    """Every sandboxed process started, by the uid it runs as (None when uids are not changed)."""
    started = []

    class Counted(session.Worker):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self.uid)

    monkeypatch.setattr(session, "Worker", Counted)
    return started


def grade_broken(course, sandbox: str, assignment: str, broken: dict[str, str], student: str = "s1") -> dict:
    cells = {task: BREAKS[way].format(task=task) for task, way in broken.items()}
    data = submission_of(course, assignment, student, cells=cells)
    return grade_bytes(course, assignment, student, data, sandbox, LIMITS)


def assert_only_broken_lose(course, assignment: str, report: dict, broken: dict[str, str]) -> None:
    assert report["status"] == "graded"
    tasks = {t["name"]: t for t in report["tasks"]}
    may_lose = {user for task in broken for user in users(course, assignment)[task]}
    for name, task in tasks.items():
        messages = [c["message"] for c in task["checks"]]
        if name in broken:
            way = broken[name]
            assert task["score"] == 0.0, name
            assert all(SAID[way] in m for m in messages), messages
            # The failure itself (again, for a check that repeats the same call), or that it was not called again.
            itself = "did not finish: " if way == "hang" else "ended your notebook's process: "
            assert itself in messages[0], messages
            again = f"{name} was not called again after it {how(way)}: "
            assert all(itself in m or again in m for m in messages), messages
        elif name not in may_lose:
            assert task["score"] == task["max_score"], (name, messages)
        else:
            for message in (m for c, m in zip(task["checks"], messages) if not c["passed"]):
                assert any(f"failed because {used}, which {name} uses, {how(broken[used])} earlier" in message
                           for used in broken), message


@pytest.mark.parametrize("assignment, task, way",
                         [(a, task, way) for a, tasks in TASKS.items() for task in tasks for way in BREAKS])
def test_one_broken_function_costs_only_its_own_task(course, sandbox, starts, assignment, task, way):
    report = grade_broken(course, sandbox, assignment, {task: way})
    assert_only_broken_lose(course, assignment, report, {task: way})
    # The first process, a fresh one for a crash, and one restart for the functions asked after it.
    assert len(starts) <= 1 + processes_spent(way)


def test_every_task_of_both_assignments_is_broken_in_turn(course):
    assert {a: tuple(task_names(course, a)) for a in TASKS} == TASKS


def test_a_dependent_fails_naming_what_it_uses(course, sandbox):
    assert users(course, "critical_points")["numerical_hessian"] == {"escape_saddle"}
    report = grade_broken(course, sandbox, "critical_points", {"numerical_hessian": "segfault"})
    saddle = next(t for t in report["tasks"] if t["name"] == "escape_saddle")
    assert saddle["score"] == 0.0
    assert all("failed because numerical_hessian, which escape_saddle uses, crashed the process earlier "
               "(called at line " in c["message"] for c in saddle["checks"])


def test_a_dependent_that_does_not_call_the_broken_function_keeps_its_marks(course, sandbox):
    own_hessian = ("import numpy as np\n"
                   "def escape_saddle(f, theta, step=0.1):\n"
                   "    theta = np.array(theta, dtype=float)\n"
                   "    h, n = 1e-4, theta.size\n"
                   "    E = h * np.eye(n)\n"
                   "    H = np.array([[(f(theta + E[i] + E[j]) - f(theta + E[i] - E[j])\n"
                   "                     - f(theta - E[i] + E[j]) + f(theta - E[i] - E[j])) / (4 * h * h)\n"
                   "                    for j in range(n)] for i in range(n)])\n"
                   "    lam, V = np.linalg.eigh((H + H.T) / 2)\n"
                   "    if lam[0] >= -1e-6 * max(1.0, float(np.max(np.abs(lam)))):\n"
                   "        return theta.copy()\n"
                   "    forward, backward = theta + step * V[:, 0], theta - step * V[:, 0]\n"
                   "    return forward if f(forward) <= f(backward) else backward\n")
    cells = {"numerical_hessian": BREAKS["exit"].format(task="numerical_hessian"), "escape_saddle": own_hessian}
    data = submission_of(course, "critical_points", "s1", cells=cells)
    scores = task_scores(grade_bytes(course, "critical_points", "s1", data, sandbox, LIMITS))
    assert scores["numerical_hessian"] == 0.0
    assert scores["escape_saddle"] == 3.0


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_set_of_broken_functions_costs_only_their_tasks(course, sandbox, starts, data):
    assignment = data.draw(st.sampled_from(sorted(TASKS)), label="assignment")
    broken = data.draw(st.dictionaries(st.sampled_from(task_names(course, assignment)), st.sampled_from(sorted(BREAKS)),
                                       min_size=1), label="broken")
    starts.clear()
    report = grade_broken(course, sandbox, assignment, broken)
    assert_only_broken_lose(course, assignment, report, broken)
    assert len(starts) <= 1 + sum(processes_spent(way) for way in broken.values())


def test_a_cell_that_ends_the_process_twice_is_skipped(course, sandbox, starts):
    data = submission_of(course, "momentum_nag", "s1", cells={"nesterov": "import os\nos._exit(0)"})
    report = grade_bytes(course, "momentum_nag", "s1", data, sandbox, LIMITS)
    assert report["cell_errors"] == [{"cell": "nesterov", "error": "ended the notebook's process: the process exited "
                                      "with status 0 (sys.exit or os._exit in your code?); the cell was skipped"}]
    assert task_scores(report) == {"gradient_descent": 3.0, "momentum": 4.0, "nesterov": 0.0, "minibatch_sgd": 5.0,
                                   "steps_to_tolerance": 3.0}
    assert len(starts) == 3  # the process the cell ended, a fresh one it ended again, and one without that cell


def test_a_sandbox_that_cannot_start_is_tried_twice_then_every_call_fails_saying_so(course, monkeypatch):
    attempts = []

    def unstartable(*args, **kwargs):
        attempts.append(1)
        raise sandboxes.WorkerDied("the sandbox could not start a process")

    monkeypatch.setattr(session, "Worker", unstartable)
    data = submission_of(course, "momentum_nag", "s1")
    report = grade_bytes(course, "momentum_nag", "s1", data, "rlimit-only", LIMITS)
    assert report["status"] == "graded" and report["score"] == 0.0
    assert len(attempts) == session.FUTILE_STARTS
    assert all(c["message"].endswith("was not run: the notebook's process could not be started (the sandbox could not "
                                     "start a process), 2 times in a row, so the grader stopped trying")
               for t in report["tasks"] for c in t["checks"])


# --- the worst case, and the next student ---------------------------------------------

def processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, uid) of every process of the machine."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
                table[int(entry.name)] = (ppid, entry.stat().st_uid)
            except (OSError, ValueError):
                pass  # it ended while we looked
    return table


def sandboxed(zygote: sandboxes.Zygote, uids: set[int]) -> set[int]:
    """The processes below the zygote's (bubblewrap's own, the zygote, workers, what they left) and of the uids."""
    table = processes()
    below, frontier = set(), {zygote.proc.pid}
    while frontier:
        frontier = {pid for pid, (ppid, _) in table.items() if ppid in frontier} - below
        below |= frontier
    return below | {pid for pid, (_, uid) in table.items() if uid in uids}


@pytest.mark.parametrize("assignment", sorted(TASKS))
@pytest.mark.parametrize("way", ["segfault", "hang"])
def test_every_function_broken_still_gets_a_report_and_leaves_the_sandbox_healthy(course, sandbox, starts,
                                                                                 assignment, way):
    names = task_names(course, assignment)
    good = grade_bytes(course, assignment, "s1", submission_of(course, assignment, "s1"), sandbox, LIMITS)
    assert good["score"] == good["max_score"]
    zygote = sandboxes.zygote(sandbox, LIMITS)
    healthy = sandboxed(zygote, set())
    starts.clear()
    report = grade_broken(course, sandbox, assignment, dict.fromkeys(names, way))
    assert report["status"] == "graded" and report["score"] == 0.0
    assert_only_broken_lose(course, assignment, report, dict.fromkeys(names, way))
    # Bounded: what each broken function costs at most, none after the last one broke.
    assert len(starts) <= len(names) * processes_spent(way)
    assert sandboxes.zygote(sandbox, LIMITS) is zygote and zygote.alive()
    uids = {uid for uid in starts if uid is not None}
    for _ in range(50):  # killed at once, but reaping the killed takes a moment
        if sandboxed(zygote, uids) == healthy:
            break
        time.sleep(0.1)
    assert sandboxed(zygote, uids) == healthy
    after = grade_bytes(course, assignment, "s2", submission_of(course, assignment, "s2"), sandbox, LIMITS)
    assert after["score"] == after["max_score"]
