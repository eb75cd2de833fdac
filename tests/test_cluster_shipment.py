"""What of a course travels to cluster workers, and how a worker checks what it holds."""

from __future__ import annotations

import os
import shutil

import pytest

from autograder.cluster.shipment import CourseFiles, DamagedCourse, materialise

from conftest import ROOT


@pytest.fixture
def course_dir(tmp_path):
    """A copy of the toy course with everything a course folder holds beside what grading reads."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "toy_course", root)
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "course.key").write_text("the secret\n")
    (root / "roster.csv").write_text("student_id\ns001\n")
    (root / "submissions").mkdir()
    (root / "submissions" / "s001.ipynb").write_text("{}")
    (root / "assignments" / "toy" / "__pycache__").mkdir(exist_ok=True)
    (root / "assignments" / "toy" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    return root


def test_only_assignments_solutions_and_templates_travel(course_dir):
    names = [name for name, _ in CourseFiles.of(course_dir).files]
    assert "assignments/toy/__init__.py" in names and "solutions/toy.py" in names
    assert "templates/selfcheck.py.j2" in names
    assert {name.split("/")[0] for name in names} == {"assignments", "solutions", "templates"}
    assert not [name for name in names if "__pycache__" in name]


def test_a_worker_writes_the_course_once_and_checks_it_every_time(course_dir, tmp_path):
    files = CourseFiles.of(course_dir)
    digest = files.digest()
    folder = materialise(files, digest, tmp_path / "cache")
    assert folder.name == digest
    assert CourseFiles.of(folder) == files
    assert os.stat(tmp_path / "cache").st_mode & 0o777 == 0o700
    assert not (folder / "course.key").exists() and not (folder / "roster.csv").exists()
    assert materialise(files, digest, tmp_path / "cache") == folder  # already there: verified, kept

    (folder / "solutions" / "toy.py").write_text("# edited on the worker\n")
    assert materialise(files, digest, tmp_path / "cache") == folder  # a damaged copy is written again
    assert CourseFiles.of(folder) == files


def test_damaged_files_are_refused(course_dir, tmp_path):
    files = CourseFiles.of(course_dir)
    digest = files.digest()
    tampered = CourseFiles(tuple((n, b"x" if n == "solutions/toy.py" else d) for n, d in files.files))
    with pytest.raises(DamagedCourse, match="arrived damaged"):
        materialise(tampered, digest, tmp_path / "cache")
    escaping = CourseFiles((("assignments/../../outside.py", b"x"),))
    with pytest.raises(DamagedCourse, match="a path outside the course"):
        materialise(escaping, escaping.digest(), tmp_path / "cache")
    assert not (tmp_path / "outside.py").exists()
    assert os.listdir(tmp_path / "cache" / "courses") == []  # nothing half-written left behind


def test_a_cache_others_can_write_is_refused(course_dir, tmp_path):
    files = CourseFiles.of(course_dir)
    (tmp_path / "shared").mkdir(mode=0o777)
    os.chmod(tmp_path / "shared", 0o777)
    with pytest.raises(DamagedCourse, match="must belong to this user alone"):
        materialise(files, files.digest(), tmp_path / "shared")
