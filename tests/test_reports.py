"""Reports and figures: hostile text stays inert, output is deterministic, blow-ups are
drawn readably and said in words, and the key lines keep their wording."""

from __future__ import annotations

import copy
import dataclasses
import html as markup
import json
import re

import pytest

from autograder.render import plots, reports
from autograder.records import Report
from autograder.assignment import Assignment, Task
from autograder.intake import IntakeNotes
from autograder.similarity.findings import CopySignal, SideLine, SimilarPair, Similarity
from autograder.summary import ClassSummary, StudentLine, class_summary

HOSTILE = '<script>alert("x")</script>'


def quadratic_surface():
    return {"family": "quadratic", "params": {"A": [[2.0, 0.5], [0.5, 1.0]], "c": [0.0, 0.0]}}


def momentum_figure(points, losses=None):
    spec = {
        "kind": "contour",
        "title": "Momentum on your quadratic",
        "surface": quadratic_surface(),
        "xlim": [-3, 3],
        "ylim": [-3, 3],
        "paths": [{"label": "your momentum", "points": points}],
        "points": [{"label": "minimum", "xy": [0, 0]}],
    }
    if losses is not None:
        spec["loss_curves"] = [{"label": "your momentum", "values": losses}]
    return spec


BLOWN_UP = [[-2, 2], [-1, 1], [0.5, -0.4], [40, -20], [1e30, -1e30]]


def check(passed=True, **changes):
    result = {
        "name": "lecture loss at the origin",
        "passed": passed,
        "score": 1.0 if passed else 0.0,
        "max_score": 1.0,
        "visibility": "visible",
        "message": "Correct for theta = [0, 0] (error 3.1e-11)." if passed else
        "For theta = [0.31, -1.2]: your result matches forward differences.",
        "mistake": None if passed else "forward differences",
        "details": {} if passed else {
            "input": "theta = [0.31, -1.2]", "got": "[ 1.250013 -0.499987]", "expected": "[ 1.25 -0.5 ]",
            "error": "1.84e-05", "tolerance": "1e-06 (atol 1e-07 + rtol 1e-06·‖expected‖)",
        },
        "figure": None,
    }
    result.update(changes)
    return result


def report(**changes) -> Report:
    """A report as report.json would hold it, with `changes` to its keys, read into its record."""
    result = {
        "student_id": "s001",
        "assignment": "critical_points",
        "title": "Critical points and saddles",
        "status": "graded",
        "reason": None,
        "submitted": True,
        "score": 17.5,
        "max_score": 20.0,
        "sandbox": "bwrap",
        "variant": "3f2a",
        "grader_version": "0.1.0",
        "submission": {"file": "s001.ipynb", "sha256": "ab" * 32},
        "cell_errors": [],
        "tasks": [{
            "name": "numerical_gradient", "summary": "central-difference gradient", "score": 2.0, "max_score": 3.0,
            "checks": [check(), check(name="hidden quadratic", passed=False, visibility="hidden"), check(name="third")],
        }],
        "warnings": [],
    }
    result.update(changes)
    return Report.from_json(result)


def class_reports() -> list[Report]:
    """Four students: two graded (one flagged), one ungradable, one without a submission."""
    def task(name, score, max_score, *checks):
        return {"name": name, "summary": "", "score": score, "max_score": max_score, "checks": list(checks)}

    forward = {"passed": False, "mistake": "forward differences"}
    return [
        report(student_id="s001", score=17.5, tasks=[
            task("numerical_gradient", 3.0, 3.0, check(name="mostly passed"), check(name="half passed"),
                 check(name="mostly failed", **forward)),
            task("escape_direction", 14.5, 17.0)]),
        report(student_id="s002", score=12.0, warnings=["this notebook was generated for student s001"], tasks=[
            task("numerical_gradient", 1.5, 3.0, check(name="mostly passed"), check(name="half passed", **forward),
                 check(name="mostly failed", **forward)),
            task("escape_direction", 10.5, 17.0, check(name="direction", passed=False, mistake="rare mistake"))]),
        report(student_id="s003", status="ungradable", score=0.0, reason="the submitted file is not valid JSON",
               tasks=[task("numerical_gradient", 0.0, 3.0), task("escape_direction", 0.0, 17.0)]),
        report(student_id="s004", status="ungradable", submitted=False, score=0.0, submission=None,
               reason="No submission was found for this student.", tasks=[]),
    ]


ASSIGNMENT = Assignment("critical_points", "Critical points and saddles",
                        (Task("numerical_gradient", 3.0, ""), Task("escape_direction", 17.0, "")),
                        parameters=None, notebook_context=None, checks=None)


def summary(**changes) -> ClassSummary:
    return dataclasses.replace(class_summary(ASSIGNMENT, class_reports(), "bwrap", "0.1.0"), **changes)


def visible_text(html: str) -> str:
    """The page's text with tags removed and whitespace collapsed, to pin wording."""
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# --- hostile strings ------------------------------------------------------------------

def everywhere_hostile():
    figure = momentum_figure(BLOWN_UP)
    figure["title"] = HOSTILE
    figure["paths"][0]["label"] = HOSTILE
    return report(
        student_id=HOSTILE,
        title=HOSTILE,
        reason=HOSTILE,
        variant=HOSTILE,
        warnings=[HOSTILE],
        cell_errors=[{"cell": HOSTILE, "error": HOSTILE}],
        submission={"file": HOSTILE, "sha256": HOSTILE},
        tasks=[{"name": HOSTILE, "summary": HOSTILE, "score": 0, "max_score": 1, "checks": [
            check(passed=False, name=HOSTILE, message=HOSTILE, mistake=HOSTILE,
                  details={"input": HOSTILE, "got": HOSTILE, HOSTILE: HOSTILE}, figure=figure),
        ]}],
    )


def test_student_text_in_a_report_stays_inert():
    html = reports.render_report_html(everywhere_hostile())
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'alert("x")' not in html  # quotes are escaped too, so attributes cannot be closed


def test_student_text_in_the_summary_stays_inert():
    plain = summary()
    students = list(plain.students)
    students[2] = dataclasses.replace(students[2], reason=HOSTILE)
    students[1] = dataclasses.replace(students[1], warnings=(HOSTILE,))
    hostile = dataclasses.replace(
        plain, title=HOSTILE, students=tuple(students),
        mistakes=(dataclasses.replace(plain.mistakes[0], mistake=HOSTILE), *plain.mistakes[1:]),
        checks=(dataclasses.replace(plain.checks[0], name=HOSTILE), *plain.checks[1:]))
    html = reports.render_summary_html(hostile)
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_late_students_intake_notes_and_copied_work_reach_the_page_through_the_summary():
    marked = class_reports()
    marked[1] = dataclasses.replace(marked[1], late=True)
    side = (SideLine(3, "x = 1", False), SideLine(None, "…", False), SideLine(7, HOSTILE, True))
    s = class_summary(ASSIGNMENT, marked, "bwrap", "0.1.0",
                      intake=IntakeNotes("Canvas download", "the latest upload counts", (f"{HOSTILE}.ipynb: no one",)),
                      similarity=Similarity(0.5, (CopySignal(("s001", "s002"), f"s001's code holds {HOSTILE}"),),
                                            (SimilarPair(("s001", "s002"), 0.9, (0.9, 0.75), (side, side[2:])),),
                                            (("s001", "s002", "s003"),)))
    assert s.counts.late == 1 and [st.student_id for st in s.students if st.late] == ["s002"]
    html = reports.render_summary_html(s)
    text = visible_text(html)
    assert "◷ Late 1" in text and "◷ Late (1) s002" in text
    assert f"not graded alone (1) Canvas download; the latest upload counts. {HOSTILE}.ipynb: no one" in text
    assert "s001 and s002 : 90.0% (90.0% of s001's code, 75.0% of s002's)" in text
    assert "Clusters (1) s001, s002, s003" in text
    assert "<script" not in html and html.count("&lt;script&gt;") == 4  # the file, the signal, both sides' line
    assert "Possibly copied work" not in reports.render_summary_html(summary())


def test_a_student_id_cannot_escape_its_link():
    html = reports.render_summary_html(summary(students=(StudentLine('x"><b>', "graded", 1, 2, 50.0, None, ()),)))
    assert 'href="x%22%3E%3Cb%3E/report.html"' in html
    assert "<b>" not in html


def test_control_and_bidi_characters_are_shown_not_obeyed():
    html = reports.render_report_html(report(warnings=["abc\u202edef\x00\x1b[31m"]))
    assert "abc\\u202edef\\u0000\\u001b[31m" in html
    assert "\u202e" not in html and "\x00" not in html


def test_long_student_text_is_cut():
    html = reports.render_report_html(report(reason="A" * 200_000, status="ungradable", tasks=[]))
    assert "A" * reports.TEXT_LIMIT in html
    assert "A" * (reports.TEXT_LIMIT + 1) not in html
    assert "(196000 more characters not shown)" in html
    assert len(html) < 60_000


def test_long_lists_are_cut_and_counted():
    html = reports.render_report_html(report(warnings=[f"warning {i}" for i in range(80)]))
    assert "warning 49" in html and "warning 50" not in html
    assert "… and 30 more" in html


def test_pages_are_self_contained():
    for html in (reports.render_report_html(report(tasks=[{"name": "momentum", "score": 0, "max_score": 1,
                                                            "checks": [check(figure=momentum_figure(BLOWN_UP))]}])),
                 reports.render_summary_html(summary())):
        assert "http://" not in html and "https://" not in html
        assert "<script" not in html and "<link" not in html and "src=" not in html
        pictures = re.findall(r"<svg .*?</svg>", html, re.S)
        assert pictures and not any("href" in svg or "url(" in svg for svg in pictures)


# --- determinism ----------------------------------------------------------------------

def test_same_report_gives_the_same_bytes(tmp_path):
    data = report(tasks=[{"name": "momentum", "score": 0, "max_score": 1,
                          "checks": [check(figure=momentum_figure(BLOWN_UP, [5, 1, 0.5, 1e3, 1e60]))]}])
    reports.write_report(copy.deepcopy(data), tmp_path / "a")
    plots._surface_grid.cache_clear()
    reports.write_report(copy.deepcopy(data), tmp_path / "b")
    for name in ("report.json", "report.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["report.html", "report.json"]


def test_same_summary_gives_the_same_bytes():
    assert reports.render_summary_html(summary()) == reports.render_summary_html(summary())


def test_same_figure_spec_gives_the_same_svg():
    spec = momentum_figure(BLOWN_UP, [5, 1, 0.5])
    first = plots.draw(spec)
    plots._surface_grid.cache_clear()
    second = plots.draw(copy.deepcopy(spec))
    assert first == second
    assert first.svg.startswith("<svg ") and first.svg.endswith("</svg>")
    assert plots.histogram([1, 2, 2.5], 3) == plots.histogram([1, 2, 2.5], 3)


def test_report_json_is_strict_sorted_json(tmp_path):
    data = report(tasks=[{"name": "momentum", "score": 0, "max_score": 1, "checks": [
        check(figure=momentum_figure([[0, 0], [float("nan"), float("inf")]], [1.0, float("-inf")]))]}])
    reports.write_report(data, tmp_path)
    text = (tmp_path / "report.json").read_text(encoding="utf-8")

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    loaded = json.loads(text, parse_constant=refuse)
    figure = loaded["tasks"][0]["checks"][0]["figure"]
    assert figure["paths"][0]["points"][1] == ["nan", "inf"]
    assert figure["loss_curves"][0]["values"] == [1.0, "-inf"]
    assert text.endswith("}\n") and text.index('"assignment"') < text.index('"student_id"')
    # The page drawn from the strings shows the same cut as from the floats.
    assert "trajectory is not finite (nan or inf) from step 1 on, clipped" in (tmp_path / "report.html").read_text()


# --- figures that blow up -------------------------------------------------------------

def test_a_blown_up_trajectory_is_clipped_and_said():
    picture = plots.draw(momentum_figure(BLOWN_UP))
    assert picture.notes == ("your momentum: trajectory left the window at step 3 (values up to 1e30), clipped",)


def test_a_non_finite_trajectory_is_cut_at_the_first_bad_value():
    points = [[-2, 2], [-1, 1], [9, 9], [float("nan"), 0.0], [0, 0]]
    picture = plots.draw(momentum_figure(points))
    assert picture.notes == (
        "your momentum: trajectory left the window at step 2 (values up to 9) and is not finite "
        "(nan or inf) from step 3 on, clipped",
    )


def test_non_positive_losses_are_shifted_and_said():
    picture = plots.draw(momentum_figure([[-2, 2], [0, 0]], [4.0, -2.0, float("inf")]))
    assert picture.notes == (
        "your momentum: loss is not finite (nan or inf) from step 2 on, cut there",
        "some loss values are ≤ 0: the loss panel shows loss − min + ε (min = -2, ε = 0.006)",
    )


def test_the_clip_note_reaches_the_page():
    data = report(tasks=[{"name": "momentum", "score": 1, "max_score": 1,
                          "checks": [check(figure=momentum_figure(BLOWN_UP))]}])
    text = visible_text(reports.render_report_html(data))
    assert "⚠ your momentum: trajectory left the window at step 3 (values up to 1e30), clipped" in text


def test_a_malformed_figure_costs_the_picture_not_the_report():
    data = report(tasks=[{"name": "momentum", "score": 1, "max_score": 1,
                          "checks": [check(figure={"kind": "bar"})]}])
    text = visible_text(reports.render_report_html(data))
    assert "the figure could not be drawn: unknown figure kind 'bar' (known: 'contour')" in text


@pytest.mark.parametrize("spec, message", [
    ({"kind": "contour", "surface": quadratic_surface(), "xlim": [1, 0], "ylim": [0, 1]},
     "xlim should be finite with low < high, got [1.0, 0.0]"),
    ({"kind": "contour", "surface": {"family": "quadratic", "params": {"A": [[1.0]], "c": [0.0]}},
      "xlim": [0, 1], "ylim": [0, 1]},
     "cannot draw the surface 'quadratic': a contour plot needs a surface of 2 variables, this one has 1"),
    ({"kind": "contour", "surface": quadratic_surface(), "xlim": [0, 1], "ylim": [0, 1],
      "paths": [{"label": "p", "points": [[1, 2, 3]]}]},
     "path 'p' should hold [x, y] pairs, got shape (1, 3)"),
])
def test_malformed_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError) as info:
        plots.draw(spec)
    assert str(info.value) == message


def path_points(d: str) -> list[tuple[int, int]]:
    """Every point a path of the SVG writer visits (M absolute, l and a relative, z closes)."""
    tokens = re.findall(r"[MlaLz]|-?\d+", d)
    points, at, start, command, i = [], (0, 0), (0, 0), None, 0
    while i < len(tokens):
        if tokens[i] in "MlaLz":
            command, i = tokens[i], i + 1
            if command == "z":
                at = start
            continue
        numbers = [int(t) for t in tokens[i:i + (7 if command == "a" else 2)]]
        i += len(numbers)
        if command == "M":
            at = start = (numbers[0], numbers[1])
            command = "L"  # further pairs after a moveto are lines
        elif command == "L":
            at = (numbers[0], numbers[1])
        else:
            at = (at[0] + numbers[-2], at[1] + numbers[-1])
        points.append(at)
    return points


def test_a_path_to_1e30_stays_inside_the_picture():
    picture = plots.draw(momentum_figure(BLOWN_UP, [5, 1, 0.5, 1e3, 1e60]))
    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', picture.svg).groups())
    visited = [p for d in re.findall(r' d="([^"]*)"', picture.svg) for p in path_points(d)]
    assert len(visited) > 100
    assert all(0 <= x <= width and 0 <= y <= height for x, y in visited)


def test_the_axes_are_named_by_the_spec():
    spec = momentum_figure(BLOWN_UP)
    spec["axes"] = ["w₁", "w₂"]
    picture = plots.draw(spec)
    assert ">w₁</text>" in picture.svg and ">w₂</text>" in picture.svg and "θ" not in picture.svg
    assert "over w₁ and w₂" in picture.alt
    assert ">x₁</text>" in plots.draw(momentum_figure(BLOWN_UP)).svg  # a spec without names: neutral ones
    spec["axes"] = ["w₁"]
    with pytest.raises(ValueError, match=r"axes should be two names \[x, y\], got \['w₁'\]"):
        plots.draw(spec)


def test_the_histogram_marks_mean_and_median():
    picture = plots.histogram([1, 2, 2.5, None], 3)
    assert picture.alt == "Histogram of the scores of 3 submitted notebooks, out of 3 points; mean 1.83, median 2."
    assert ">mean 1.83</text>" in picture.svg and ">median 2</text>" in picture.svg
    assert "no scores yet" in plots.histogram([], 20).svg


# --- golden wording -------------------------------------------------------------------

def test_report_key_lines():
    text = visible_text(reports.render_report_html(report(warnings=["graded with your own variant (s001)"],
                                                          cell_errors=[{"cell": "loss_gradient",
                                                                        "error": "NameError: name 'x' is not defined"}])))
    for line in [
        "Grading report · critical_points",
        "Student s001",
        "17.5 / 20 points (87.5%)",
        "⚠ Please note graded with your own variant (s001)",
        "⚠ Cells that failed to run",
        "Cell loss_gradient : NameError: name 'x' is not defined",
        "numerical_gradient — central-difference gradient 2 / 3 points · 2 of 3 checks passed",
        "✓ passed lecture loss at the origin 1 / 1 pts Correct for theta = [0, 0] (error 3.1e-11).",
        "✗ failed hidden quadratic hidden check 0 / 1 pts",
        "Known mistake: forward differences",
        "Input theta = [0.31, -1.2] Your value [ 1.250013 -0.499987] Expected [ 1.25 -0.5 ] Error 1.84e-05 "
        "Tolerance 1e-06 (atol 1e-07 + rtol 1e-06·‖expected‖)",
    ]:
        assert line in text, line
    assert "Weaker isolation" not in text


def test_passing_checks_stay_compact():
    html = reports.render_report_html(report(tasks=[{"name": "t", "score": 1, "max_score": 1, "checks": [
        check(details={"input": "theta = [0, 0]", "expected": "[0. 0.]"})]}]))
    assert "Your value" not in html and "Expected" not in html


def test_weak_sandbox_is_loud():
    text = visible_text(reports.render_report_html(report(sandbox="rlimit-only")))
    assert "⚠ Weaker isolation: resource limits only" in text
    text = visible_text(reports.render_summary_html(summary(sandbox="rlimit-only")))
    assert "⚠ Weaker isolation: resource limits only" in text


def test_ungradable_and_missing_reports_say_why():
    text = visible_text(reports.render_report_html(
        report(status="ungradable", score=0.0, tasks=[], reason="the submitted file is not valid JSON (line 1)")))
    assert "✗ This notebook could not be graded the submitted file is not valid JSON (line 1)" in text
    assert "0 / 20 points (0.0%)" in text
    assert "None of its checks could run." in text
    text = visible_text(reports.render_report_html(report(
        status="ungradable", submitted=False, score=0.0, reason=None,
        tasks=[{"name": "momentum", "score": 0.0, "max_score": 4.0, "checks": []}])))
    assert "✗ No submission No notebook was found for this student." in text
    assert "Task Checks passed Points momentum – 0 / 4 About this report" in text


def test_summary_key_lines():
    html = reports.render_summary_html(summary())
    text = visible_text(html)
    for line in [
        "Students 4", "✓ Graded 2", "✗ Ungradable 1", "– No submission 1", "⚠ Flagged 1",
        "Mean score 9.83", "Median score 12",
        "Scores of the 3 submitted notebooks",
        "numerical_gradient 2.25 3 75.0%",
        "forward differences numerical_gradient 2",
        "✗ Ungradable submissions (1) Student Reason s003 the submitted file is not valid JSON",
        "⚠ Flagged submissions (1) Student Warnings s002 this notebook was generated for student s001",
        "– No submission (1) s004",
        "s002 ✓ graded ⚠ flagged 12 / 20 60.0%",
    ]:
        assert line in text, line
    # Worst check first, most common mistake first (a student counts once per mistake).
    assert text.index("mostly failed") < text.index("half passed") < text.index("mostly passed")
    assert text.index("forward differences") < text.index("rare mistake")
    assert 'href="s001/report.html"' in html and 'href="s004/report.html"' in html


def test_a_course_can_override_a_template(tmp_path):
    (tmp_path / "report.html.j2").write_text("custom {{ report.student_id }}", encoding="utf-8")
    assert reports.render_report_html(report(student_id="<s1>"), tmp_path) == "custom &lt;s1&gt;"
    # Templates the course does not have come from the bundled ones.
    assert "Class summary" in reports.render_summary_html(summary(), tmp_path)


def test_a_report_leads_with_what_failed_and_says_each_cause_once():
    """Failed checks first (the first with its details, the others with their details folded), each
    cause once (the same message or known mistake again is one line), passed checks folded, and a
    jump to the first failure."""
    html = reports.render_report_html(report(tasks=[
        {"name": "numerical_gradient", "score": 1.0, "max_score": 4.0, "checks": [
            check(name="passes first"), check(passed=False, name="first failure"),
            check(passed=False, name="same mistake, other input", message="For theta = [2, 3]: forward."),
            check(passed=False, name="same message", mistake=None),
            check(passed=False, name="another cause", mistake=None, message="For theta = [1, 1]: off by 2.")]}],
        cell_errors=[{"cell": "cell 7", "error": "NameError: x"}]))
    assert html.index("first failure") < html.index("passes first")
    assert html.count("Known mistake:</strong> forward differences") == 1
    assert html.count("The same known mistake as above") == 1 and html.count("Failed for the same reason") == 1
    assert html.count('<details class="more">') == 3 and '<details class="passed">' in html
    assert "off by 2" in html
    assert 'href="#fail-1-1"' in html and 'id="fail-1-1"' in html
    assert "Cell cell" not in html and "Cell 7" in html
