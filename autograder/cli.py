"""The command line: a thin layer over the library. Errors for people are caught here, once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .batch import default_jobs, generate_class, grade_class
from .course import Course
from .errors import UserError
from .roster import read_roster
from .sandbox import choose_kind

course_option = click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path),
                             default=".", show_default=True, help="The course directory.")
secret_option = click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help="File holding the course secret (else $AUTOGRADER_SECRET, else course.key).")


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


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
@course_option
@secret_option
def generate(assignment: str, roster: Path, out: Path, solutions: bool, course_dir: Path, secret_file: Path | None) -> None:
    """Write every roster student's own notebook to OUT/<student_id>/<ASSIGNMENT>.ipynb."""
    course = Course(course_dir)
    course.assignment(assignment)
    count = generate_class(course, assignment, read_roster(roster), out, course.secret(secret_file), solutions)
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
@click.option("--require-sandbox", is_flag=True, help="Refuse to grade without bubblewrap isolation.")
@course_option
@secret_option
def grade(assignment: str, submissions: Path, roster: Path, out: Path, jobs: int | None, gradebook_path: Path | None,
          force: bool, require_sandbox: bool, course_dir: Path, secret_file: Path | None) -> None:
    """Grade SUBMISSIONS (a folder or .zip) for every roster student; write reports, grades.csv, summary.html."""
    course = Course(course_dir)
    course.assignment(assignment)
    kind, why = choose_kind(require_sandbox)
    if kind != "bwrap":
        click.secho(f"WARNING: {why}. Student code runs as a limited subprocess WITHOUT isolation: it can read "
                    "files the grader can read. Every report says sandbox: rlimit-only.", fg="red", err=True)
    run = grade_class(course, assignment, read_roster(roster), submissions, out, course.secret(secret_file),
                      jobs=jobs or default_jobs(), sandbox=kind, gradebook_path=gradebook_path, force=force,
                      say=lambda line: click.echo(line, err=True))
    click.echo(f"{run.graded} graded, {run.ungradable} ungradable, {run.missing} without a submission"
               f"{f', {run.skipped} unchanged since the last run' if run.skipped else ''} "
               f"in {run.seconds:.1f} s (sandbox: {kind}).")
    click.echo(f"Reports: {out}/<student_id>/report.html   Grades: {out / 'grades.csv'}   Summary: {out / 'summary.html'}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"), show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None)
def demo(out: Path, jobs: int | None) -> None:
    """Generate, fill in and grade a bundled sample class, then say where the reports are."""
    from .demo import run_demo

    run_demo(out, jobs or default_jobs(), say=click.echo)


if __name__ == "__main__":
    sys.exit(main())
