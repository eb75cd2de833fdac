"""The engine on a toy assignment: generation, the execution plan, grading verdicts, determinism."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading import execution_plan
from autograder.course import Course
from autograder.notebooks import (
    Unreadable,
    build_notebook,
    locked_cells,
    parse_cells,
    read_submission,
    template_cells,
)
from autograder.variants import Variant

from conftest import ASSIGNMENTS, SECRET, grade_bytes, replaced, submission_of, task_scores


def test_variants_are_keyed_and_streams_independent():
    a = Variant.derive(SECRET, "toy", "s1")
    assert a == Variant.derive(SECRET, "toy", "s1")
    assert a.key != Variant.derive(SECRET, "toy", "s2").key
    assert a.key != Variant.derive(b"other", "toy", "s1").key
    assert a.rng("x").random() == a.rng("x").random()
    assert a.rng("x").random() != a.rng("y").random()
    assert len(a.fingerprint) == 16


def test_template_cells_fill_solutions_and_stubs(toy):
    variant = Variant.derive(SECRET, "toy", "s1")
    stub = {c.grade_id: c for c in template_cells(toy, toy.assignment("toy"), variant, solutions=False)}
    full = {c.grade_id: c for c in template_cells(toy, toy.assignment("toy"), variant, solutions=True)}
    assert "raise NotImplementedError()" in stub["scaled"].source
    assert '"""Return SCALE times x as a float array."""' in stub["scaled"].source
    assert "return SCALE * np.asarray(x, dtype=float)" in full["scaled"].source
    assert stub["constants"].role == "given"


def test_marker_lines_must_start_the_template():
    with pytest.raises(ValueError, match="before the first cell marker"):
        parse_cells("stray text\n%%% markdown\nhi")
    with pytest.raises(ValueError, match="used twice"):
        parse_cells("%%% given a\nx=1\n%%% given a\ny=2")


def test_notebook_metadata_and_bytes_are_deterministic(toy):
    variant = Variant.derive(SECRET, "toy", "s1")
    one = nbformat.writes(build_notebook(toy, toy.assignment("toy"), variant))
    two = nbformat.writes(build_notebook(toy, toy.assignment("toy"), variant))
    assert one == two
    nb = nbformat.reads(one, as_version=4)
    assert nb.metadata["autograder"] == {"assignment": "toy", "student_id": "s1", "variant": variant.fingerprint,
                                         "generator": nb.metadata["autograder"]["generator"], "solutions": False}
    roles = [c.metadata["autograder"]["role"] for c in nb.cells]
    assert roles == ["markdown", "given", "solution", "selfcheck", "solution", "show"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_generated_notebooks_are_valid_nbformat(course, name):
    for solutions in (False, True):
        nb = build_notebook(course, course.assignment(name), Variant.derive(SECRET, name, "s1"), solutions=solutions)
        nbformat.validate(nbformat.reads(nbformat.writes(nb), as_version=4))


def test_plan_restores_locked_cells_and_skips_student_only_cells(toy):
    variant = Variant.derive(SECRET, "toy", "s1")
    master = template_cells(toy, toy.assignment("toy"), variant, solutions=False)
    nb = build_notebook(toy, toy.assignment("toy"), variant, solutions=True)
    nb.cells[1].source = "import numpy as np\nSCALE = 100.0"
    cells, warnings = execution_plan(nb, master, "s1", variant.fingerprint)
    labels = [c["label"] for c in cells]
    assert labels == ["constants", "scaled", "value_at_origin", "constants (restored)"]
    assert "SCALE = 100.0" not in cells[0]["source"]
    assert warnings == ["The locked cell 'constants' was edited; it was graded with its original content."]


def grading_view(cells):
    return [(c.role, c.grade_id, c.source if c.role in ("given", "solution") else "") for c in cells]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_grading_renders_the_code_cells_exactly_as_the_notebook_has_them(course, name):
    assignment = course.assignment(name)
    for student in ("s1", "s2", "zoë"):
        variant = Variant.derive(SECRET, name, student)
        context = course.context(assignment, variant)
        whole = template_cells(course, assignment, variant, solutions=False, context=context)
        assert grading_view(locked_cells(course, assignment, variant, context.params)) == grading_view(whole)


def test_cells_that_depend_on_each_other_are_rendered_whole(tmp_path):
    """A value set in one cell, a given cell that needs the notebook's expectations, a cell that
    includes more cells: the template is rendered whole, and grading runs what the notebook holds."""
    course_dir = tmp_path / "course"
    shutil.copytree(Path(__file__).parent / "fixtures" / "toy_course", course_dir)
    template = course_dir / "assignments" / "toy" / "notebook.j2"
    original = template.read_text()
    (course_dir / "templates").mkdir(exist_ok=True)
    (course_dir / "templates" / "more.j2").write_text("%%% given more\nMORE = 1\n")
    edits = [("%%% markdown\n{% set SCALE = 7 %}\n", "SCALE = {{ py(SCALE) }}", "SCALE = 7"),
             ("%%% markdown\n", "SCALE = {{ py(SCALE) }} * {{ py(expected_at_one) }}", " * ["),
             ('%%% markdown\n{% include "more.j2" %}\n', "SCALE = {{ py(SCALE) }}", "SCALE = ")]
    for markdown, constants, shows in edits:
        template.write_text(replaced(replaced(original, "%%% markdown\n", markdown, 1), "SCALE = {{ py(SCALE) }}", constants))
        toy = Course(course_dir)
        assignment, variant = toy.assignment("toy"), Variant.derive(SECRET, "toy", "s1")
        context = toy.context(assignment, variant)
        whole = template_cells(toy, assignment, variant, solutions=False, context=context)
        assert grading_view(locked_cells(toy, assignment, variant, context.params)) == grading_view(whole)
        assert shows in next(c.source for c in whole if c.grade_id == "constants")


@pytest.mark.slow
@pytest.mark.smoke  # the end-to-end case of `make quick`
def test_correct_submission_gets_full_marks(toy, sandbox):
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1"), sandbox)
    assert report["status"] == "graded", report
    assert report["score"] == report["max_score"] == 4.0
    assert report["warnings"] == [] and report["cell_errors"] == []


@pytest.mark.slow
def test_stub_scores_zero_and_says_not_implemented(toy, sandbox):
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", solutions=False), sandbox)
    assert report["score"] == 0
    message = report["tasks"][0]["checks"][0]["message"]
    assert message.startswith("scaled(x = [") and "raised NotImplementedError" in message


@pytest.mark.slow
def test_named_mistake_and_message_fields(toy, sandbox):
    data = submission_of(toy, "toy", "s1", cells={"scaled": "def scaled(x):\n    return np.asarray(x, dtype=float)"})
    report = grade_bytes(toy, "toy", "s1", data, sandbox)
    assert task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    check = report["tasks"][0]["checks"][0]
    assert check["mistake"] == "the unscaled input"
    assert {"input", "got", "expected", "error", "tolerance"} <= set(check["details"])


@pytest.mark.slow
def test_notebook_for_another_student_is_graded_against_own_variant_and_flagged(toy, sandbox):
    data = submission_of(toy, "toy", "s1", owner="s2")
    report = grade_bytes(toy, "toy", "s1", data, sandbox)
    assert report["score"] == 4.0  # the locked constants are s1's again, and the functions read them
    assert any("generated for student s2" in w for w in report["warnings"])


@pytest.mark.slow
def test_same_submission_gives_byte_identical_report(toy, sandbox):
    data = submission_of(toy, "toy", "s1", cells={"scaled": "def scaled(x):\n    return 2 * np.asarray(x)"})
    one = grade_bytes(toy, "toy", "s1", data, sandbox)
    two = grade_bytes(toy, "toy", "s1", data, sandbox)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


@pytest.mark.slow
def test_inputs_modified_in_place_lose_the_check(toy, sandbox):
    data = submission_of(toy, "toy", "s1", cells={"scaled": "def scaled(x):\n    x *= SCALE\n    return x"})
    report = grade_bytes(toy, "toy", "s1", data, sandbox)
    check = report["tasks"][0]["checks"][0]
    assert not check["passed"] and check["mistake"] == "input modified in place"
    assert check["message"].startswith("scaled(x = [") and "changed its first argument in place" in check["message"]


@pytest.mark.parametrize("data, reason", [
    (None, "No submission was found"),
    (b"", "the submitted file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\xff", "not text"),
    (b"{not json", "not valid JSON"),
    (b'{"cells": []}', "not a Jupyter notebook"),
    (b'{"nbformat": 5, "cells": []}', "nbformat version 5"),
])
def test_unreadable_submissions_get_a_reason(toy, sandbox, data, reason):
    report = grade_bytes(toy, "toy", "s1", data, sandbox)
    assert report["status"] == "ungradable" and report["score"] == 0
    assert reason in report["reason"]


def test_plain_notebooks_are_read_as_nbformat_reads_them(toy):
    data = submission_of(toy, "toy", "s1")
    nb, major = read_submission(data)
    theirs = nbformat.reads(data.decode("utf-8"), as_version=4)
    assert major == 4 and json.dumps(nb["cells"], sort_keys=True) == json.dumps(theirs.cells, sort_keys=True)
    assert nb["metadata"]["autograder"] == theirs.metadata.autograder
    no_metadata = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "1"}]}'
    with pytest.raises(Unreadable, match="nbformat cannot read the notebook: The notebook is invalid and is missing"):
        read_submission(no_metadata)


@pytest.mark.slow
def test_grading_reads_a_notebook_without_importing_nbformat(toy, tmp_path):
    """nbformat brings jsonschema and its format checkers: a second of start-up for every `grade`."""
    path = tmp_path / "s1.ipynb"
    path.write_bytes(submission_of(toy, "toy", "s1"))
    code = ("import sys; from autograder import cli; from autograder.notebooks import read_submission; "
            f"read_submission(open({str(path)!r}, 'rb').read()); print(sorted({{'nbformat', 'sympy'}} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_correct_cell_that_prints_warnings_keeps_full_marks(toy, sandbox):
    noisy = ("import sys, warnings\nnp.log(np.zeros(1))\nwarnings.warn('careful')\nprint('note', file=sys.stderr)\n"
             "def scaled(x):\n    np.float64(1.0) / np.float64(0.0)\n    return SCALE * np.asarray(x, dtype=float)")
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", cells={"scaled": noisy}), sandbox)
    assert task_scores(report) == {"scaled": 3.0, "value_at_origin": 1.0}
    assert report["cell_errors"] == []


@pytest.mark.slow
def test_magics_and_shell_lines_do_not_run(toy, sandbox):
    cell = "%matplotlib inline\n!pip install torch\n" + "def scaled(x):\n    %time 1\n    return SCALE * np.asarray(x, dtype=float)"
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", cells={"scaled": cell}), sandbox)
    assert task_scores(report)["scaled"] == 3.0 and report["cell_errors"] == []


def test_without_root_the_process_limit_is_what_the_user_runs_plus_the_sandbox_share(monkeypatch):
    from autograder.sandbox import Limits, worker as sandbox_worker

    monkeypatch.setattr(sandbox_worker.os, "getuid", lambda: 4242)
    monkeypatch.setattr(sandbox_worker, "_tasks_of", lambda uid: {4242: 310}[uid])
    worker = sandbox_worker.Worker.__new__(sandbox_worker.Worker)
    worker.limits, worker.uid = Limits(processes=64), None
    assert worker._limits_message()["rlimits"]["RLIMIT_NPROC"] == 374
    monkeypatch.undo()
    assert sandbox_worker._tasks_of(os.getuid()) >= 1  # this very test is one of them


def test_two_courses_with_an_assignment_of_the_same_name_do_not_share_it(toy, tmp_path):
    import shutil

    from autograder.course import Course

    other = tmp_path / "other_course"
    shutil.copytree(toy.root, other, ignore=shutil.ignore_patterns("__pycache__", "course.key"))
    init = other / "assignments" / "toy" / "__init__.py"
    init.write_text(replaced(init.read_text(), 'title="Toy assignment"', 'title="Another toy"'))
    assert Course(other).assignment("toy").title == "Another toy"
    assert toy.assignment("toy").title == "Toy assignment"
    assert Course(other).assignment_package("toy") != toy.assignment_package("toy")


# --- what an assignment asks of the sandbox ---------------------------------------------

@pytest.mark.slow
def test_the_sandbox_observes_the_facts_an_assignment_declares(sandbox):
    from autograder.checks import Call
    from autograder.session import SubmissionRun
    from autograder.sandbox import Limits

    observers = {"same_object": "len({id(v) for v in value}) == 1", "length": "len(value)", "broken": "1 / 0"}
    cells = [{"label": "observers", "observers": observers},
             {"label": "student", "source": "import numpy as np\nrow = np.zeros(2)\n"
                                            "def rows(n):\n    return [row] * int(n)"}]
    run = SubmissionRun(sandbox, Limits(), cells)
    try:
        [outcome] = run.calls([Call("rows", (3.0,), "array")])
    finally:
        run.close()
    assert outcome.status == "ok" and outcome.value.shape == (3, 2)
    assert outcome.meta["observed"] == {"same_object": True, "length": 3}  # one that raises is left out


@pytest.mark.slow
def test_an_assignments_warm_up_runs_once_before_the_workers_fork(sandbox):
    from autograder.checks import Call
    from autograder.session import SubmissionRun
    from autograder.sandbox import Limits, warm

    limits = Limits()
    warm(sandbox, limits, "import sys\nsys.warmed_by_the_assignment = getattr(sys, 'warmed_by_the_assignment', 0) + 1\n")
    warm(sandbox, limits, "import sys\nsys.warmed_by_the_assignment = getattr(sys, 'warmed_by_the_assignment', 0) + 1\n")
    cells = [{"label": "student", "source": "import sys\ndef warmed():\n    return sys.warmed_by_the_assignment"}]
    run = SubmissionRun(sandbox, limits, cells)
    try:
        assert run.calls([Call("warmed", (), "data")])[0].value == 1
    finally:
        run.close()




@pytest.mark.slow
def test_a_worker_that_stops_reading_costs_a_timeout_not_a_stuck_grader(sandbox):
    """A submission's calls go in one message, larger than a pipe holds: writing it to a worker
    that no longer reads must end at the deadline."""
    import time

    from autograder import wire
    from autograder.sandbox import Limits, Worker, WorkerTimeout

    worker = Worker(sandbox, Limits())
    try:
        worker.send({"op": "cells", "cells": [{"label": "student", "source": "while True:\n    pass"}]})
        started = time.monotonic()
        with pytest.raises(WorkerTimeout):
            worker.send(wire.dumps_calls([wire.body({"function": "f", "args": [], "expect": "x" * 100_000})]), 1.0)
        assert time.monotonic() - started < 5
    finally:
        worker.close()


@pytest.mark.slow
def test_a_worker_collects_its_own_garbage_and_leaves_the_zygotes_objects_frozen(sandbox):
    """The zygote imports with collection off and freezes before each fork; a student's cyclic
    garbage must still be collected in the worker, or a loop that makes it would run out of memory."""
    from autograder.checks import Call
    from autograder.session import SubmissionRun
    from autograder.sandbox import Limits

    source = ("import gc, weakref\n"
              "class Node:\n    pass\n"
              "def collected():\n"
              "    a, b = Node(), Node()\n    a.other, b.other = b, a\n    alive = weakref.ref(a)\n"
              "    del a, b\n    gc.collect()\n"
              "    return [gc.isenabled(), alive() is None, gc.get_freeze_count() > 10_000]")
    run = SubmissionRun(sandbox, Limits(), [{"label": "student", "source": source}])
    try:
        assert run.calls([Call("collected", (), "data")])[0].value == [True, True, True]
    finally:
        run.close()


@pytest.mark.slow
def test_a_warm_up_sent_with_the_zygotes_start_runs_once_and_one_that_hangs_costs_nothing_else(sandbox):
    """Grading starts its zygote (warm-up and all) before building its first checks, without waiting."""
    from autograder import sandbox as sandboxes
    from autograder.checks import Call
    from autograder.sandbox import zygotes as zygote_module
    from autograder.session import SubmissionRun
    from autograder.sandbox import Limits

    early = "import sys\nsys.warmed_early = getattr(sys, 'warmed_early', 0) + 1\n"
    limits = Limits(tmp_bytes=Limits().tmp_bytes + 4096)  # a zygote of this test's own
    started = sandboxes.prestart(sandbox, limits, early)
    sandboxes.warm(sandbox, limits, early)
    assert sandboxes.zygote(sandbox, limits) is started and early in started.warmed
    hang = "while True:\n    pass\n"
    stuck = Limits(tmp_bytes=Limits().tmp_bytes + 8192, start_timeout=2.0)
    hung = sandboxes.prestart(sandbox, stuck, hang)
    sandboxes.warm(sandbox, stuck, hang)
    assert not hung.alive() and hang in zygote_module._cold
    cells = [{"label": "student", "source": "import sys\ndef warmed():\n    return getattr(sys, 'warmed_early', 0)"}]
    for chosen, times in ((limits, 1), (stuck, 0)):
        run = SubmissionRun(sandbox, chosen, cells)
        try:
            assert run.calls([Call("warmed", (), "data")])[0].value == times
        finally:
            run.close()


def _pool_zygote(sandbox: str, limits) -> tuple[int, bool, bool]:
    from autograder.sandbox import zygote

    mine = zygote(sandbox, limits)
    return mine.proc.pid, mine.adopted, "import sys" in mine.warmed


@pytest.mark.slow
def test_spare_zygotes_started_ahead_serve_the_pool_and_none_outlives_it(sandbox):
    """grade_class starts one zygote per pool process before it imports the assignment; each pool
    process claims one, and closing the spares ends the claimed ones after the pool and the rest at once."""
    from concurrent.futures import ProcessPoolExecutor

    from autograder.sandbox import Limits, Spares, adopt, zygote

    limits = Limits(tmp_bytes=Limits().tmp_bytes + 12288)  # zygotes of this test's own
    spares = Spares(sandbox, limits, "import sys", 3)
    started = {z.proc.pid for z in spares.zygotes}
    with ProcessPoolExecutor(max_workers=2, initializer=adopt, initargs=(spares.claims,)) as pool:
        answers = list(pool.map(_pool_zygote, [sandbox] * 6, [limits] * 6))
        spares.release()
    used = {pid for pid, _, _ in answers}
    assert len(used) == 2 and used < started and all(adopted and warmed for _, adopted, warmed in answers)
    spares.close()
    assert all(z.proc.poll() is not None for z in spares.zygotes)  # the unclaimed third one too

    here = Spares(sandbox, limits, "", 2)
    here.claim_here()
    assert zygote(sandbox, limits) is here.zygotes[0] and not here.zygotes[0].adopted
    here.close()
    assert here.zygotes[1].proc.poll() is not None and here.zygotes[0].alive()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_assignments_warm_ups_run_without_error(course, name):
    exec(compile(course.warm_up(name), f"<warm-up of {name}>", "exec"), {})


def test_when_grading_itself_fails_the_report_says_so_and_nothing_raises(tmp_path):
    from autograder.grading import Unit, grade
    from autograder.records import Submission

    # The course folder is gone: the very thing the fallback report would have used.
    unit = Unit(str(tmp_path / "no_course"), "toy", "s1", Variant.derive(SECRET, "toy", "s1").key,
                Submission("s1.ipynb", b"{}"), "bwrap")
    report = grade(unit)
    assert (report.status, report.submitted, report.score, report.tasks) == ("ungradable", True, 0.0, ())
    assert report.reason.startswith("The grader failed on this submission (UserError: ")
    assert report.reason.endswith("this is the grader's fault, not the student's.")
