"""Time the copied-work pass (`autograder.similarity.review`) adds to grading a class.

    .venv/bin/python benchmarks/similarity.py [--sizes 100 1000] [--assignment momentum_nag]

Builds classes of N submissions in which every solution function is written in one of a
few styles with the student's own variable names (so that much code is shared, the hard
case), plants one copied pair, and prints the seconds of the pass per class size with its
split (reading the notebooks, fingerprints, pairs) and whether the planted pair was found,
at what score. A benchmark: it asserts nothing and prints numbers.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from autograder.course import Course  # noqa: E402
from autograder.records import Submission  # noqa: E402
from autograder.notebooks import build_notebook, notebook_bytes, with_cell  # noqa: E402
from autograder.similarity import review  # noqa: E402
from autograder.variants import Variant  # noqa: E402
from test_similarity import COPY_OF_A, OWN_A, OWN_C, OWN_D  # noqa: E402

SECRET = b"benchmark-secret"
NAMES = ["path", "traj", "xs", "points", "history", "out", "seq", "states", "thetas", "iterates"]


def make_class(course: Course, name: str, size: int) -> dict[str, Submission]:
    rng = random.Random(0)
    assignment = course.assignment(name)
    styles = [OWN_C, OWN_D, {}]  # the planted pair's code (OWN_A) is theirs alone
    subs = {}
    for number in range(1, size + 1):
        sid = f"s{number:04d}"
        nb = build_notebook(course, assignment, Variant.derive(SECRET, name, sid), solutions=True)
        cells = dict(OWN_A) if number == 1 else dict(COPY_OF_A) if number == 2 else {}
        if number > 2:
            for function in ("gradient_descent", "momentum", "nesterov"):
                style = rng.choice(styles)
                if function in style:
                    cells[function] = style[function].replace("path", rng.choice(NAMES))
        for function, source in cells.items():
            nb = with_cell(nb, function, source)
        subs[sid] = Submission(f"{sid}.ipynb", notebook_bytes(nb))
    return subs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--assignment", default="momentum_nag")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    course = Course(ROOT)
    for size in args.sizes:
        subs = make_class(course, args.assignment, size)
        started = time.perf_counter()
        found = review(course, course.assignment(args.assignment), sorted(subs), subs, SECRET, args.jobs)
        seconds = time.perf_counter() - started
        profile = cProfile.Profile()  # a second run, profiled, for the split (its own times run slower)
        profile.enable()
        review(course, course.assignment(args.assignment), sorted(subs), subs, SECRET, args.jobs)
        profile.disable()
        planted = next((p for p in found.summary.pairs if p.students == ("s0001", "s0002")), None)
        print(f"{size} students: {seconds:.2f} s ({seconds / size * 1000:.1f} ms per student); "
              f"{len(found.summary.pairs)} pairs, {len(found.summary.clusters)} clusters listed; "
              f"planted pair {'found at ' + format(planted.score, '.0%') if planted else 'NOT found'}")
        stats = pstats.Stats(profile)
        for label, function in (("read notebooks", "own_code"), ("fingerprints", "fingerprint"),
                                ("pairs", "similar_pairs"), ("constants", "_variant_signals"), ("parameters", "parameters")):
            total = sum(v[3] for k, v in stats.stats.items() if k[2] == function)
            print(f"    {label:<16} {total:6.2f} s")


if __name__ == "__main__":
    main()
