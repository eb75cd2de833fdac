"""Gradescope: an autograder bundle for one assignment, and what runs inside it per submission.

The bundle (a zip Gradescope unpacks into /autograder/source) holds setup.sh,
run_autograder, this engine, the assignment's course files and the course secret. Each
submission is graded like any other (`grading.grade`), for the variant of the student
Gradescope names in submission_metadata.json, and the report becomes results.json.

Gradescope grades as root in a container where bubblewrap often cannot run; the engine
then drops student code to a fresh uid, which setup.sh lets read the engine but not the
course folder (solutions, secret).
"""

from __future__ import annotations

import json
import stat
import sys
import zipfile
from importlib import metadata
from pathlib import Path, PurePosixPath

from .. import __version__
from ..course import Course
from ..errors import UserError
from ..grader_version import grader_files
from ..grading import Unit, grade
from ..records import Report, Submission, TaskResult
from ..sandbox import choose_sandbox
from ..variants import Variant

ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"  # a test's stand-in for /autograder
OUTPUT_LIMIT = 8000  # characters of one test's output; Gradescope shows long text badly
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip timestamps, so the same inputs give the same bundle

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
if command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip
  # Without bubblewrap the engine still grades, as a limited subprocess, and says so.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap || echo "bubblewrap unavailable"
fi
python3 -m pip install --quiet "$SOURCE/engine" \\
  || python3 -m pip install --quiet --break-system-packages "$SOURCE/engine"
# Student code runs as a fresh uid: it must read the engine, never the course or its secret.
chmod go+rx "$SOURCE" "$(dirname "$SOURCE")"
chmod -R go+rX "$SOURCE/engine"
chmod -R go-rwx "$SOURCE/course"
chmod 700 "$SOURCE/course"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; ${root_env} stands in for /autograder in tests.
set -euo pipefail
ROOT="${{{root_env}:-/autograder}}"
# The bundled engine first, so that the engine which grades is the one in this bundle.
export PYTHONPATH="$ROOT/source/engine"
exec python3 -m autograder.integrations.gradescope "$ROOT" {assignment}
"""


# --- the bundle -----------------------------------------------------------------------

def build_bundle(course: Course, name: str, secret: bytes, out: Path) -> int:
    """Write the zip; returns the number of files in it."""
    course.assignment(name)
    files: dict[str, tuple[bytes, int]] = {
        "setup.sh": (SETUP_SH.encode(), 0o755),
        "run_autograder": (RUN_AUTOGRADER.format(root_env=ROOT_ENV, assignment=name).encode(), 0o755),
        "engine/pyproject.toml": (_engine_pyproject().encode(), 0o644),
        "course/course.key": (secret + b"\n", 0o600),
    }
    # Exactly what grades (the grader key's files) and this module, which runs it in Gradescope.
    for relative, path in grader_files(course, name, "autograder.integrations.gradescope").items():
        place = "engine" if relative.startswith("autograder/") else "course"
        files[f"{place}/{relative}"] = (path.read_bytes(), 0o644)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, (data, mode) in sorted(files.items()):
            info = zipfile.ZipInfo(member, FIXED_TIME)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return len(files)


def _engine_pyproject() -> str:
    # The dependencies as installed, without the test-only extras.
    requires = [r for r in metadata.requires("optim-autograder") or [] if "extra ==" not in r]
    return "\n".join([
        "[build-system]", 'requires = ["setuptools>=68"]', 'build-backend = "setuptools.build_meta"', "",
        "[project]", 'name = "optim-autograder"', f'version = "{__version__}"', 'requires-python = ">=3.10"',
        f"dependencies = {json.dumps(requires)}", "",
        "[tool.setuptools.packages.find]", 'include = ["autograder", "autograder.*"]', "",
    ])


# --- inside Gradescope ----------------------------------------------------------------

def run(root: Path, name: str) -> dict:
    """Grade /autograder/submission and write /autograder/results/results.json."""
    root = Path(root)
    course = Course(root / "source" / "course")
    student = _student_id(root / "submission_metadata.json")
    variant = Variant.derive(course.secret(course.root / "course.key"), name, student)
    submission, notes = _submission(root / "submission", name)
    # Gradescope's container may not allow namespaces: its own isolation then stands in, as the
    # results say.
    sandbox, why = choose_sandbox(no_sandbox=True)
    report = grade(Unit(str(course.root), name, student, variant.key, submission, sandbox))
    if why:
        notes.append(f"Sandbox: {sandbox} ({why}).")
    results = results_json(report, notes)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def _student_id(path: Path) -> str:
    try:
        users = json.loads(path.read_text(encoding="utf-8")).get("users") or []
    except (OSError, ValueError, AttributeError) as exc:
        raise UserError(f"{path}: cannot read Gradescope's submission metadata ({exc})") from None
    user = users[0] if users and isinstance(users[0], dict) else {}
    student = user.get("sid") or user.get("email")
    if not student:
        raise UserError(f"{path}: the submitter has neither an sid nor an email, so their variant is unknown")
    return str(student)


def _submission(folder: Path, name: str) -> tuple[Submission | None, list[str]]:
    notebooks = sorted(p for p in folder.rglob("*.ipynb")
                       if not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not notebooks:
        return None, []
    chosen = next((p for p in notebooks if p.name == f"{name}.ipynb"), notebooks[0])
    notes = []
    if len(notebooks) > 1:
        others = ", ".join(str(p.relative_to(folder)) for p in notebooks if p != chosen)
        notes.append(f"Several notebooks were submitted; {chosen.relative_to(folder)} was graded, not {others}.")
    return Submission(str(PurePosixPath("submission", chosen.relative_to(folder).as_posix())), chosen.read_bytes()), notes


def results_json(report: Report, notes: list[str]) -> dict:
    """Gradescope's results.json: one test per task, the whole-submission text in `output`."""
    lines = [f"{report.title}: {report.score:g} of {report.max_score:g} points."]
    if report.status != "graded":
        lines.append(str(report.reason))
    lines += [f"Warning: {w}" for w in report.warnings]
    lines += [f"Cell {e.cell}: {e.error}" for e in report.cell_errors]
    lines += notes
    return {
        "score": report.score,
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {"variant": report.variant, "grader_version": report.grader_version, "sandbox": report.sandbox},
        "tests": [_test(task) for task in report.tasks],
    }


def _test(task: TaskResult) -> dict:
    lines = []
    for check in task.checks:
        mark = "PASS" if check.passed else "FAIL"
        hidden = " (hidden check)" if check.visibility == "hidden" else ""
        lines.append(f"{mark} {check.name}{hidden}: {check.score:g}/{check.max_score:g}. {check.message}")
        if check.mistake and not check.passed:
            lines.append(f"     Known mistake: {check.mistake}")
        if not check.passed:
            lines += [f"     {key}: {value}" for key, value in check.details.items()]
    output = "\n".join(lines)
    if len(output) > OUTPUT_LIMIT:
        output = output[:OUTPUT_LIMIT] + "\n… (cut; the full report is with your TA)"
    return {
        "name": task.name,
        "score": task.score,
        "max_score": task.max_score,
        "status": "passed" if task.score >= task.max_score else "failed",
        "output": output,
        "visibility": "visible",
    }


def main(argv: list[str]) -> int:
    root, name = Path(argv[0]), argv[1]
    try:
        results = run(root, name)
    except UserError as exc:
        # Gradescope shows the student results.json only, so the reason must be written there too.
        (root / "results").mkdir(parents=True, exist_ok=True)
        failure = {"score": 0.0, "output": f"The autograder could not grade this submission: {exc}", "tests": []}
        (root / "results" / "results.json").write_text(json.dumps(failure, indent=2) + "\n", encoding="utf-8")
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(f"{results['score']:g} points; results in {root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
