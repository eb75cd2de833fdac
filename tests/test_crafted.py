"""Crafted input, wherever JSON from a student reaches the grader: the notebook, the sandbox's
channel, a submissions folder. Each costs its sender at most their own checks, is never called
the grader's fault, and never stops the class run."""

from __future__ import annotations

import csv
import json
import os

import pytest

from autograder import untrusted_json, wire
from autograder.intake import find_submissions
from autograder.notebooks import Unreadable, read_submission
from autograder.roster import Roster
from autograder.sandbox import Limits

from conftest import SECRET, grade_bytes, submission_of, task_scores

FAST = Limits(cell_timeout=5, call_timeout=3, submission_timeout=60)
BOUNDS = untrusted_json.Bounds(containers=100, items=1_000, depth=10, digits=20)


# --- the decoder on its own ------------------------------------------------------------------

@pytest.mark.parametrize("text, said", [
    ("[" * 50_000 + "]" * 50_000, "holds up to 50,000 objects and lists; at most 100 are read"),
    ("[" * 50 + "]" * 50, "nests objects and lists deeper than 10 levels"),
    ('{"a": ' * 11 + "1" + "}" * 11, "nests objects and lists deeper than 10 levels"),
    ("[" + "1," * 2_000 + "1]", "holds up to 2,001 values; at most 1,000 are read"),
    ('{"n": ' + "9" * 5_000 + "}", "has an integer of 5,000 digits; at most 20 are read"),
    ('{"n": -' + "9" * 21 + "}", "has an integer of 21 digits; at most 20 are read"),
    ("[NaN]", "has a bare NaN, which is not JSON"),
    ("{not json", "is not valid JSON (line 1: Expecting property name enclosed in double quotes)"),
    (b"\xff\xfe", "is not UTF-8 text"),
])
def test_the_decoder_refuses_what_is_beyond_its_bounds_saying_which(text, said):
    with pytest.raises(untrusted_json.Refused) as refused:
        untrusted_json.loads(text, BOUNDS, "the file")
    assert str(refused.value) == f"the file {said}"


def test_the_decoder_reads_what_is_within_bounds_as_json_does():
    text = json.dumps({"a": [1, 2.5, -3, "x", None, True, {"b": [[]]}], "n": -12345678901234567890})
    assert untrusted_json.loads(text, BOUNDS) == json.loads(text)


def test_recursion_the_count_did_not_catch_is_refused_too():
    # Brackets inside strings count, so a count bound cannot be fooled into letting depth through;
    # and a depth the interpreter cannot parse is refused, not raised as RecursionError.
    wide = untrusted_json.Bounds(containers=10**6, items=10**6, depth=10**6)
    with pytest.raises(untrusted_json.TooLarge, match="deeper than"):
        untrusted_json.loads("[" * 100_000 + "]" * 100_000, wide)


# --- the notebook ------------------------------------------------------------------------------

def _notebook_with(toy, **metadata) -> bytes:
    nb = json.loads(submission_of(toy, "toy", "s1"))
    nb["metadata"].update(metadata)
    return json.dumps(nb).encode()


@pytest.mark.parametrize("crafted, said", [
    ("[" * 50_000 + "]" * 50_000, "nests objects and lists deeper than 100 levels"),
    ("9" * 5_000, "has an integer of 5,000 digits; at most 100 are read"),
])
def test_a_crafted_notebook_is_unreadable_with_a_reason(toy, crafted, said):
    data = _notebook_with(toy).replace(b'"metadata": {', b'"metadata": {"x": ' + crafted.encode() + b", ", 1)
    with pytest.raises(Unreadable) as unreadable:
        read_submission(data)
    assert said in str(unreadable.value) and "clear its outputs and hand it in again" in str(unreadable.value)


@pytest.mark.slow
def test_one_crafted_notebook_costs_its_sender_only_and_the_class_is_written(toy, tmp_path, sandbox):
    from autograder.batch import grade_class

    folder = tmp_path / "subs"
    folder.mkdir()
    honest = ["h1", "h2"]
    for sid in honest:
        (folder / f"{sid}.ipynb").write_bytes(submission_of(toy, "toy", sid))
    nested = _notebook_with(toy).replace(b'"metadata": {', b'"metadata": {"x": ' + b"[" * 50_000 + b"]" * 50_000 +
                                         b", ", 1)
    (folder / "deep.ipynb").write_bytes(nested)
    (folder / "digits.ipynb").write_bytes(_notebook_with(toy).replace(b'"metadata": {', b'"metadata": {"n": ' +
                                                                       b"9" * 5_000 + b", ", 1))
    ids = honest + ["deep", "digits"]
    roster = Roster(("student_id",), tuple({"student_id": sid} for sid in ids))
    said = []
    for _ in range(2):  # and a re-run reads the same folder the same way
        run = grade_class(toy, "toy", roster, folder, tmp_path / "out", SECRET, jobs=2, sandbox=sandbox, limits=FAST,
                          say=said.append)
        assert (run.graded, run.ungradable) == (2, 2)
    reports = {sid: json.loads((tmp_path / "out" / sid / "report.json").read_text()) for sid in ids}
    assert [reports[sid]["score"] for sid in honest] == [4.0, 4.0]
    for sid in ("deep", "digits"):
        assert reports[sid]["status"] == "ungradable" and "grader's fault" not in reports[sid]["reason"]
        assert "clear its outputs and hand it in again" in reports[sid]["reason"]
    with open(tmp_path / "out" / "grades.csv", newline="") as table:
        assert [row["student_id"] for row in csv.DictReader(table)] == ids
    assert (tmp_path / "out" / "summary.html").exists()
    assert not any("failed" in line for line in said), said


@pytest.mark.slow
def test_a_notebook_whose_code_is_too_large_to_run_says_so(toy, sandbox):
    nb = json.loads(submission_of(toy, "toy", "s1"))
    code = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "scaled")
    code["source"] = "# " + "é" * (12 * 2**20 // 2) + "\n" + "".join(code["source"])
    report = grade_bytes(toy, "toy", "s1", json.dumps(nb, ensure_ascii=False).encode(), sandbox, FAST)
    assert report["status"] == "ungradable"
    assert report["reason"].startswith("The notebook's code cells hold 6.3 million characters: more than the grader")
    assert "grader's fault" not in report["reason"]


# --- the sandbox's channel -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("body", [
    'b"[" * 50_000 + b"]" * 50_000',
    'b\'{"event": "result", "status": "ok", "value": \' + b"9" * 5_000 + b"}"',
    'b"[" + b"{}," * (10 * 2**20) + b"{}]"',
], ids=["deep", "digits", "30 MB of empty objects"])
def test_a_crafted_channel_message_costs_only_the_function_that_sent_it(toy, sandbox, body):
    # Made when the function runs (in the notebook, 30 MB would be refused before anything runs).
    code = (f"import os\ndef scaled(x):\n    body = {body}\n    message = len(body).to_bytes(4, 'big') + body\n"
            "    for fd in range(3, 12):\n        try:\n            os.write(fd, message)\n        except OSError:\n"
            "            pass\n    return SCALE * np.asarray(x, dtype=float)")
    report = grade_bytes(toy, "toy", "s1", submission_of(toy, "toy", "s1", cells={"scaled": code}), sandbox, FAST)
    assert report["status"] == "graded" and task_scores(report) == {"scaled": 0.0, "value_at_origin": 1.0}
    message = report["tasks"][0]["checks"][0]["message"]
    assert "not a grader message" in message and "grader's fault" not in message


def test_wire_refuses_crafted_messages_as_protocol_errors():
    for body in (b"[" * 50_000 + b"]" * 50_000, b'{"n": ' + b"9" * 5_000 + b"}", b"[" + b"{}," * 200_000 + b"{}]"):
        with pytest.raises(wire.WireError, match="not a protocol message: the message "):
            wire.loads(body)


# --- a submissions folder ----------------------------------------------------------------------

def test_symbolic_links_in_a_submissions_folder_are_listed_never_followed(toy, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "s1.ipynb").write_bytes(submission_of(toy, "toy", "s1"))
    secret = tmp_path / "root-only.ipynb"
    secret.write_bytes(submission_of(toy, "toy", "s3"))
    os.chmod(secret, 0o600)
    os.symlink(secret, folder / "s2.ipynb")
    os.symlink(folder / "s1.ipynb", folder / "s3.ipynb")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", folder / "s4")
    roster = Roster(("student_id",), tuple({"student_id": sid} for sid in ("s1", "s2", "s3", "s4")))
    intake = find_submissions(folder, "toy", roster)
    assert sorted(intake.by_student) == ["s1"]
    assert [p for p in intake.problems if "symbolic link" in p] == [
        f"{name}: a symbolic link, not followed (copy the file itself into the folder)"
        for name in ("s2.ipynb", "s3.ipynb", "s4")]
