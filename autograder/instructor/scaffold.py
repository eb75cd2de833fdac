"""`autograder init`: a new course directory, made of the bundled one; `autograder new`: a new
assignment with the anatomy every assignment shares, and one worked example task that `vet`
passes as written.

Both copy from the course this distribution ships (`course.BUNDLED`). A new course gets its
assignments, solutions, templates and course.toml, plus the README and sample roster of
``scaffolds/new_course/``. The assignment skeleton lives in ``scaffolds/new_assignment/``;
``__ASSIGNMENT__`` in its paths and files becomes the new assignment's name, ``__TITLE__`` a
first title.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..course import BUNDLED
from ..errors import UserError

# Beside the bundled course, never in the package: the skeleton holds a reference solution, and the
# sandbox shows student code the package's folder.
SKELETON = BUNDLED / "scaffolds" / "new_assignment"
COURSE_EXTRAS = BUNDLED / "scaffolds" / "new_course"  # the README and roster of a new course
SELF_CHECK = BUNDLED / "templates" / "selfcheck.py.j2"  # SelfCheck, which every notebook includes
NAME = re.compile(r"[a-z][a-z0-9_]{0,59}\Z")


def init_course(root: Path) -> list[Path]:
    """Write a course directory at root (created if needed) from the bundled course; the
    top-level entries written. Never overwrites: an existing entry of the same name refuses all."""
    sources = {name: BUNDLED / name for name in ("assignments", "solutions", "templates", "course.toml")}
    sources.update((path.name, path) for path in sorted(COURSE_EXTRAS.iterdir()))
    if root.exists() and not root.is_dir():
        raise UserError(f"{root} is a file, not a folder for a course")
    existing = [name for name in sources if (root / name).exists()]
    if existing:
        raise UserError(f"{root} already holds {', '.join(existing)}; `init` never overwrites a course")
    root.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name, source in sources.items():
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=skip)
        else:
            shutil.copyfile(source, root / name)
    return [root / name for name in sources]


def scaffold(course_root: Path, name: str) -> list[Path]:
    """Write assignments/<name>/ and solutions/<name>.py under course_root; the paths written."""
    if not NAME.match(name):
        raise UserError(f"an assignment's name is a Python module name in lower case (letters, digits, _), "
                        f"starting with a letter; {name!r} is not")
    targets = {path: course_root / _substitute(path.relative_to(SKELETON).as_posix(), name)
               for path in sorted(SKELETON.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}
    existing = [str(t) for t in (course_root / "assignments" / name, course_root / "solutions" / f"{name}.py")
                if t.exists()]
    if existing:
        raise UserError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                        "`new` never overwrites an assignment")
    for source, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_substitute(source.read_text(encoding="utf-8"), name), encoding="utf-8")
    written = list(targets.values())
    # The self-check helper the notebook includes, for a course that does not have it yet.
    helper = course_root / "templates" / SELF_CHECK.name
    if not helper.exists():
        helper.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SELF_CHECK, helper)
        written.append(helper)
    return written


def _substitute(text: str, name: str) -> str:
    return text.replace("__ASSIGNMENT__", name).replace("__TITLE__", name.replace("_", " ").capitalize())
