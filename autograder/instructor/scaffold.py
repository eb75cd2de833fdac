"""`autograder new`: a new assignment with the anatomy every assignment shares, and one worked
example task that `vet` passes as written.

The skeleton lives in ``templates/new_assignment/`` of this repository; ``__ASSIGNMENT__`` in
its paths and files becomes the new assignment's name, ``__TITLE__`` a first title.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError
from ..reports import BUNDLED_TEMPLATES

SKELETON = BUNDLED_TEMPLATES / "new_assignment"
NAME = re.compile(r"[a-z][a-z0-9_]{0,59}\Z")


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
    return list(targets.values())


def _substitute(text: str, name: str) -> str:
    return text.replace("__ASSIGNMENT__", name).replace("__TITLE__", name.replace("_", " ").capitalize())
