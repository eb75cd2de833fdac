"""`autograder export`: grades.csv, a Canvas import and a Moodle import, from the gradebook."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.gradebook import Gradebook
from autograder.records import Report, TaskResult

from conftest import ROOT

TOY = ROOT / "tests" / "fixtures" / "toy_course"
ROSTER = "student_id,name,email,section\ns1,\"Lovelace, Ada\",ada@example.org,A\ns2,\"Turing, Alan\",alan@example.org,B\n"


def report(sid: str, scaled: float, origin: float, status: str = "graded") -> Report:
    tasks = (TaskResult("scaled", "", scaled, 3.0), TaskResult("value_at_origin", "", origin, 1.0))
    return Report(sid, "toy", "Toy assignment", status, None, True, scaled + origin, 4.0, "bwrap", "v", "0.1.0",
                  None, tasks=tasks)


@pytest.fixture()
def gradebook(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.store(report("s1", 2.5, 1.0), "key")
    book.store(report("s2", 0.0, 0.0, status="ungradable"), "key")
    book.close()
    return tmp_path / "gradebook.sqlite"


def export(tmp_path, gradebook, roster_text: str, *options: str):
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text)
    out = tmp_path / "export.csv"
    result = CliRunner().invoke(main, ["export", "toy", "--gradebook", str(gradebook), "--roster", str(roster),
                                       "--out", str(out), "--course", str(TOY), *options])
    return result, out


def test_csv_is_our_grades_csv(tmp_path, gradebook):
    result, out = export(tmp_path, gradebook, ROSTER, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        "student_id,score,max_score,scaled,value_at_origin,status,late,name,email,section",
        's1,3.5,4,2.5,1,graded,,"Lovelace, Ada",ada@example.org,A',
        's2,0,4,0,0,ungradable,,"Turing, Alan",alan@example.org,B',
    ]


def test_canvas_has_its_student_columns_one_assignment_column_and_points_possible(tmp_path, gradebook):
    result, out = export(tmp_path, gradebook, ROSTER, "--format", "canvas", "--canvas-assignment-id", "12345")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,toy (12345)",
        "Points Possible,,,,,4",
        '"Lovelace, Ada",,s1,,A,3.5',
        '"Turing, Alan",,s2,,B,0',
    ]


def test_canvas_ids_come_from_the_rosters_columns_by_any_of_their_names(tmp_path, gradebook):
    roster = "student_id,name,canvas_user_id,username\ns1,Ada,901,ada\ns2,Alan,902,alan\n"
    result, out = export(tmp_path, gradebook, roster, "--format", "canvas")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[2:] == ["Ada,901,,ada,,3.5", "Alan,902,,alan,,0"]


def test_a_student_who_handed_nothing_in_is_missing_not_ungradable(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.store(report("s1", 2.5, 1.0), "key")
    book.store(Report("s2", "toy", "Toy assignment", "ungradable", "No submission was found for this student.",
                      False, 0.0, 4.0, "bwrap", "v", "0.1.0", None), "key")
    book.close()
    result, out = export(tmp_path, tmp_path / "gradebook.sqlite", ROSTER, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert [line.split(",")[5] for line in out.read_text().splitlines()[1:]] == ["graded", "missing"]


def test_canvas_takes_ids_from_roster_columns_and_names_a_new_column_by_the_assignment(tmp_path, gradebook):
    roster = "student_id,first_name,last_name,sis_login_id\ns1,Ada,Lovelace,ada\ns2,Alan,Turing,alan\n"
    result, out = export(tmp_path, gradebook, roster, "--format", "canvas")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,toy",
        "Points Possible,,,,,4",
        '"Lovelace, Ada",,,ada,,3.5',
        '"Turing, Alan",,,alan,,0',
    ]


def test_moodle_identifies_by_email_and_keeps_tasks_and_roster_columns(tmp_path, gradebook):
    result, out = export(tmp_path, gradebook, ROSTER, "--format", "moodle")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [
        "email,toy,toy: scaled,toy: value_at_origin,student_id,name,section",
        'ada@example.org,3.5,2.5,1,s1,"Lovelace, Ada",A',
        'alan@example.org,0,0,0,s2,"Turing, Alan",B',
    ]


def test_moodle_without_an_identifier_column_uses_student_id_as_idnumber(tmp_path, gradebook):
    result, out = export(tmp_path, gradebook, "student_id\ns1\ns2\n", "--format", "moodle")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[:2] == ["idnumber,toy,toy: scaled,toy: value_at_origin", "s1,3.5,2.5,1"]


def test_a_roster_student_without_a_grade_is_an_error_for_people(tmp_path, gradebook):
    result, out = export(tmp_path, gradebook, ROSTER + "s3,Someone,s3@example.org,C\n", "--format", "canvas")
    assert result.exit_code == 2 and not out.exists()
    assert "no grade of toy for s3" in result.output and "autograder grade" in result.output
