"""Whole classes: generating every student's notebook, grading every submission.

Grading fans out one `grading.Unit` per student over a standard process pool (or an
executor that grades elsewhere, such as `cluster.ClusterExecutor.grade`), each running
`backend.run_unit`; each finished grade goes into the gradebook, as the engine made it, in
its own transaction before the next one is awaited, so an interruption loses only work in
flight. What is shown (report files, grades.csv, summary.html) is each grade as it counts
under the course's rules (`Policy.final`), the same moment as on the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from tqdm import tqdm

from . import __version__, regrade, similarity
from .backend import Graded
from .course import Course
from .gradebook import Gradebook, grades_csv
from .grader_version import loaded_grader_key
from .grading import Unit
from .intake import Intake, find_submissions
from .notebooks import build_notebook, prepare as prepare_cells, write_notebook
from .policy import Policy
from .records import Report, Submission
from .render import reports
from .pool import in_pool
from .roster import Roster
from .sandbox import Limits, Spares
from .summary import class_summary
from .variants import Variant


def _write_student(course_root: str, name: str, sid: str, out: str, secret: bytes, solutions: bool) -> None:
    course = Course.at(course_root)
    assignment = course.assignment(name)
    variant = Variant.derive(secret, name, sid)
    context = course.context(assignment, variant)
    folder = Path(out) / sid
    write_notebook(build_notebook(course, assignment, variant, context=context), folder / f"{name}.ipynb")
    if solutions:
        write_notebook(build_notebook(course, assignment, variant, solutions=True, context=context),
                       folder / f"{name}.solution.ipynb")


def generate_class(course: Course, name: str, roster: Roster, out: Path, secret: bytes, solutions: bool,
                   jobs: int = 1) -> int:
    course.assignment(name)
    args = [(str(course.root), name, sid, str(out), secret, solutions) for sid in roster.student_ids]
    progress = tqdm(total=len(args), desc=f"generate {name}", unit="nb", disable=None)
    try:
        if jobs <= 1:
            for arg in args:
                _write_student(*arg)
                progress.update(1)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                for future in as_completed([pool.submit(_write_student, *arg) for arg in args]):
                    future.result()
                    progress.update(1)
    finally:
        progress.close()
    return len(args)


GradeUnits = Callable[[list[Unit], Policy], Iterable[Graded]]
"""Another place to grade (a Dask cluster): called with the units and the rules, it yields each unit's
`Graded`, files included, as it finishes."""


@dataclass
class GradeRun:
    graded: int = 0
    ungradable: int = 0
    missing: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        """Students given a report in this run, per second of it (the unchanged ones not counted)."""
        done = self.graded + self.ungradable + self.missing - self.skipped
        return done / self.seconds if self.seconds > 0 else 0.0


def _key(course: Course, name: str, policy: Policy) -> str:
    """The grader key, and the rules: a changed penalty re-renders every report. The key of the code
    this process loaded, as the grading processes it forks report it (they inherit it computed)."""
    return f"{loaded_grader_key(str(course.root), name)}/{hashlib.sha256(repr(policy).encode()).hexdigest()[:8]}"


def grade_class(
    course: Course, name: str, roster: Roster, submissions: Path, out: Path, secret: bytes, *,
    jobs: int, sandbox: str, gradebook_path: Path | None = None, force: bool = False,
    limits: Limits = Limits(), say: Callable[[str], None] = print, due: datetime | None = None,
    policy: Policy = Policy(), executor: GradeUnits | None = None,
) -> GradeRun:
    started = time.monotonic()
    course.check_assignment(name)
    # The sandboxes' warm processes first: they start while this process loads the assignment.
    with Spares(sandbox, limits, course.warm_up(name), jobs) if executor is None and jobs > 1 \
            else contextlib.nullcontext() as spares:
        assignment = course.assignment(name)
        found = _intake(submissions, name, roster, due, say)
        run = GradeRun(problems=list(found.problems))
        book = Gradebook(gradebook_path or out / "gradebook.sqlite")
        key = _key(course, name, policy)
        units = _stale_units(course, name, roster, found, secret, book, key, force, sandbox, limits,
                             lambda sid: (out / sid / "report.json").exists())
        run.skipped = len(roster.student_ids) - len(units)
        templates = str(course.root / "templates")
        # What every grading process would do first, done once here: the pool's processes inherit it.
        shared = Course.at(str(course.root))  # the course object they use
        prepare_cells(shared, name)
        reports.prepare(templates)
        # The class-wide review reads only the submissions: it runs beside the process pool (a thread
        # of this process, which otherwise just stores reports), not after it on one core.
        review = _Beside(similarity.review, shared, assignment, roster.student_ids, found.by_student, secret)
        elsewhere = None if executor is None else executor(units, policy)
        fresh: dict[str, Report] = {}
        for graded in _each_graded(units, jobs, f"grade {name}", policy, elsewhere=elsewhere, started=review.start,
                                   spares=spares):
            reports.write_report_files(graded.files, out / graded.report.student_id)
            book.store(graded.report, key)
            fresh[graded.report.student_id] = graded.report
    # This run's reports as they are; only the unchanged students' are read back from the gradebook.
    all_reports = [r for r in (fresh.get(sid) or book.report(name, sid) for sid in roster.student_ids) if r is not None]
    try:
        findings = review.result()
    except Exception as exc:  # our bug: it may cost the copied-work review, never the class's grades
        say(f"warning: the copied-work review failed ({type(exc).__name__}: {str(exc)[:200]}); the grades and "
            "reports are written without it")
        findings = similarity.nothing_found()
    all_reports = [policy.final(_with_class_warnings(report, findings.warnings.get(report.student_id, ()), book,
                                                     key, out, templates, policy)) for report in all_reports]
    book.close()
    summary = class_summary(assignment, all_reports, sandbox, __version__, intake=found.notes,
                            similarity=findings.summary)
    run.graded, run.ungradable, run.missing = summary.counts.graded, summary.counts.ungradable, summary.counts.missing
    (out / "grades.csv").write_text(
        grades_csv(all_reports, [t.name for t in assignment.tasks], list(roster.rows), list(roster.columns)),
        encoding="utf-8",
    )
    (out / "summary.html").write_text(reports.render_summary_html(summary, Path(templates)), encoding="utf-8")
    run.seconds = time.monotonic() - started
    return run


def preview_regrade(
    course: Course, name: str, roster: Roster, submissions: Path, secret: bytes, gradebook_path: Path, *,
    jobs: int, sandbox: str, limits: Limits = Limits(), say: Callable[[str], None] = print,
    due: datetime | None = None, policy: Policy = Policy(),
) -> list[regrade.Change]:
    """Grade what a run would regrade, writing nothing, and compare with the gradebook's reports.

    A student whose file, variant, grader and lateness are unchanged would get the same
    report byte for byte, so only the others are graded. The gradebook is opened read-only.
    Both sides are compared as they count under the rules.
    """
    found = _intake(submissions, name, roster, due, say)
    book = Gradebook.read_only(gradebook_path)
    try:
        units = _stale_units(course, name, roster, found, secret, book, _key(course, name, policy), False, sandbox,
                             limits, lambda sid: True)
        old = [policy.final(r) for r in (book.report(name, u.student_id) for u in units) if r is not None]
    finally:
        book.close()
    order = {sid: i for i, sid in enumerate(roster.student_ids)}
    new = sorted((policy.final(graded.report) for graded in _each_graded(units, jobs, f"preview {name}", None)),
                 key=lambda r: order[r.student_id])
    return regrade.compare(old, new)


def _intake(submissions: Path, name: str, roster: Roster, due: datetime | None, say: Callable[[str], None]) -> Intake:
    found = find_submissions(submissions, name, roster, due)
    say(found.heading)
    for problem in found.problems:
        say(f"note: {problem}")
    return found


def _stale_units(course: Course, name: str, roster: Roster, found: Intake, secret: bytes, book: Gradebook, key: str,
                 force: bool, sandbox: str, limits: Limits, reported: Callable[[str], bool]) -> list[Unit]:
    """One unit per student whose stored grade is not current (all of them with `force`)."""
    units = []
    for sid in roster.student_ids:
        submission = found.by_student.get(sid)
        variant = Variant.derive(secret, name, sid)
        sha = None if submission is None else submission.sha256
        if not force and book.is_current(name, sid, sha, variant.fingerprint, key) \
                and _same_lateness(book.report(name, sid), submission) and reported(sid):
            continue
        units.append(Unit(str(course.root), name, sid, variant.key, submission, sandbox, limits))
    return units


def _each_graded(units: list[Unit], jobs: int, desc: str, policy: Policy | None,
                 elsewhere: Iterable[Graded] | None = None,
                 started: Callable[[], None] = lambda: None, spares: Spares | None = None) -> Iterator[Graded]:
    """Each unit graded as it finishes (`run_unit`, in the process pool with `jobs` > 1, or as `elsewhere`
    yields it; with the report's files when `policy` is given); an ungradable one is said in one
    line as it comes. `started` is called once the pool's processes exist; they take their zygotes
    from `spares` (started ahead)."""
    progress = tqdm(total=len(units), desc=desc, unit="sub", disable=None)
    try:
        if elsewhere is not None:
            for graded in elsewhere:
                _tell(graded.report, progress)
                yield graded
        else:
            for graded in in_pool(units, jobs, policy, started, spares):
                _tell(graded.report, progress)
                yield graded
    finally:
        progress.close()


class _Beside:
    """A call run in a thread beside the process pool, started once the pool has forked (a fork
    while this thread imports or holds a lock could leave the pool's processes stuck), or run
    in place when nothing was started."""

    def __init__(self, function: Callable, *args):
        self._call = lambda: function(*args)
        self._thread: threading.Thread | None = None
        self._outcome: tuple = ()

    def start(self) -> None:
        def run():
            try:
                self._outcome = (self._call(), None)
            except BaseException as exc:  # handed to whoever asks for the result
                self._outcome = (None, exc)

        self._thread = threading.Thread(target=run, name="beside the pool", daemon=True)
        self._thread.start()

    def result(self):
        if self._thread is None:
            return self._call()
        self._thread.join()
        value, error = self._outcome
        if error is not None:
            raise error
        return value


def _tell(report: Report, progress: tqdm) -> None:
    progress.update(1)
    if report.status != "graded":
        file = f" ({report.submission.file})" if report.submission is not None else ""
        progress.write(f"{report.student_id}{file}: {report.reason}")


def _with_class_warnings(report: Report, warnings: tuple[str, ...], book: Gradebook, key: str, out: Path,
                         templates: str, policy: Policy) -> Report:
    """The report with this run's class-wide findings in its warnings, stored and rewritten if they changed."""
    updated = report.with_class_warnings(warnings)
    if updated is not report:
        book.store(updated, key)
        reports.write_report(policy.final(updated), out / updated.student_id, Path(templates))
    return updated


def _same_lateness(report: Report | None, submission: Submission | None) -> bool:
    """Whether a stored report says what the download now says about lateness (a new --due changes it)."""
    late = submission is not None and submission.late
    when = None if submission is None else submission.submitted_at
    return report is not None and report.late == late and report.submitted_at == when


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
