"""Reading LMS bulk downloads: files named exactly as Canvas, Moodle, Blackboard and Gradescope name them,
as a zip and unpacked, matched to a roster with accents, apostrophes, spaces and a shared name."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import zipfile
from datetime import datetime, timezone, timedelta

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.intake import find_submissions
from autograder.intake.matcher import canvas_name
from autograder.roster import read_roster

from conftest import ROOT, SECRET, submission_of

TOY = ROOT / "tests" / "fixtures" / "toy_course"

ROSTER = """student_id,name,email,username,canvas_id
s001,Seán O'Brien,sean.obrien@uni.example,sobrien,40001
s002,Zoë Ångström-Lind,zoe.al@uni.example,zangstrom,40002
s003,Mary Ann de la Cruz,mary.delacruz@uni.example,mdelacruz,40003
s004,John Smith,john.smith1@uni.example,jsmith1,40004
s005,John Smith,john.smith2@uni.example,jsmith2,40005
s006,Li Wei,li.wei@uni.example,l_wei,40006
"""


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return read_roster(path)


def lay_out(tmp_path, files: dict[str, bytes], as_zip: bool):
    """The download as the TA has it: the LMS's zip, or that zip unpacked into a folder."""
    if as_zip:
        path = tmp_path / "download.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                archive.writestr(zipfile.ZipInfo(name, (2025, 3, 15, 12, 0, 0)), data)
        return path
    folder = tmp_path / "download"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def notebook(tag: str) -> bytes:
    return json.dumps({"nbformat": 4, "tag": tag}).encode()


def graded_tags(intake) -> dict[str, str]:
    return {sid: json.loads(sub.data)["tag"] for sid, sub in intake.by_student.items()}


# --- Canvas -------------------------------------------------------------------------------

CANVAS = {
    "obrienseán_40001_9000101_critical_points.ipynb": notebook("sean"),
    # A resubmission: Canvas appends -1 to the uploaded name; the higher attachment id is the newer file.
    "ångströmlindzoë_LATE_40002_9000102_critical_points-1.ipynb": notebook("zoe-new"),
    "ångströmlindzoë_LATE_40002_9000088_critical_points.ipynb": notebook("zoe-old"),
    "cruzmaryanndela_40003_9000103_My Notebook (final).ipynb": notebook("mary"),
    "smithjohn_40004_9000105_hw.ipynb": notebook("john1"),
    # A user id the roster does not have: the name is tried next, and two students share it.
    "smithjohn_40099_9000104_hw.ipynb": notebook("john?"),
    "anon_x7k2p_9000106_hw.ipynb": notebook("anonymous"),
    "weili_40006_9000107_notes.pdf": b"%PDF-1.4",
    "weili_40006_text.html": b"<p>see attachment</p>",
}


@pytest.mark.parametrize("as_zip", [True, False])
def test_canvas_download_by_user_id_with_late_marks_and_resubmissions(tmp_path, roster, as_zip):
    intake = find_submissions(lay_out(tmp_path, CANVAS, as_zip), "critical_points", roster)
    assert intake.layout == 'Canvas "Download Submissions"'
    assert "highest Canvas attachment id" in intake.rule
    assert graded_tags(intake) == {"s001": "sean", "s002": "zoe-new", "s003": "mary", "s004": "john1"}
    assert [sid for sid, sub in intake.by_student.items() if sub.late] == ["s002"]
    problems = "\n".join(intake.problems)
    assert ("s002: 2 notebooks; graded ångströmlindzoë_LATE_40002_9000102_critical_points-1.ipynb, "
            "not ångströmlindzoë_LATE_40002_9000088_critical_points.ipynb") in problems
    assert ("smithjohn_40099_9000104_hw.ipynb: its Canvas name matches several roster students (s004, s005); "
            "not graded") in problems
    assert "anon_x7k2p_9000106_hw.ipynb: an anonymous-grading download names no student" in problems
    assert "weili_40006_9000107_notes.pdf: not a notebook, ignored" in problems
    assert "weili_40006_text.html: not a notebook, ignored" in problems


def test_canvas_without_canvas_ids_in_the_roster_matches_the_sortable_name(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,name\ns001,Seán O'Brien\ns002,\"Ångström-Lind, Zoë\"\n", encoding="utf-8")
    files = {"obrienseán_40001_9000101_cp.ipynb": notebook("sean"),
             "ångströmlindzoë_40002_9000102_cp.ipynb": notebook("zoe"),
             "nobodyelse_40003_9000103_cp.ipynb": notebook("?")}
    intake = find_submissions(lay_out(tmp_path, files, True), "critical_points", read_roster(path))
    assert graded_tags(intake) == {"s001": "sean", "s002": "zoe"}
    assert intake.problems == [
        "nobodyelse_40003_9000103_cp.ipynb: matches no roster student by Canvas user id '40003', Canvas name "
        "'nobodyelse' (the roster has no Canvas user id column); not graded"]


def test_canvas_name_is_written_the_way_canvas_writes_it():
    assert canvas_name("O'Brien, Seán") == "obrienseán"
    assert canvas_name("Ångström-Lind, Zoë") == "ångströmlindzoë"


# --- Moodle -------------------------------------------------------------------------------

MOODLE = {
    "Seán O'Brien_1234567_assignsubmission_file_/critical_points.ipynb": notebook("sean"),
    "Seán O'Brien_1234567_assignsubmission_onlinetext_/onlinetext.html": b"<p>hi</p>",
    "Zoë Ångström-Lind_1234568_assignsubmission_file_/Copy of critical_points.ipynb": notebook("zoe"),
    "Mary Ann de la Cruz_1234571_assignsubmission_file_/sub folder/cp.ipynb": notebook("mary"),
    "John Smith_1234569_assignsubmission_file_/cp.ipynb": notebook("john?"),
    "Participant_1234570_assignsubmission_file_/cp.ipynb": notebook("blind"),
}


@pytest.mark.parametrize("as_zip", [True, False])
def test_moodle_download_in_folders_by_full_name(tmp_path, roster, as_zip):
    intake = find_submissions(lay_out(tmp_path, MOODLE, as_zip), "critical_points", roster)
    assert intake.layout == 'Moodle "Download all submissions"'
    assert graded_tags(intake) == {"s001": "sean", "s002": "zoe", "s003": "mary"}
    problems = "\n".join(intake.problems)
    assert ("John Smith_1234569_assignsubmission_file_/cp.ipynb: its name matches several roster students "
            "(s004, s005)") in problems
    assert "Participant_1234570_assignsubmission_file_/cp.ipynb: blind marking hides who this is" in problems
    assert "onlinetext.html: not a notebook, ignored" in problems
    assert not any(sub.late for sub in intake.by_student.values())


def test_moodle_flattened_and_decomposed_names_from_a_mac(tmp_path, roster):
    # "Download submissions in folders" off; the zip re-packed on macOS, which writes é as e + ◌́.
    files = {unicodedata.normalize("NFD", "Seán O'Brien_1234567_assignsubmission_file_critical_points.ipynb"):
             notebook("sean"),
             "Li Wei_1234572_assignsubmission_file_cp.ipynb": notebook("li")}
    intake = find_submissions(lay_out(tmp_path, files, True), "critical_points", roster)
    assert graded_tags(intake) == {"s001": "sean", "s006": "li"}


# --- Blackboard ---------------------------------------------------------------------------

def blackboard_txt(name: str, username: str, when: str, original: str, stored: str) -> bytes:
    return (f"Name: {name} ({username})\nAssignment: Critical Points\nDate Submitted: {when}\n"
            "Current Grade: Needs Grading\n\nSubmission Field:\nThere is no student submission text data for this "
            "assignment.\n\nComments:\nThere are no student comments for this assignment.\n\nFiles:\n"
            f"\tOriginal filename: {original}\n\tFilename: {stored}\n").encode()


BLACKBOARD = {
    "Critical Points_sobrien_attempt_2025-03-14-22-10-05_critical_points.ipynb": notebook("sean-1"),
    "Critical Points_sobrien_attempt_2025-03-14-22-10-05.txt": blackboard_txt(
        "Seán O'Brien", "sobrien", "Friday, 14 March 2025 22:10:05 o'clock CET", "critical_points.ipynb",
        "Critical Points_sobrien_attempt_2025-03-14-22-10-05_critical_points.ipynb"),
    "Critical Points_sobrien_attempt_2025-03-15-09-00-00_critical_points (1).ipynb": notebook("sean-2"),
    "Critical Points_sobrien_attempt_2025-03-15-09-00-00.txt": blackboard_txt(
        "Seán O'Brien", "sobrien", "Saturday, 15 March 2025 09:00:00 o'clock CET", "critical_points (1).ipynb",
        "Critical Points_sobrien_attempt_2025-03-15-09-00-00_critical_points (1).ipynb"),
    # A username with "_" in it: the .txt beside the attempt tells where the assignment's name ends.
    "Critical Points_l_wei_attempt_2025-03-14-20-00-00_cp.ipynb": notebook("li"),
    "Critical Points_l_wei_attempt_2025-03-14-20-00-00.txt": blackboard_txt(
        "Li Wei", "l_wei", "Friday, 14 March 2025 20:00:00 o'clock CET", "cp.ipynb",
        "Critical Points_l_wei_attempt_2025-03-14-20-00-00_cp.ipynb"),
    "Critical Points_zangstrom_attempt_2025-03-14-23-59-59_Zoë's notebook.ipynb": notebook("zoe"),
    "Critical Points_ghost_attempt_2025-03-14-21-00-00_cp.ipynb": notebook("ghost"),
}


@pytest.mark.parametrize("as_zip", [True, False])
def test_blackboard_latest_attempt_counts_and_is_late_against_due(tmp_path, roster, as_zip):
    due = datetime(2025, 3, 14, 23, 59, 59, tzinfo=timezone(timedelta(hours=1)))
    intake = find_submissions(lay_out(tmp_path, BLACKBOARD, as_zip), "critical_points", roster, due=due)
    assert intake.layout == "Blackboard assignment download"
    assert "the latest attempt" in intake.rule
    assert graded_tags(intake) == {"s001": "sean-2", "s002": "zoe", "s006": "li"}
    assert {sid: sub.late for sid, sub in intake.by_student.items()} == {"s001": True, "s002": False, "s006": False}
    # the attempt time as report.json keeps it: ISO 8601, without an offset, as Blackboard names it
    assert intake.by_student["s001"].submitted_at == "2025-03-15T09:00:00"
    problems = "\n".join(intake.problems)
    assert "s001: 2 notebooks; graded Critical Points_sobrien_attempt_2025-03-15-09-00-00_critical_points (1).ipynb" \
        in problems
    assert ("Critical Points_ghost_attempt_2025-03-14-21-00-00_cp.ipynb: matches no roster student by username "
            "'ghost', student id 'ghost'; not graded") in problems
    assert ".txt" not in problems


def test_blackboard_without_due_marks_nothing_late(tmp_path, roster):
    intake = find_submissions(lay_out(tmp_path, BLACKBOARD, True), "critical_points", roster)
    assert not any(sub.late for sub in intake.by_student.values())


# --- Gradescope ---------------------------------------------------------------------------

GRADESCOPE_METADATA = """\
submission_100001:
  :submitters:
  - :name: Seán O'Brien
    :sid: s001
    :email: sean.obrien@uni.example
  :created_at: 2025-03-14 23:58:01.123456000 -07:00
  :score: 0.0
  :history: []
submission_100002:
  :submitters:
  - :name: Zoë Ångström-Lind
    :sid: ''
    :email: Zoe.AL@uni.example
  :created_at: 2025-03-15 08:00:00.000000000 -07:00
  :score: 0.0
  :history:
  - !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    :id: 99
    :created_at: 2025-03-14 20:00:00.000000000 -07:00
    :score: 0.0
submission_100004:
  :submitters:
  - :name: Nobody Known
    :sid: x999
    :email: nobody@elsewhere.example
  :created_at: 2025-03-14 10:00:00.000000000 -07:00
"""


@pytest.mark.parametrize("as_zip", [True, False])
def test_gradescope_export_by_sid_then_email(tmp_path, roster, as_zip):
    files = {"assignment_4242_export/submission_metadata.yml": GRADESCOPE_METADATA.encode(),
             "assignment_4242_export/submission_100001/critical_points.ipynb": notebook("sean"),
             "assignment_4242_export/submission_100002/critical_points.ipynb": notebook("zoe"),
             "assignment_4242_export/submission_100003/critical_points.ipynb": notebook("orphan"),
             "assignment_4242_export/submission_100004/cp.ipynb": notebook("nobody")}
    due = datetime.fromisoformat("2025-03-15T00:00-07:00")
    intake = find_submissions(lay_out(tmp_path, files, as_zip), "critical_points", roster, due=due)
    assert intake.layout == "Gradescope submissions export"
    assert graded_tags(intake) == {"s001": "sean", "s002": "zoe"}
    assert {sid: sub.late for sid, sub in intake.by_student.items()} == {"s001": False, "s002": True}
    assert intake.by_student["s002"].submitted_at == "2025-03-15T08:00:00-07:00"
    problems = "\n".join(intake.problems)
    assert "submission_100003/critical_points.ipynb: its folder is not in submission_metadata.yml" in problems
    assert "submission_100004/cp.ipynb: matches no roster student by student id 'x999'" in problems


# --- our own layouts, still ---------------------------------------------------------------

def test_flat_and_nbgrader_layouts_still_read(tmp_path, roster):
    files = {"s001.ipynb": notebook("flat"), "s002/critical_points/any name.ipynb": notebook("nbgrader"),
             "s003/other_assignment/x.ipynb": notebook("elsewhere"), "s009.ipynb": notebook("stranger"),
             ".ipynb_checkpoints/s001-checkpoint.ipynb": notebook("hidden")}
    intake = find_submissions(lay_out(tmp_path, files, False), "critical_points", roster)
    assert graded_tags(intake) == {"s001": "flat", "s002": "nbgrader"}
    assert intake.problems == [
        "s009.ipynb: matches no roster student by student id 's009'; not graded",
        "s003/other_assignment/x.ipynb: neither <student_id>.ipynb nor <student_id>/critical_points/<name>.ipynb, "
        "ignored"]


# --- end to end: a Canvas zip through `grade` ---------------------------------------------

@pytest.mark.slow
def test_grade_a_canvas_zip_writes_late_into_reports_grades_and_summary(tmp_path, toy):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,canvas_id\na1,Seán O'Brien,40001\nb2,Zoë Ångström-Lind,40002\n"
                      "c3,John Smith,40003\n", encoding="utf-8")
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    zip_path = lay_out(tmp_path, {
        "obrienseán_40001_9000101_toy.ipynb": submission_of(toy, "toy", "a1"),
        "ångströmlindzoë_LATE_40002_9000102_toy.ipynb": submission_of(toy, "toy", "b2"),
        "someoneelse_40077_9000103_toy.ipynb": submission_of(toy, "toy", "c3"),
    }, True)
    result = CliRunner().invoke(main, ["grade", "toy", str(zip_path), "--roster", str(roster), "--out",
                                       str(tmp_path / "out"), "--jobs", "1", "--course", str(TOY), "--secret-file",
                                       str(secret)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert 'Read as: Canvas "Download Submissions"' in result.output
    assert "someoneelse_40077_9000103_toy.ipynb: matches no roster student" in result.output
    assert "2 graded, 0 ungradable, 1 without a submission" in result.output
    written = {sid: json.loads((tmp_path / "out" / sid / "report.json").read_text()) for sid in ("a1", "b2", "c3")}
    # "late" only where true, so that a report without LMS data keeps its bytes; Canvas gives no times.
    assert {sid: r.get("late") for sid, r in written.items()} == {"a1": None, "b2": True, "c3": None}
    assert not any("submitted_at" in r for r in written.values())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text())))
    assert [(r["student_id"], r["score"], r["late"]) for r in rows] == [("a1", "4", ""), ("b2", "4", "yes"),
                                                                        ("c3", "0", "")]
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "◷ Late (1)" in summary and "someoneelse_40077_9000103_toy.ipynb" in summary
    assert "<dt>Handed in</dt><dd>late</dd>" in (tmp_path / "out" / "b2" / "report.html").read_text()
