"""The Gradescope bundle: its contents, and its run_autograder in a folder laid out like /autograder."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.integrations.gradescope import ROOT_ENV

from conftest import ROOT, SECRET, submission_of

TOY = ROOT / "tests" / "fixtures" / "toy_course"
pytestmark = pytest.mark.slow  # run_autograder is a script: every case starts it
# Gradescope's documented results.json fields (gradescope-autograders.readthedocs.io/en/latest/specs/).
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
              "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
               "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    (folder / "secret").write_bytes(SECRET)
    out = folder / "toy-autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", "toy", "--out", str(out), "--course", str(TOY),
                                       "--secret-file", str(folder / "secret")])
    assert result.exit_code == 0, result.output
    return out


def run_autograder(bundle: Path, root: Path, notebook: bytes | None, metadata: dict) -> dict:
    """What Gradescope does after setup.sh: unpack, copy run_autograder, provide the submission, run it."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    if notebook is not None:
        (root / "submission" / "toy.ipynb").write_bytes(notebook)
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    env = {**os.environ, ROOT_ENV: str(root), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def check_schema(results: dict) -> None:
    assert set(results) <= TOP_FIELDS, set(results) - TOP_FIELDS
    assert isinstance(results["score"], float) and isinstance(results["output"], str)
    assert results["stdout_visibility"] in VISIBILITIES
    assert {results["output_format"], results["test_output_format"]} <= FORMATS
    for test in results["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["visibility"] in VISIBILITIES and test["status"] in {"passed", "failed"}


def test_bundle_holds_scripts_engine_course_and_a_private_secret(bundle):
    with zipfile.ZipFile(bundle) as archive:
        modes = {info.filename: stat.S_IMODE(info.external_attr >> 16) for info in archive.infolist()}
        assert archive.read("course/course.key").strip() == SECRET
        setup = archive.read("setup.sh").decode()
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes["course/course.key"] == 0o600
    assert {"engine/pyproject.toml", "engine/autograder/grading.py", "engine/autograder/sandbox/inside.py",
            "course/assignments/toy/__init__.py", "course/assignments/toy/notebook.j2",
            "course/solutions/toy.py"} <= set(modes)
    assert not any(name.startswith("course/solutions/") and name != "course/solutions/toy.py" for name in modes)
    assert "bubblewrap" in setup and 'chmod 700 "$SOURCE/course"' in setup


def test_run_autograder_grades_the_sids_variant(bundle, tmp_path, toy):
    notebook = submission_of(toy, "toy", "4711", cells={"scaled": "def scaled(x):\n    return np.asarray(x, dtype=float)"})
    results = run_autograder(bundle, tmp_path, notebook,
                             {"users": [{"email": "ada@example.org", "sid": "4711", "name": "Ada"}]})
    check_schema(results)
    assert results["score"] == 1.0
    tests = {t["name"]: t for t in results["tests"]}
    assert (tests["scaled"]["score"], tests["scaled"]["max_score"], tests["scaled"]["status"]) == (0.0, 3.0, "failed")
    assert "FAIL scaled on random input #1" in tests["scaled"]["output"]
    assert "Known mistake: the unscaled input" in tests["scaled"]["output"]
    assert tests["value_at_origin"]["status"] == "passed"
    assert "Warning" not in results["output"]  # the notebook is 4711's own, so nothing to flag


def test_run_autograder_falls_back_to_email_and_flags_a_foreign_notebook(bundle, tmp_path, toy):
    notebook = submission_of(toy, "toy", "ada@example.org", owner="someone-else")
    results = run_autograder(bundle, tmp_path, notebook, {"users": [{"email": "ada@example.org", "sid": None}]})
    check_schema(results)
    assert results["score"] == 4.0
    assert "generated for student someone-else, not for ada@example.org" in results["output"]


def test_run_autograder_without_a_notebook_scores_zero_and_says_so(bundle, tmp_path):
    results = run_autograder(bundle, tmp_path, None, {"users": [{"sid": "4711"}]})
    check_schema(results)
    assert results["score"] == 0.0 and "No submission was found" in results["output"]
