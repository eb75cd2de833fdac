"""The grader version covers exactly the code and data that compute a grade (SPEC, "Security and
robustness"): found by following imports from `grading`, so a CLI or server edit regrades nothing
and a sandbox or assignment edit regrades everyone."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from autograder import grader_version
from autograder.course import Course
from autograder.integrations.gradescope import build_bundle
from autograder.grader_version import grader_files, grader_key

from conftest import ASSIGNMENTS, ROOT, SECRET



def _boots_the_sandbox(files: dict[str, Path]) -> bool:
    return any("def zygote_main" in path.read_text(encoding="utf-8") for path in files.values())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_files_that_grade_are_the_engine_the_assignment_and_its_reference(course, name):
    files = grader_files(course, name)
    assert {"autograder/__init__.py", "autograder/grading.py", "autograder/checks.py",
            f"assignments/{name}/__init__.py", f"assignments/{name}/notebook.j2", f"solutions/{name}.py",
            "templates/selfcheck.py.j2"} <= set(files)
    assert _boots_the_sandbox(files), "the sandbox's worker runs student code: it grades too"
    assert not [f for f in files if f.startswith(("autograder/server/", "autograder/instructor/", "autograder/cli",
                                                  "autograder/cluster/", "autograder/render/",
                                                  f"assignments/{name}/mistakes/"))]
    assert f"assignments/{name}/measures.py" not in files
    assert all(path.is_file() for path in files.values())


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> tuple[Path, Course]:
    """The package and the course, copied once for these tests."""
    root = tmp_path_factory.mktemp("copies")
    shutil.copytree(grader_version.PACKAGE, root / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("assignments", "solutions", "templates"):
        shutil.copytree(ROOT / part, root / "course" / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root / "autograder", Course(root / "course")


@pytest.fixture
def copied(copies, monkeypatch):
    """The copies, with the key computed from them; every file a test edits is put back after it."""
    package, course = copies
    monkeypatch.setattr(grader_version, "PACKAGE", package)
    originals: dict[Path, bytes] = {}

    def edit(path: Path) -> None:
        assert path.is_file(), path
        originals.setdefault(path, path.read_bytes())
        path.write_bytes(path.read_bytes() + b"\n# an edit\n")

    yield package, course, edit
    for path, data in originals.items():
        path.write_bytes(data)


@pytest.mark.parametrize("edited", [
    "autograder/cli.py", "autograder/server/app.py", "autograder/batch.py", "autograder/instructor/vetting.py",
    "autograder/pool.py", "autograder/backend.py", "autograder/cluster/worker.py",
    "autograder/render/reports.py", "autograder/render/templates/report.html.j2", "course/assignments/{a}/measures.py",
])
def test_editing_what_grades_nothing_changes_no_key(copied, edited):
    package, course, edit = copied
    before = {name: grader_key(course, name) for name in ASSIGNMENTS}
    for name in ASSIGNMENTS:
        edit(package.parent / edited.format(a=name))
    assert {name: grader_key(course, name) for name in ASSIGNMENTS} == before


@pytest.mark.parametrize("edited", [
    "the sandbox's worker", "autograder/grading.py", "autograder/session.py", "autograder/wire.py", "course/assignments/{a}/judges.py",
    "course/assignments/{a}/notebook.j2", "course/assignments/{a}/warm_up.py", "course/solutions/{a}.py",
    "course/templates/selfcheck.py.j2",
])
def test_editing_what_grades_changes_the_key(copied, edited):
    package, course, edit = copied
    before = {name: grader_key(course, name) for name in ASSIGNMENTS}
    for name in ASSIGNMENTS:
        if edited == "the sandbox's worker":
            (worker,) = [p for p in package.rglob("*.py") if "def zygote_main" in p.read_text(encoding="utf-8")]
            edit(worker)
            break
        edit(package.parent / edited.format(a=name))
    after = {name: grader_key(course, name) for name in ASSIGNMENTS}
    assert all(after[name] != before[name] for name in ASSIGNMENTS)


def test_the_gradescope_bundle_ships_what_grades_and_what_runs_it(course, tmp_path):
    name = ASSIGNMENTS[0]
    build_bundle(course, name, SECRET, tmp_path / "bundle.zip")
    members = set(zipfile.ZipFile(tmp_path / "bundle.zip").namelist())
    shipped = {m.split("/", 1)[1] for m in members if m.startswith(("engine/autograder/", "course/"))}
    assert shipped - {"course.key"} == set(grader_files(course, name)) | {
        "autograder/integrations/__init__.py", "autograder/integrations/gradescope.py",
        "autograder/grader_version.py"}
