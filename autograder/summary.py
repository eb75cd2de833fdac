"""The class view: what the summary page shows, computed from the reports alone."""

from __future__ import annotations

from collections import Counter

from .assignment import Assignment


def class_summary(assignment: Assignment, reports: list[dict], sandbox: str, grader_version: str) -> dict:
    graded = [r for r in reports if r["status"] == "graded"]
    checks: dict[tuple[str, str], list[int]] = {}
    mistakes: Counter = Counter()
    for report in graded:
        seen = set()
        for task in report["tasks"]:
            for check in task["checks"]:
                tally = checks.setdefault((task["name"], check["name"]), [0, 0])
                tally[0 if check["passed"] else 1] += 1
                if check.get("mistake"):
                    seen.add((check["mistake"], task["name"]))
        mistakes.update(seen)  # a student counts once per mistake, however many checks show it
    tasks = []
    for task in assignment.tasks:
        scores = [t["score"] for r in graded for t in r["tasks"] if t["name"] == task.name]
        tasks.append({"name": task.name, "max_score": task.points,
                      "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0})
    return {
        "assignment": assignment.name,
        "title": assignment.title,
        "max_score": assignment.max_score,
        "grader_version": grader_version,
        "sandbox": sandbox,
        "students": [
            {"student_id": r["student_id"], "status": r["status"], "submitted": r.get("submitted", True),
             "score": r["score"], "max_score": r["max_score"], "reason": r.get("reason"),
             "warnings": r.get("warnings", []), "late": bool(r.get("late"))}
            for r in reports
        ],
        "tasks": tasks,
        "checks": [{"task": t, "name": n, "passed": p, "failed": f} for (t, n), (p, f) in checks.items()],
        "mistakes": [{"mistake": m, "task": t, "students": n}
                     for (m, t), n in sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))],
    }
