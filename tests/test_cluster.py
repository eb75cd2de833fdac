"""Grading on a Dask cluster: the local pool's reports, byte for byte, whatever happens to the workers.

Real clusters: `dask scheduler` and `dask worker` processes from this environment, and
`--cluster local:N`. The reference is the same class graded locally with `--jobs 2`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import dask
import pytest
from click.testing import CliRunner
from distributed import WorkerPlugin

from autograder import grading
from autograder.render import reports
from autograder.batch import grade_class
from autograder.grader_version import grader_key
from autograder.cli import main
from autograder.cluster import ClusterExecutor
from autograder.demo import sample_class
from autograder.grading import Unit
from autograder.records import Report, Submission
from autograder.roster import Roster
from autograder.variants import Variant

from conftest import SECRET

pytestmark = pytest.mark.slow
ASSIGNMENT = "momentum_nag"  # figures in report.html, trajectories of floats in report.json
DASK = Path(sys.executable).parent / "dask"
STUDENTS = ["s001", "s003", "s004", "s005", "s006", "s007", "s008", "s009"]
# The test's own worker plugin travels to the workers by value: they cannot import this file.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@dataclass(frozen=True)
class Sample:
    roster: Roster
    roster_file: Path
    submissions: Path
    local: Path  # graded with --jobs 2


@pytest.fixture(scope="module")
def sample(course, sandbox, tmp_path_factory) -> Sample:
    """Most of the demo class: correct work, untouched stubs, an infinite loop, a broken file, a
    missing one, three known mistakes."""
    folder = tmp_path_factory.mktemp("class")
    demo, files = sample_class(course, ASSIGNMENT, SECRET)
    roster = Roster(demo.columns, tuple(row for row in demo.rows if row["student_id"] in STUDENTS))
    submissions = folder / "submissions"
    submissions.mkdir()
    for sid, data in files.items():
        (submissions / f"{sid}.ipynb").write_bytes(data)
    roster_file = folder / "roster.csv"
    roster_file.write_text("student_id\n" + "".join(f"{sid}\n" for sid in roster.student_ids))
    grade_class(course, ASSIGNMENT, roster, submissions, folder / "local", SECRET, jobs=2, sandbox=sandbox)
    return Sample(roster, roster_file, submissions, folder / "local")


def assert_same_reports(sample: Sample, out: Path, students: list[str] | None = None) -> None:
    for sid in students or sample.roster.student_ids:
        for name in ("report.json", "report.html"):
            assert (out / sid / name).read_bytes() == (sample.local / sid / name).read_bytes(), f"{sid}/{name}"


@pytest.fixture
def dask_processes(tmp_path):
    """A scheduler and two workers on loopback, started the way an operator starts them."""
    scheduler_file = tmp_path / "scheduler.json"
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", scheduler_file], stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        workers = {}
        for name in ("w1", "w2"):
            workers[name] = subprocess.Popen([DASK, "worker", address, "--name", name, "--host", "127.0.0.1",
                                              "--no-dashboard"], stderr=subprocess.DEVNULL)
            started.append(workers[name])
        yield address, workers
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_worker_killed_mid_run_costs_nothing(course, sandbox, sample, dask_processes, tmp_path):
    address, workers = dask_processes
    out = tmp_path / "out"
    streamed, victims = [], []
    with ClusterExecutor(address, course, sandbox) as cluster:
        cluster.client.wait_for_workers(2, timeout=60)

        def grade_and_kill(units, policy):
            for graded in cluster.grade(units, policy):
                streamed.append(graded.report.student_id)
                if len(streamed) == 2:
                    # Deterministic: two reports are home, and the worker killed has units in hand.
                    busy = [worker for worker, keys in cluster.client.processing().items() if keys]
                    info = cluster.client.scheduler_info()["workers"]
                    victims.append(info[busy[0]]["name"])
                    os.kill(workers[victims[0]].pid, signal.SIGKILL)
                yield graded

        run = grade_class(course, ASSIGNMENT, sample.roster, sample.submissions, out, SECRET, jobs=1,
                          sandbox=sandbox, executor=grade_and_kill)
        assert victims, "no worker had units in hand when two reports were back"
        assert len(cluster.client.scheduler_info()["workers"]) == 1
        assert sorted(streamed) == sorted(sample.roster.student_ids)  # each exactly once
        assert (run.graded, run.ungradable, run.missing) == (6, 1, 1)
        assert_same_reports(sample, out)
        assert (out / "grades.csv").read_bytes() == (sample.local / "grades.csv").read_bytes()

        (out / "s007" / "report.json").unlink()  # as if the run had been killed before s007 was written
        again = grade_class(course, ASSIGNMENT, sample.roster, sample.submissions, out, SECRET, jobs=1,
                            sandbox=sandbox, executor=cluster.grade)
        assert again.skipped == 7
        assert_same_reports(sample, out)

        # The course server's way in: one unit, a future of its Graded (report and grader key).
        local = json.loads((sample.local / "s001" / "report.json").read_text())
        unit = Unit(str(course.root), ASSIGNMENT, "s001", Variant.derive(SECRET, ASSIGNMENT, "s001").key,
                    Submission(local["submission"]["file"], (sample.submissions / "s001.ipynb").read_bytes()),
                    sandbox)
        graded = cluster.submit(unit).result(timeout=300)
    assert graded.grader_key == grader_key(course, ASSIGNMENT) and graded.files is None
    assert reports.report_files(graded.report)["report.json"] == (sample.local / "s001" / "report.json").read_text()


def test_grade_with_cluster_option_matches_jobs(sample, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", ASSIGNMENT, str(sample.submissions), "--roster", str(sample.roster_file),
                                       "--out", str(out), "--cluster", "local:2"],
                                env={"AUTOGRADER_SECRET": SECRET.decode()}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "6 graded, 1 ungradable, 1 without a submission in" in result.output
    assert "cluster: local:2" in result.output
    assert_same_reports(sample, out)
    assert (out / "summary.html").read_bytes() == (sample.local / "summary.html").read_bytes()


class KillsItsWorker(WorkerPlugin):
    """Grading one student's unit ends the worker process, on every worker and every time."""

    def __init__(self, student: str):
        self.student = student

    def setup(self, worker) -> None:
        real = grading.grade

        def grade(unit):
            if unit.student_id == self.student:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(unit)

        grading.grade = grade


def test_a_unit_that_kills_every_worker_becomes_an_ungradable_report(course, sandbox, sample, tmp_path):
    students = ["s001", "s003", "s006", "s007"]  # correct, untouched, no submission, and the poisoned one
    roster = Roster(sample.roster.columns, tuple(r for r in sample.roster.rows if r["student_id"] in students))
    streamed = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = ClusterExecutor("local:2", course, sandbox)
    with cluster:
        cluster.client.register_plugin(KillsItsWorker("s007"))

        def record(units, policy):
            for graded in cluster.grade(units, policy):
                streamed.append(graded.report.student_id)
                yield graded

        run = grade_class(course, ASSIGNMENT, roster, sample.submissions, tmp_path, SECRET, jobs=1,
                          sandbox=sandbox, executor=record)
    assert sorted(streamed) == students
    assert (run.graded, run.ungradable, run.missing) == (2, 1, 1)
    poisoned = json.loads((tmp_path / "s007" / "report.json").read_text())
    assert poisoned["status"] == "ungradable"
    assert "ended the worker process it ran on, on 2 workers in a row, so it was not tried again" in poisoned["reason"]
    for sid in ("s001", "s003", "s006"):
        # Graded alike; what the similarity pass says depends on who else is in the class.
        assert own_part(tmp_path / sid / "report.json") == own_part(sample.local / sid / "report.json"), sid


def own_part(path: Path) -> str:
    return reports.report_json(Report.from_json(json.loads(path.read_text())).with_class_warnings(()))


def test_cluster_address_is_checked_before_anything_starts(tmp_path):
    (tmp_path / "roster.csv").write_text("student_id\ns001\n")
    base = ["grade", ASSIGNMENT, str(tmp_path), "--roster", str(tmp_path / "roster.csv"), "--out", str(tmp_path / "out")]
    env = {"AUTOGRADER_SECRET": SECRET.decode()}
    wrong = CliRunner().invoke(main, [*base, "--cluster", "127.0.0.1:8786"], env=env)
    assert wrong.exit_code == 2
    assert "ADDRESS is tcp://HOST:PORT of a running Dask scheduler, or local:N" in wrong.output
    zero = CliRunner().invoke(main, [*base, "--cluster", "local:0"], env=env)
    assert zero.exit_code == 2 and "N must be a whole number of workers, 1 or more" in zero.output
    both = CliRunner().invoke(main, [*base, "--cluster", "local:2", "--jobs", "2"], env=env)
    assert both.exit_code == 2 and "--jobs and --cluster exclude each other" in both.output


def test_the_course_server_grades_its_queue_on_the_cluster(toy, sandbox, tmp_path):
    """`serve --cluster`: the queue stays in the server's database, the cluster grades, and the
    student reads the same report as from the local pool."""
    from starlette.testclient import TestClient

    from autograder.server.app import create_app
    from autograder.server.auth import issue

    from conftest import grade_bytes, submission_of
    from serverkit import bearer, settings, wait_done

    app = create_app(settings(tmp_path / "data", sandbox), ClusterExecutor("local:1", toy, sandbox))
    token = next(row["token"] for row in issue(app.state.service.store, {"a1": "student"}, "http://testserver")
                 if row["id"] == "a1")
    data = submission_of(toy, "toy", "a1")
    with TestClient(app) as client:
        answer = client.post("/api/assignments/toy/submissions", headers=bearer(token),
                             files={"notebook": ("toy.ipynb", data)})
        assert answer.status_code == 202
        done = wait_done(client, answer.json()["id"], bearer(token), timeout=180)
    assert (done["status"], done["score"]) == ("graded", 4.0)
    expected = grade_bytes(toy, "toy", "a1", data, sandbox)
    done["report"].pop("submitted_at")
    for report in (expected, done["report"]):
        report["submission"].pop("file")
    assert done["report"] == expected


def test_serve_refuses_jobs_beside_cluster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\na1\n")
    result = CliRunner().invoke(main, ["serve", "--roster", str(roster), "--data", str(tmp_path / "data"),
                                       "--cluster", "local:1", "--jobs", "2"])
    assert result.exit_code == 2 and "--jobs and --cluster exclude each other" in result.output
