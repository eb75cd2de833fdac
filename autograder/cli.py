"""The command line: a thin layer over the library. Errors for people are caught here, once."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

# The start-up imports (numpy, jinja2, click and the rest) build objects that live as long as the
# command; collecting while they are built walks them again and again, for nothing. Collection
# is back on before any command runs (`Group.invoke`).
gc.disable()
# The grader's arrays are small and its cores belong to the grading processes: BLAS threads
# would only start (a tenth of a second of CPU at numpy's import) and spin. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .sandbox.bwrap import probe_early

# A command that runs student code first finds out whether this machine can isolate it (a sandbox
# started and taken apart: 60 ms); it does so beside the imports below rather than after them. The
# thread has ended before any process is forked (`choose_sandbox` waits for its answer).
if len(sys.argv) > 1 and sys.argv[1] in ("grade", "serve", "vet", "demo"):
    probe_early()

from . import __version__, regrade
from .batch import default_jobs, generate_class, grade_class, preview_regrade
from .course import Course
from .errors import UserError
from .gradebook import Gradebook
from .integrations import exports
from .integrations.gradescope import build_bundle
from .integrations.nbgrader import record_grades, write_source
from .policy import read_policy
from .roster import read_roster
from .sandbox import choose_sandbox

# At exit, the interpreter's last collection walks every object still alive; sympy's alone took
# half a second of each grade command. Frozen, they are freed without that walk.
atexit.register(gc.freeze)

course_option = click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path),
                             default=".", show_default=True, help="The course directory.")
secret_option = click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help="File holding the course secret (else $AUTOGRADER_SECRET, else course.key).")



def sandbox_option(command):
    """--no-sandbox, for every command that runs student code; --require-sandbox, which used to ask
    for what is now the default, is still accepted."""
    command = click.option("--require-sandbox", is_flag=True, hidden=True, expose_value=False)(command)
    return click.option("--no-sandbox", is_flag=True,
                        help="Run student code even where it cannot be isolated (never as root); said in every "
                             "report.")(command)


cluster_option = click.option(
    "--cluster", "cluster_address", metavar="ADDRESS", default=None,
    help="Grade on a Dask cluster instead: tcp://HOST:PORT of its scheduler, or local:N for N local "
         "worker processes (needs the 'cluster' extra).")

class Group(click.Group):
    def invoke(self, ctx):
        gc.enable()
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own usage errors already speak to people
        except Exception as exc:
            # Our own bug: one line for the TA; the traceback only for whoever debugs it.
            if os.environ.get("AUTOGRADER_DEBUG"):
                raise
            click.echo(f"Error: the grader itself failed ({type(exc).__name__}: {exc}). This is a bug in "
                       "optim-autograder; run again with AUTOGRADER_DEBUG=1 to see where.", err=True)
            ctx.exit(1)


class DueDate(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a date and time like 2025-03-14T23:59 (optionally +01:00)", param, ctx)


due_option = click.option(
    "--due", type=DueDate(), default=None,
    help="Due date, e.g. 2025-03-14T23:59 or 2025-03-14T23:59+01:00: a submission time after it is late "
         "[default: course.toml's].")


@click.group(cls=Group)
@click.version_option(__version__, prog_name="autograder")
def main() -> None:
    """Per-student optimisation notebooks, and a sandboxed grader that teaches."""


@main.command("list")
@course_option
def list_assignments(course_dir: Path) -> None:
    """Assignments in the course, with points per task."""
    course = Course(course_dir)
    for name in course.assignment_names():
        assignment = course.assignment(name)
        click.echo(f"{name}  ({assignment.max_score:g} points)  {assignment.title}")
        for task in assignment.tasks:
            click.echo(f"    {task.name:<26} {task.points:>5g}  {task.summary}")


@main.command()
@click.argument("assignment")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--solutions", is_flag=True, help="Also write <id>/<assignment>.solution.ipynb with the reference filled in.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Notebooks made at once [default: cores].")
@course_option
@secret_option
def generate(assignment: str, roster: Path, out: Path, solutions: bool, jobs: int | None, course_dir: Path,
             secret_file: Path | None) -> None:
    """Write every roster student's own notebook to OUT/<student_id>/<ASSIGNMENT>.ipynb."""
    course = Course(course_dir)
    course.assignment(assignment)
    count = generate_class(course, assignment, read_roster(roster), out, course.secret(secret_file), solutions,
                           jobs=jobs or default_jobs())
    click.echo(f"Wrote {count} notebooks of {assignment} to {out}/<student_id>/")


@main.command()
@click.argument("assignment")
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Submissions graded at once [default: cores].")
@click.option("--gradebook", "gradebook_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite gradebook [default: OUT/gradebook.sqlite].")
@click.option("--force", is_flag=True, help="Regrade every submission, even unchanged ones.")
@sandbox_option
@click.option("--nbgrader-gradebook", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Also record the grades in this nbgrader gradebook.db (its folder is the nbgrader course root).")
@click.option("--dry-run", is_flag=True,
              help="Grade without writing grades or reports; print and write OUT/regrade-preview.csv: every student "
                   "whose score would change, old and new per task.")
@due_option
@cluster_option
@course_option
@secret_option
def grade(assignment: str, submissions: Path, roster: Path, out: Path, jobs: int | None, gradebook_path: Path | None,
          force: bool, no_sandbox: bool, nbgrader_gradebook: Path | None, dry_run: bool, due: datetime | None,
          cluster_address: str | None, course_dir: Path, secret_file: Path | None) -> None:
    """Grade SUBMISSIONS (a folder, a .zip, or an LMS's bulk download: Canvas, Moodle, Blackboard,
    Gradescope) for every roster student; write reports, grades.csv, summary.html."""
    if cluster_address is not None and jobs is not None:
        raise click.UsageError("--jobs and --cluster exclude each other: a cluster grades with its workers' threads")
    if cluster_address is not None and dry_run:
        raise click.UsageError("--dry-run grades on this machine (--jobs): leave out --cluster")
    course = Course(course_dir)
    course.check_assignment(assignment)  # imported by grade_class, once the sandboxes are starting
    students = read_roster(roster)
    gradebook_path = gradebook_path or out / "gradebook.sqlite"
    sandbox = _sandbox(no_sandbox)
    rules = _rules(course, assignment, due)
    due = rules.due
    if dry_run:
        if nbgrader_gradebook is not None or force:
            raise UserError("--dry-run writes no grades and regrades only what changed: leave out "
                            "--nbgrader-gradebook and --force")
        changes = preview_regrade(course, assignment, students, submissions, course.secret(secret_file),
                                  gradebook_path, jobs=jobs or default_jobs(), sandbox=sandbox,
                                  say=lambda line: click.echo(line, err=True), due=due, policy=rules)
        for change in changes:
            click.echo(regrade.describe(change))
        out.mkdir(parents=True, exist_ok=True)
        task_names = [t.name for t in course.assignment(assignment).tasks]
        (out / "regrade-preview.csv").write_text(regrade.preview_csv(changes, task_names), encoding="utf-8")
        click.echo(f"{len(changes)} students' scores would change; written to {out / 'regrade-preview.csv'}. "
                   "Nothing else was written: no grades, no reports.")
        return
    with _cluster(cluster_address, course, sandbox) as cluster:
        run = grade_class(course, assignment, students, submissions, out, course.secret(secret_file),
                          jobs=jobs or default_jobs(), sandbox=sandbox, gradebook_path=gradebook_path, force=force,
                          say=lambda line: click.echo(line, err=True), due=due, policy=rules,
                          executor=cluster and cluster.grade)
    if nbgrader_gradebook is not None:
        count = record_grades(course, assignment, students, submissions, out, gradebook_path, nbgrader_gradebook)
        click.echo(f"Recorded {count} submissions in the nbgrader gradebook {nbgrader_gradebook}.")
    click.echo(f"{run.graded} graded, {run.ungradable} ungradable, {run.missing} without a submission"
               f"{f', {run.skipped} unchanged since the last run' if run.skipped else ''} "
               f"in {run.seconds:.1f} s, {run.per_second:.1f} per second "
               f"(sandbox: {sandbox}{f'; cluster: {cluster_address}' if cluster_address else ''}).")
    click.echo(f"Reports: {out}/<student_id>/report.html   Grades: {out / 'grades.csv'}   Summary: {out / 'summary.html'}")


def _rules(course: Course, assignment: str, due: datetime | None):
    """course.toml's rules for `assignment`, with --due in place of its due date (a time without a
    zone is the course's)."""
    course_rules = read_policy(course.root, course.assignment_names())
    rules = course_rules.of(assignment)
    if due is None:
        return rules
    return replace(rules, due=due if due.tzinfo else due.replace(tzinfo=course_rules.zone))


def _sandbox(no_sandbox: bool) -> str:
    sandbox, why = choose_sandbox(no_sandbox)
    if sandbox != "bwrap":
        click.secho(f"WARNING: --no-sandbox: {why}. Student code runs WITHOUT isolation, as an unprivileged "
                    "process that can read what that user can read. Every report says so.", fg="red", err=True)
    return sandbox


def _cluster(address: str | None, course: Course, sandbox: str):
    """The Dask cluster to grade on, or nothing (a context either way)."""
    if address is None:
        return contextlib.nullcontext()
    try:
        from .cluster import ClusterExecutor
    except ModuleNotFoundError as exc:
        raise UserError(f"--cluster needs Dask distributed ({exc}): pip install 'optim-autograder[cluster]'") from None
    return ClusterExecutor(address, course, sandbox)


@main.command()
@click.argument("assignment")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--mutants", is_flag=True, help="Also mutate the reference of every task and grade each mutant.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Variants vetted at once [default: cores].")
@sandbox_option
@course_option
@secret_option
@click.pass_context
def vet(ctx: click.Context, assignment: str, roster: Path, out: Path, mutants: bool, jobs: int | None,
        no_sandbox: bool, course_dir: Path, secret_file: Path | None) -> None:
    """Prove every roster student's variant fair: write OUT/vetting.html and OUT/vetting.json; exit 1 if one fails."""
    from .instructor.vetting import vet_class, write_vetting

    course = Course(course_dir)
    course.assignment(assignment)
    sandbox = _sandbox(no_sandbox)
    jobs = jobs or default_jobs()
    students = read_roster(roster)
    vetting = vet_class(course, assignment, students, course.secret(secret_file), jobs=jobs, sandbox=sandbox)
    data = vetting.as_json()
    if mutants:
        from .instructor.mutation import mutation_report

        data["mutants"] = mutation_report(course, assignment, students.student_ids, course.secret(secret_file),
                                          jobs=jobs, sandbox=sandbox, say=lambda line: click.echo(line, err=True))
    write_vetting(data, out, course)
    click.echo(f"Vetted {data['students']} variants of {assignment} in {vetting.seconds:.1f} s "
               f"({jobs} at a time, sandbox: {sandbox}): {data['passed']} pass, {data['failed']} fail.")
    if mutants:
        m = data["mutants"]
        click.echo(f"Mutants: {m['total']}, {m['caught']} caught, {m['equivalent']} equivalent, "
                   f"{m['survived']} survived, {m['inconsistent']} inconsistent across variants "
                   f"(score {100 * m['score']:.1f}%) in {m['seconds']:.1f} s.")
    click.echo(f"Vetting: {out / 'vetting.html'}   {out / 'vetting.json'}")
    if vetting.failed or (mutants and data["mutants"]["inconsistent"]):
        ctx.exit(1)


@main.command()
@click.argument("assignment")
@click.argument("student_id")
@click.option("--solutions", is_flag=True, help="Show the reference solution under each solution cell.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The page to write [default: STUDENT_ID-ASSIGNMENT.html].")
@course_option
@secret_option
def preview(assignment: str, student_id: str, solutions: bool, out: Path | None, course_dir: Path,
            secret_file: Path | None) -> None:
    """Write one HTML page of STUDENT_ID's notebook of ASSIGNMENT, to read without Jupyter."""
    from .instructor.preview import preview_html

    course = Course(course_dir)
    course.assignment(assignment)
    out = out or Path(f"{student_id}-{assignment}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(preview_html(course, assignment, student_id, course.secret(secret_file), solutions), encoding="utf-8")
    click.echo(f"Wrote {out}")


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Write a new course directory DIRECTORY: both bundled assignments, their solutions, the templates,
    course.toml, a README for the course's staff and a sample roster."""
    from .instructor.scaffold import init_course

    for path in init_course(directory):
        click.echo(f"wrote {path}{'/' if path.is_dir() else ''}")
    click.echo(f"Next: cd {directory} && autograder list (its README.md says the rest).")


@main.command("new")
@click.argument("assignment")
@course_option
def new_assignment(assignment: str, course_dir: Path) -> None:
    """Scaffold ASSIGNMENT: assignments/ASSIGNMENT/, solutions/ASSIGNMENT.py and a worked example task."""
    from .instructor.scaffold import scaffold

    written = scaffold(Path(course_dir), assignment)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"Next: autograder vet {assignment} --roster ROSTER.csv --out vetting/ (docs/writing-an-assignment.md).")


@main.command("nbgrader-source")
@click.argument("assignment")
@click.option("--out", "nbgrader_root", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The nbgrader course directory.")
@course_option
@secret_option
def nbgrader_source(assignment: str, nbgrader_root: Path, course_dir: Path, secret_file: Path | None) -> None:
    """Write OUT/source/<ASSIGNMENT>/<ASSIGNMENT>.ipynb for `nbgrader generate_assignment`."""
    course = Course(course_dir)
    path = write_source(course, assignment, course.secret(secret_file), nbgrader_root)
    click.echo(f"Wrote {path}; next: nbgrader generate_assignment {assignment} (in {nbgrader_root}).")


@main.command()
@click.argument("assignment")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The bundle, a .zip file.")
@course_option
@secret_option
def gradescope(assignment: str, out: Path, course_dir: Path, secret_file: Path | None) -> None:
    """Build a Gradescope autograder bundle for ASSIGNMENT (it holds the course secret: keep it private)."""
    course = Course(course_dir)
    count = build_bundle(course, assignment, course.secret(secret_file), out)
    click.echo(f"Wrote {out} ({count} files); upload it as the assignment's autograder on Gradescope.")


@main.command()
@click.argument("assignment")
@click.option("--gradebook", "gradebook_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="The SQLite gradebook written by `grade`.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv", show_default=True)
@click.option("--canvas-assignment-id", default=None,
              help="Canvas's id of the assignment, so the column updates it instead of creating one.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@due_option
@course_option
def export(assignment: str, gradebook_path: Path, roster: Path, fmt: str, canvas_assignment_id: str | None, out: Path,
           due: datetime | None, course_dir: Path) -> None:
    """Write the grade table of ASSIGNMENT for an LMS: our grades.csv, a Canvas or a Moodle import file.
    The gradebook keeps grades as the engine made them: the late penalty is course.toml's (and --due's,
    as given to grade)."""
    course = Course(course_dir)
    students = read_roster(roster)
    rules = _rules(course, assignment, due)
    book = Gradebook(gradebook_path)
    reports = [rules.final(report) for report in book.reports(assignment, students.student_ids)]
    book.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(exports.export(fmt, course.assignment(assignment), reports, students, canvas_assignment_id),
                   encoding="utf-8")
    click.echo(f"Wrote {out} ({fmt}, {len(students.student_ids)} students).")


@main.command()
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The class roster (a student_id column).")
@click.option("--staff", "staff_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The course staff (a staff_id column).")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The server's data folder.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOKENS.csv to write: id,role,token,url (keep it private).")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where students reach the server: the start of every sign-in link.")
@click.option("--revoke", metavar="ID", multiple=True, help="End this person's access (token and sessions); repeatable.")
@click.option("--only", metavar="ID", multiple=True,
              help="Issue tokens to these people alone (a student added to the roster); everyone else's link "
                   "stays valid. Repeatable.")
def tokens(roster: Path | None, staff_file: Path | None, data: Path, out: Path | None, base_url: str,
           revoke: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Issue a fresh sign-in token to every student and staff member (earlier ones stop working), or --revoke."""
    from .server.auth import issue
    from .server.people import everyone, read_staff
    from .server.run import write_tokens
    from .server.store import Store

    store = Store(data / "autograder.sqlite")
    if revoke:
        for person in revoke:
            if not store.revoke(person):
                raise UserError(f"nobody with id {person!r} has a token in {data}")
            click.echo(f"Revoked {person}: their link and every session of theirs no longer work.")
        return
    if roster is None or out is None:
        raise UserError("tokens needs --roster and --out (or --revoke ID)")
    people = everyone(read_roster(roster), read_staff(staff_file) if staff_file else [])
    if only:
        unknown = [person for person in only if person not in people]
        if unknown:
            raise UserError(f"{unknown[0]} is neither on the roster nor on the staff list")
        people = {person: people[person] for person in only}
    write_tokens(issue(store, people, base_url), out)
    staff_count = sum(role == "staff" for role in people.values())
    click.echo(f"Wrote {out}: sign-in links for {len(people) - staff_count} students and {staff_count} staff "
               f"(mode 0600; their earlier links no longer work{'; everyone else keeps theirs' if only else ''}).")


@main.command()
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--staff", "staff_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The server's data folder (database and every file handed in).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Submissions graded at once [default: cores].")
@click.option("--max-upload", default=None, help='Largest upload, e.g. "32 MiB" [default: course.toml, else 32 MiB].')
@click.option("--max-queued", type=click.IntRange(1, 1000), default=None,
              help="Attempts a student may have waiting at once [default: course.toml, else 3].")
@sandbox_option
@click.option("--max-connections", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Connections at once (kept below the open-files limit); idle ones make room for new ones.")
@click.option("--trusted-proxy", default=None, metavar="ADDRESS",
              help="The reverse proxy in front (e.g. 127.0.0.1): only its X-Forwarded-* headers are believed.")
@click.option("--demo", is_flag=True, help="The bundled sample class, with sign-in links to click (data: demo-server/).")
@cluster_option
@course_option
@secret_option
def serve(roster: Path | None, staff_file: Path | None, data: Path | None, host: str, port: int, jobs: int | None,
          max_upload: str | None, max_queued: int | None, no_sandbox: bool, max_connections: int,
          trusted_proxy: str | None, demo: bool,
          cluster_address: str | None, course_dir: Path, secret_file: Path | None) -> None:
    """The course server: students hand in and read their reports; staff review, override, regrade, export."""
    from .demo import DEMO_SECRET, bundled_course
    from .policy import parse_size
    from .server.people import read_staff
    from .server.run import prepare_demo, serve as run_server
    from .server.settings import Settings

    if demo:
        course = bundled_course()
        data = data or Path("demo-server")
        roster, staff_file = prepare_demo(course, data, f"http://{host}:{port}", say=click.echo)
        secret = DEMO_SECRET
    else:
        if roster is None or data is None:
            raise UserError("serve needs --roster and --data (or --demo)")
        course = Course(course_dir)
        secret = course.secret(secret_file)
    try:
        upload = None if max_upload is None else parse_size(max_upload)
    except ValueError as exc:
        raise UserError(f"--max-upload {max_upload!r}: {exc}") from None
    policy = read_policy(course.root, course.assignment_names()).with_options(max_upload=upload, max_queued=max_queued)
    sandbox = _sandbox(no_sandbox)
    if cluster_address is not None and jobs is not None:
        raise click.UsageError("--jobs and --cluster exclude each other: a cluster grades with its workers' threads")
    settings = Settings(course.root, read_roster(roster), tuple(read_staff(staff_file)) if staff_file else (), data,
                        secret, policy, jobs or default_jobs(), sandbox, roster_path=roster, staff_path=staff_file,
                        options=(("max_upload", upload), ("max_queued", max_queued)))
    # The queue stays in this server's database; a cluster only grades what the dispatcher hands it.
    with _cluster(cluster_address, course, sandbox) as cluster:
        run_server(settings, host, port, say=click.echo, executor=cluster, max_connections=max_connections,
                   trusted_proxy=trusted_proxy)


@main.group()
def lti() -> None:
    """The course server as an LTI 1.3 tool of a learning platform (Canvas, Moodle, ...)."""


@lti.command("config")
@click.option("--base-url", required=True, help="Where the platform reaches the server, e.g. https://grader.example.edu")
@course_option
def lti_config(base_url: str, course_dir: Path) -> None:
    """Print what to paste into the platform (Canvas's developer-key JSON, Moodle's fields) and what to write back."""
    from .lti.config import text
    from .lti.registration import read_registration

    if not base_url.startswith(("https://", "http://")):
        raise UserError(f"--base-url {base_url!r} must start with https:// (or http:// on a lab network)")
    click.echo(text(base_url))
    registration = read_registration(course_dir)
    click.echo("")
    click.echo(f"{course_dir / 'course.toml'}: " + (f"[lti] registers {registration.issuer}, client id "
                                                    f"{registration.client_id}." if registration else "no [lti] yet."))


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"), show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None)
@click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The course directory [default: the current directory if it is one, else the bundled course].")
@sandbox_option
def demo(out: Path, jobs: int | None, course_dir: Path | None, no_sandbox: bool) -> None:
    """Generate, fill in and grade a sample class of every assignment, then say where the reports are."""
    from .demo import run_demo

    run_demo(out, jobs or default_jobs(), say=click.echo, course=None if course_dir is None else Course(course_dir),
             sandbox=_sandbox(no_sandbox))


if __name__ == "__main__":
    sys.exit(main())
