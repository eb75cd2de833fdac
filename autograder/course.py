"""A course directory: its assignments, solutions, templates and secret.

Like nbgrader's course directory: ``assignments/``, ``solutions/`` and ``templates/``
side by side. Nothing here is ever visible to student code.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import hashlib
import importlib.util
import os
import secrets
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import jinja2

from .assignment import Assignment, GradingContext
from .errors import UserError
from .variants import Variant

SECRET_ENV = "AUTOGRADER_SECRET"


def _bundled() -> Path:
    """The course this distribution ships (two assignments, their solutions, the templates):
    installed from a wheel, the copy setup.py puts beside the package; in a checkout, the
    repository itself, which is a working course."""
    beside = Path(__file__).resolve().parent.parent
    installed = beside / "optim_autograder_course"
    return installed if installed.is_dir() else beside


BUNDLED = _bundled()


@contextlib.contextmanager
def _no_collection():
    """No collection while an assignment's modules load: what they build (sympy, for one) lives as
    long as the process, and collecting while it is built walks it again and again, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Course:
    def __init__(self, root: Path | str = "."):
        self.root = Path(root).resolve()
        if not (self.root / "assignments").is_dir():
            raise UserError(f"{self.root} is not a course directory: it has no assignments/ folder (use --course DIR)")

    @classmethod
    @functools.lru_cache(maxsize=8)
    def at(cls, root: str) -> "Course":
        """The course at a path, shared within a process: units of work name their course by
        path, and a fresh Course would compile its templates again for every student."""
        return cls(root)

    # --- the secret -------------------------------------------------------------

    def secret(self, secret_file: Path | None = None) -> bytes:
        """--secret-file, else $AUTOGRADER_SECRET, else course.key (created once, mode 0600)."""
        if secret_file is not None:
            try:
                value = Path(secret_file).read_bytes().strip()
            except OSError as exc:
                raise UserError(f"cannot read the secret file {secret_file}: {exc.strerror}") from None
            if not value:
                raise UserError(f"the secret file {secret_file} is empty")
            return value
        if os.environ.get(SECRET_ENV):
            return os.environ[SECRET_ENV].encode("utf-8")
        key = self.root / "course.key"
        if not key.exists():
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
        return key.read_bytes().strip()

    # --- assignments ------------------------------------------------------------

    def assignment_names(self) -> list[str]:
        return sorted(p.name for p in (self.root / "assignments").iterdir() if (p / "__init__.py").is_file())

    def check_assignment(self, name: str) -> None:
        """A UserError unless the course has this assignment; nothing is imported."""
        if not (self.root / "assignments" / name / "__init__.py").is_file():
            known = ", ".join(self.assignment_names()) or "none"
            raise UserError(f"no assignment {name!r} in {self.root / 'assignments'} (known: {known})")

    def assignment(self, name: str) -> Assignment:
        self.check_assignment(name)
        folder = self.root / "assignments" / name
        module_name = self.assignment_package(name)
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(
                module_name, folder / "__init__.py", submodule_search_locations=[str(folder)]
            )
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            with _no_collection():
                spec.loader.exec_module(module)
        return sys.modules[module_name].ASSIGNMENT

    def assignment_package(self, name: str) -> str:
        """The import name of an assignment's package, one per course folder: a process that
        serves two courses with an assignment of the same name must not share one module."""
        return f"_course_{hashlib.sha256(str(self.root).encode()).hexdigest()[:16]}_{name}"

    def assignment_dir(self, name: str) -> Path:
        return self.root / "assignments" / name

    @functools.lru_cache(maxsize=None)
    def warm_up(self, name: str) -> str:
        """``assignments/<name>/warm_up.py``, as text ("" without one): Python the sandbox's warm
        process runs once before it forks the workers, to pay the first-use costs of what students'
        code will do (imports, sympy's lazy tables). It runs where students' code runs: nothing
        secret (no reference, no parameters) belongs in it. Read, not imported, so that the
        sandbox can warm up while the grader still imports the assignment."""
        path = self.assignment_dir(name) / "warm_up.py"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def assignment_part(self, name: str, part: str) -> ModuleType | None:
        """``assignments/<name>/<part>.py`` imported within the assignment's package, or None
        when the assignment has no such module: declarations that tools read and the engine
        does not (the difficulty measures, the equivalent mutants)."""
        self.assignment(name)
        if not (self.assignment_dir(name) / f"{part}.py").is_file():
            return None
        return importlib.import_module(f"{self.assignment_package(name)}.{part}")

    # --- the reference ----------------------------------------------------------

    # Read, compiled and parsed once per Course: every student's notebook and grade needs them.
    @functools.lru_cache(maxsize=None)
    def solution_source(self, name: str) -> str:
        path = self.root / "solutions" / f"{name}.py"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            raise UserError(f"the reference solution {path} is missing") from None

    @functools.lru_cache(maxsize=None)
    def _solution_code(self, name: str):
        return compile(self.solution_source(name), str(self.root / "solutions" / f"{name}.py"), "exec")

    def reference(self, name: str, params: dict[str, Any]) -> SimpleNamespace:
        """The solutions module run with the student's constants as globals, as in the notebook."""
        namespace: dict[str, Any] = {"__name__": f"_reference_{name}", **params}
        exec(self._solution_code(name), namespace)
        return SimpleNamespace(**namespace)

    def context(self, assignment: Assignment, variant: Variant) -> GradingContext:
        """One student's instance: their parameters and the reference run with them."""
        params = assignment.parameters(variant)
        return GradingContext(variant, params, self.reference(assignment.name, params))

    @functools.lru_cache(maxsize=None)
    def solution_functions(self, name: str) -> dict[str, ast.FunctionDef]:
        """The top-level functions of the reference, by name, as syntax trees."""
        tree = ast.parse(self.solution_source(name))
        return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    # --- templates --------------------------------------------------------------

    @functools.cached_property
    def templates(self) -> jinja2.Environment:
        """Shared templates of the course, then each assignment's own folder."""
        loader = jinja2.FileSystemLoader([str(self.root / "templates"), str(self.root / "assignments")])
        return jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(["html", "html.j2"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
