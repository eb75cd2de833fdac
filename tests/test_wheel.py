"""The distribution on its own: a wheel built from this checkout, installed in a fresh
environment outside it, starts a course (`init`) and lists and grades in it.

The fresh environment gets the project's installed dependencies as hard links (no download,
no reinstall: a few seconds) but neither the checkout nor its editable install, so only what the
wheel holds can answer.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ASSIGNMENTS, ROOT

pytestmark = pytest.mark.slow

TIMEOUT = 300


def run(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the checkout's files (tracked or new, not ignored), so that a stale
    build/ folder or a stray file of the checkout cannot slip into it."""
    base = tmp_path_factory.mktemp("wheel")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (base / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, base / "src" / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q",
        base / "src", "-w", base / "dist", cwd=base, env=os.environ.copy())
    (found,) = (base / "dist").glob("optim_autograder-*.whl")
    return found


def test_the_wheel_holds_the_engine_and_the_bundled_course_and_nothing_else(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    course = "optim_autograder_course"
    for name in ("autograder/cli.py", "autograder/server/static/server.css",
                 "autograder/render/templates/report.html.j2", "autograder/server/templates/base.html.j2",
                 "autograder/lti/templates/staff.html.j2", "autograder/instructor/templates/vetting.html.j2",
                 f"{course}/course.toml", f"{course}/templates/selfcheck.py.j2",
                 f"{course}/scaffolds/new_assignment/solutions/__ASSIGNMENT__.py",
                 f"{course}/scaffolds/new_course/README.md", f"{course}/scaffolds/new_course/roster.csv"):
        assert name in names
    for assignment in ASSIGNMENTS:
        assert f"{course}/assignments/{assignment}/__init__.py" in names
        assert f"{course}/assignments/{assignment}/notebook.j2" in names
        assert f"{course}/solutions/{assignment}.py" in names
    # The solutions are beside the package, never in it: the sandbox shows student code the package.
    assert not [n for n in names if n.startswith("autograder/") and "solutions" in n]
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"autograder", course}
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "course.key"))]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv holding the wheel, and an environment that runs it from outside the checkout."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = venv / Path(sysconfig.get_paths()["purelib"]).relative_to(sys.prefix)
    # The dependencies as they are installed here (their data in share/ too: nbconvert's templates);
    # not our own package or its editable finder.
    shutil.copytree(ours, theirs, copy_function=os.link, dirs_exist_ok=True, ignore=lambda folder, names: [
        n for n in names if Path(folder) == ours and (n.startswith(("__editable__", "optim_autograder", "autograder"))
                                                      or n == "__pycache__")])
    if (Path(sys.prefix) / "share").is_dir():
        shutil.copytree(Path(sys.prefix) / "share", venv / "share", copy_function=os.link, dirs_exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AUTOGRADER_SECRET")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index", "-q",
        wheel, cwd=venv.parent, env=env)
    return venv, env


def test_the_installed_wheel_starts_a_course_and_grades_in_it(installed, tmp_path):
    venv, env = installed
    where = run(venv / "bin" / "python", "-c", "import autograder, sys; print(autograder.__file__); print(sys.path)",
                cwd=tmp_path, env=env).stdout
    assert where.startswith(str(venv))
    assert str(ROOT) not in where

    autograder = venv / "bin" / "autograder"
    run(autograder, "init", "course", cwd=tmp_path, env=env)
    course = tmp_path / "course"
    assert sorted(p.name for p in course.iterdir()) == [
        "README.md", "assignments", "course.toml", "roster.csv", "solutions", "templates"]
    # What notebooks include; every page ships in the package.
    assert [p.name for p in (course / "templates").iterdir()] == ["selfcheck.py.j2"]
    listed = run(autograder, "list", cwd=course, env=env).stdout
    assert [line.split()[0] for line in listed.splitlines() if not line.startswith(" ")] == list(ASSIGNMENTS)

    (course / "roster.csv").write_text("student_id\ns001\ns002\ns003\ns004\n", encoding="utf-8")
    run(autograder, "generate", "momentum_nag", "--roster", "roster.csv", "--out", tmp_path / "release", "--solutions",
        "--jobs", "1", cwd=course, env=env)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(tmp_path / "release" / "s001" / "momentum_nag.solution.ipynb", submissions / "s001.ipynb")
    shutil.copy(tmp_path / "release" / "s002" / "momentum_nag.ipynb", submissions / "s002.ipynb")
    # s004's right answer looks for the installed bundle's solutions first: in the sandbox it must find none.
    bundled = Path(where.splitlines()[0]).parent.parent / "optim_autograder_course" / "solutions"
    assert (bundled / "momentum_nag.py").is_file()
    notebook = json.loads((tmp_path / "release" / "s004" / "momentum_nag.solution.ipynb").read_text(encoding="utf-8"))
    (cell,) = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "gradient_descent"]
    cell["source"] = f"import os\nassert not os.path.exists({str(bundled / 'momentum_nag.py')!r}), 'in sight'\n" \
        + "".join(cell["source"])
    (submissions / "s004.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    graded = run(autograder, "grade", "momentum_nag", submissions, "--roster", "roster.csv", "--out",
                 tmp_path / "graded", "--jobs", "2", cwd=course, env=env)
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "graded" / "grades.csv").open(encoding="utf-8"))}
    assert rows["s001"]["score"] == rows["s001"]["max_score"] != "0"
    assert float(rows["s002"]["score"]) == 0.0
    assert float(rows["s003"]["score"]) == 0.0  # handed nothing in
    assert (tmp_path / "graded" / "s001" / "report.html").is_file() and (tmp_path / "graded" / "summary.html").is_file()
    if "sandbox: bwrap" in graded.stdout:  # without isolation student code reads what the grader reads
        assert rows["s004"]["score"] == rows["s004"]["max_score"], \
            json.loads((tmp_path / "graded" / "s004" / "report.json").read_text())["tasks"][0]["checks"][0]["message"]
