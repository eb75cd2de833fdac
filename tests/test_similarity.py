"""Copied work: another student's constants or notebook, and similar code across a class.

Flags only: the tests check who is named where and that no score moves."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.records import Submission
from autograder.similarity import review
from autograder.similarity.constants import constant_entries, literals
from autograder.similarity.findings import CopySignal, SideLine
from autograder.variants import Variant

from conftest import ROOT, SECRET, submission_of

TOY = ROOT / "tests" / "fixtures" / "toy_course"
CLASS = [f"s{i:03d}" for i in range(1, 9)]

# Three ways of writing the first three functions, each a student's own. s002 copies s001's,
# renaming every variable, rewording the comments and moving the blank lines.
OWN_A = {
    "gradient_descent": '''def gradient_descent(grad, theta0, lr, steps):
    # keep every point we visit
    path = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        current = path[-1]
        path.append(current - lr * np.asarray(grad(current), dtype=float))
    return np.array(path)''',
    "momentum": '''def momentum(grad, theta0, lr, beta, steps):
    path = [np.array(theta0, dtype=float)]
    velocity = np.zeros_like(path[0])
    for _ in range(steps):
        velocity = beta * velocity - lr * np.asarray(grad(path[-1]), dtype=float)
        path.append(path[-1] + velocity)
    return np.array(path)''',
    "nesterov": '''def nesterov(grad, theta0, lr, beta, steps):
    path = [np.array(theta0, dtype=float)]
    velocity = np.zeros_like(path[0])
    for _ in range(steps):
        ahead = path[-1] + beta * velocity
        velocity = beta * velocity - lr * np.asarray(grad(ahead), dtype=float)
        path.append(path[-1] + velocity)
    return np.array(path)''',
}
COPY_OF_A = {
    "gradient_descent": '''def gradient_descent(grad, theta0, lr, steps):
    traj = [np.array(theta0, dtype=float)]   # the trajectory

    for k in range(steps):
        here = traj[-1]
        traj.append(here - lr * np.asarray(grad(here), dtype=float))
    return np.array(traj)''',
    "momentum": '''def momentum(grad, theta0, lr, beta, steps):
    traj = [np.array(theta0, dtype=float)]
    m = np.zeros_like(traj[0])  # momentum starts at rest
    for k in range(steps):
        m = beta * m - lr * np.asarray(grad(traj[-1]), dtype=float)
        traj.append(traj[-1] + m)

    return np.array(traj)''',
    "nesterov": '''def nesterov(grad, theta0, lr, beta, steps):
    traj = [np.array(theta0, dtype=float)]
    m = np.zeros_like(traj[0])
    for k in range(steps):
        look = traj[-1] + beta * m
        m = beta * m - lr * np.asarray(grad(look), dtype=float)
        traj.append(traj[-1] + m)
    return np.array(traj)''',
}
OWN_C = {
    "gradient_descent": '''def gradient_descent(grad, theta0, lr, steps):
    theta0 = np.asarray(theta0, dtype=float)
    out = np.empty((steps + 1, theta0.size))
    out[0] = theta0
    for t in range(1, steps + 1):
        out[t] = out[t - 1] - lr * np.asarray(grad(out[t - 1]), dtype=float)
    return out''',
    "momentum": '''def momentum(grad, theta0, lr, beta, steps):
    theta0 = np.asarray(theta0, dtype=float)
    out = np.empty((steps + 1, theta0.size))
    out[0], m = theta0, 0.0
    t = 1
    while t <= steps:
        m = beta * m - lr * np.asarray(grad(out[t - 1]), dtype=float)
        out[t] = out[t - 1] + m
        t += 1
    return out''',
}
OWN_D = {
    "gradient_descent": '''def gradient_descent(grad, theta0, lr, steps):
    x = np.array(theta0, dtype=float)
    xs = np.zeros((steps + 1, len(x)))
    xs[0, :] = x
    for i in range(steps):
        x = x - lr * np.array(grad(x), dtype=float)
        xs[i + 1, :] = x
    return xs''',
}


def momentum_class(course, plans: dict[str, dict]) -> dict[str, Submission]:
    return {sid: Submission(f"{sid}.ipynb", submission_of(course, "momentum_nag", sid, cells=plans.get(sid, {})))
            for sid in CLASS}


def test_a_planted_copy_with_renamed_variables_is_the_one_pair_found(course):
    found = review(course, course.assignment("momentum_nag"), CLASS,
                   momentum_class(course, {"s001": OWN_A, "s002": COPY_OF_A, "s003": OWN_C, "s004": OWN_D}), SECRET)
    pairs = found.summary.pairs
    assert [p.students for p in pairs] == [("s001", "s002")]
    assert pairs[0].score >= 0.9
    left, right = pairs[0].sides
    assert SideLine(4, "        current = path[-1]", True) in left
    assert any(line.match and "here = traj[-1]" in line.text for line in right)
    assert found.warnings["s001"] == (f"Much of your code ({pairs[0].score:.0%}) matches student s002's; a person "
                                      "will look at it; it does not change your score.",)
    assert "student s001's" in found.warnings["s002"][0]
    assert set(found.warnings) == {"s001", "s002"}
    assert found.summary.clusters == ()


def test_three_students_sharing_one_solution_form_a_cluster(course):
    plans = {"s001": OWN_A, "s002": COPY_OF_A, "s005": {**COPY_OF_A, "momentum": OWN_A["momentum"]}}
    found = review(course, course.assignment("momentum_nag"), CLASS, momentum_class(course, plans), SECRET)
    assert found.summary.clusters == (("s001", "s002", "s005"),)


def test_reference_code_everyone_has_is_nobodys_and_flags_no_one(course):
    found = review(course, course.assignment("momentum_nag"), CLASS, momentum_class(course, {}), SECRET)
    assert found.summary.pairs == () and found.warnings == {}


def test_the_same_review_twice_gives_the_same_figures(course):
    subs = momentum_class(course, {"s001": OWN_A, "s002": COPY_OF_A, "s003": OWN_C})
    first = review(course, course.assignment("momentum_nag"), CLASS, subs, SECRET)
    assert review(course, course.assignment("momentum_nag"), CLASS, subs, SECRET).summary == first.summary


def test_code_computing_with_another_students_constants_names_both(course):
    other = course.assignment("critical_points").parameters(Variant.derive(SECRET, "critical_points", "s004"))
    body = (f"def loss_gradient(w):\n    w1, w2 = w\n    r = {other['Y_HAT']!r} - w1 * w2 * {other['X']!r}\n"
            f"    return np.array([-2 * r * w2 * {other['X']!r}, -2 * r * w1 * {other['X']!r}])")
    subs = {sid: Submission(f"{sid}.ipynb", submission_of(course, "critical_points", sid)) for sid in CLASS}
    subs["s001"] = Submission("s001.ipynb", submission_of(course, "critical_points", "s001",
                                                          cells={"loss_gradient": body}))
    found = review(course, course.assignment("critical_points"), CLASS, subs, SECRET)
    assert found.warnings["s001"] == ("Your code computes with student s004's constants (X, Y_HAT), not your own; "
                                      "a person will look at it; it does not change your score.",)
    assert found.warnings["s004"] == ("Student s001's submission computes with your constants (X, Y_HAT); a person "
                                      "will look at it; it does not change your score.",)
    assert found.summary.signals == (CopySignal(("s001", "s004"), "s001's code holds s004's constants (X, Y_HAT)"),)


def test_one_matching_number_or_round_numbers_name_nobody():
    entries = constant_entries({"X": 1.24, "Y_HAT": 0.5, "THETA0": [2.0, -2.2]})
    assert sorted(entries) == [-2.2, 1.24]  # 0.5 and 2.0 are everyone's numbers
    assert entries[-2.2] == ["THETA0[1]"]
    assert literals("x = -2.2 * w + 1e-5 + 3 - 1.24") == {-2.2, 1.24}


@pytest.mark.slow
def test_a_notebook_generated_for_another_student_names_both_in_reports_and_summary(tmp_path, toy):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a1.ipynb").write_bytes(submission_of(toy, "toy", "a1", owner="b2"))
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\na1\nb2\n")
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    args = ["grade", "toy", str(subs), "--roster", str(roster), "--out", str(tmp_path / "out"), "--jobs", "1",
            "--course", str(TOY), "--secret-file", str(secret)]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    a1 = json.loads((tmp_path / "out" / "a1" / "report.json").read_text())
    b2 = json.loads((tmp_path / "out" / "b2" / "report.json").read_text())
    assert any("generated for student b2" in w for w in a1["warnings"])
    assert b2["warnings"] == ["Student a1 handed in a notebook generated for you; a person will look at it; it does "
                              "not change your score."]
    assert a1["score"] == a1["max_score"]  # flagged, never marked down
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "a1 handed in the notebook generated for b2" in summary
    # A second run finds the same, and does not pile the class-wide warning up.
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    assert json.loads((tmp_path / "out" / "b2" / "report.json").read_text())["warnings"] == b2["warnings"]
