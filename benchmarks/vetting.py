"""How long `autograder vet` takes for a class, and what it flags; optionally the mutation score.

    .venv/bin/python benchmarks/vetting.py [--assignment critical_points momentum_nag] [--students 400]
                                           [--jobs 2] [--mutants | --mutants-only] [--out DIR]

Prints, per assignment: the wall time of vetting the class (every student's reference,
self-checks, stub and known mistakes graded in the sandbox), the time per variant, how many
notebooks were graded, the variants that fail and why, each measure's range across the
class; with --mutants, the mutation score, the survivors and the mutants whose verdict
depends on the variant, every mutant graded on every variant, and how long that took;
--mutants-only skips the rest (`make bench` runs it on a class of 100). A benchmark, not a
test: it asserts nothing and prints numbers. DIR keeps vetting.json and vetting.html per
assignment.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.batch import default_jobs  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.demo import load_mistakes  # noqa: E402
from autograder.instructor.mutation import mutation_report  # noqa: E402
from autograder.instructor.vetting import vet_class, write_vetting  # noqa: E402
from autograder.roster import Roster  # noqa: E402
from autograder.sandbox import choose_sandbox  # noqa: E402

SECRET = b"benchmark-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", nargs="+", default=["critical_points", "momentum_nag"])
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--mutants", action="store_true")
    parser.add_argument("--mutants-only", action="store_true", help="only the mutants, every one on every variant")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    course = Course(ROOT)
    sandbox, why = choose_sandbox(False)
    out = args.out or Path(tempfile.mkdtemp(prefix="vetting-"))
    ids = [f"v{k:04d}" for k in range(args.students)]
    roster = Roster(("student_id",), tuple({"student_id": sid} for sid in ids))
    print(f"{args.students} students, --jobs {args.jobs}, sandbox {sandbox}{f' ({why})' if why else ''}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for name in args.assignment:
        if args.mutants_only:
            print_mutants(name, mutation_report(course, name, ids, SECRET, jobs=args.jobs, sandbox=sandbox,
                                                say=lambda line: None), args.students)
            continue
        vetting = vet_class(course, name, roster, SECRET, jobs=args.jobs, sandbox=sandbox, say=lambda line: None)
        data = vetting.as_json()
        notebooks = args.students * (2 + len(load_mistakes(course, name)))
        print(f"\n{name}: vetted in {vetting.seconds:.1f} s ({vetting.seconds / args.students:.2f} s per variant, "
              f"{notebooks} notebooks graded, {notebooks / vetting.seconds:.1f} per second); "
              f"{data['passed']} pass, {data['failed']} fail")
        for variant in vetting.failed:
            for problem in variant.problems:
                print(f"    {variant.student_id}: {problem}")
        for measure in data["measures"]:
            print(f"    {measure['name']:<20} min {measure['min']:<10.4g} max {measure['max']:<10.4g} "
                  f"declared {measure['range']:<16} outside: {len(measure['outside'])}")
        if args.mutants:
            data["mutants"] = mutation_report(course, name, ids, SECRET, jobs=args.jobs, sandbox=sandbox)
            print_mutants(name, data["mutants"], args.students)
        write_vetting(data, out / name, course)
    if not args.mutants_only:
        print(f"\nvetting.html and vetting.json of each assignment under {out}")


def print_mutants(name: str, report: dict, students: int) -> None:
    print(f"{name}: {report['total']} mutants on each of {students} variants in {report['seconds']:.1f} s "
          f"({report['seconds'] / students:.2f} s per variant): caught {report['caught']}, equivalent "
          f"{report['equivalent']}, survived {report['survived']}, inconsistent {report['inconsistent']}: score "
          f"{100 * report['score']:.1f}%, caught and named {100 * report['named_share']:.1f}%")
    for mutant in report["mutants"]:
        if mutant["status"] in ("survived", "inconsistent"):
            print(f"    {mutant['status']} {mutant['task']}: {mutant['before']}  →  {mutant['after']}")


if __name__ == "__main__":
    main()
