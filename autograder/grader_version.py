"""The grader version: exactly the code and data that compute a grade, found by following imports.

A grade is computed by `grading.grade` and the modules of this package it imports (the
sandbox's worker among them, started from a line of code in a string), the assignment's
package and what it imports, the assignment's notebook template with the templates it
includes, its warm-up and other data, and the reference solution. These files are what
`grade` and the server digest to decide what to regrade (`grader_key`) and what a Gradescope
bundle ships (`grader_files`). The command line, the server, the instructor's tools, docs
and tests are not among them, so editing them regrades nothing; a module that moves into a
subpackage is still found, since nothing here is a list of files.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import re
import tokenize
from pathlib import Path
from typing import Iterator

import jinja2.meta

from .course import Course

PACKAGE = Path(__file__).resolve().parent
ENTRY = "autograder.grading"  # the grading of one submission (`grading.grade`)
# Code handed to another interpreter as a string (the sandbox's boot line) imports too, and so
# does a module named for `python -m`: found in the text, so that strings need no parsing.
_CODE_IMPORT = re.compile(r"(?:^|;)\s*(?:[rf]?[\"'])?(?:from\s+(autograder[\w.]*)\s+import\b|import\s+(autograder[\w.]*))", re.M)
_MODULE_NAME = re.compile(r"""["'](autograder(?:\.\w+)+)["']""")


def _module_file(name: str, roots: dict[str, Path]) -> tuple[Path, bool] | None:
    """The file of a dotted module name under one of `roots` (top-level name -> folder) and whether
    it is a package; None for anything else (the standard library, numpy, an imported name)."""
    top, *rest = name.split(".")
    if top not in roots:
        return None
    folder = roots[top].joinpath(*rest)
    if (folder / "__init__.py").is_file():
        return folder / "__init__.py", True
    if rest and folder.with_suffix(".py").is_file():
        return folder.with_suffix(".py"), False
    return None


@functools.lru_cache(maxsize=None)
def _imported(path: Path, name: str, is_package: bool, stamp: tuple[int, int]) -> frozenset[str]:
    """The dotted names a module may import: its import statements (a function's too), the names
    it imports from a module (they may be submodules), and the modules its strings name. Kept per
    file version (`stamp`): a server asks again and again."""
    text = path.read_text(encoding="utf-8")
    names = {a or b for a, b in _CODE_IMPORT.findall(text)} | set(_MODULE_NAME.findall(text))
    for words in _import_statements(text):
        if words[0] == "import":
            names.update(_dotted_names(words[1:]))
            continue
        head = words[1:words.index("import")]
        level = sum(len(w) for w in itertools.takewhile(lambda w: set(w) == {"."}, head))
        base = module = "".join(head).lstrip(".")
        if level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            base = ".".join(package[: len(package) - level + 1] + ([module] if module else []))
        names.add(base)
        names.update(f"{base}.{imported}" for imported in _dotted_names(words[words.index("import") + 1:]))
    return frozenset(names)


# Where an import statement may start: a line that begins with `from` or `import`. Only those
# stretches are tokenized (all of a file's tokens were nine tenths of the key's cost); a match
# inside a string yields words that name no module of ours.
_STATEMENT = re.compile(r"^[ \t]*(?:from|import)[ \t][^\n]*(?:\n|\Z)", re.M)


def _import_statements(text: str) -> Iterator[list[str]]:
    """The tokens of each import statement, wherever it is. Tokens, not a syntax tree: `ast` is not
    safe while other threads parse (CPython 3.11: "AST constructor recursion depth mismatch"), and
    grading threads do."""
    for match in _STATEMENT.finditer(text):
        statement, end = match.group().strip(), match.end()
        while statement.count("(") > statement.count(")") or statement.endswith("\\"):
            line_end = text.find("\n", end)
            line_end = len(text) if line_end < 0 else line_end + 1
            if line_end == end:
                break
            statement, end = statement + "\n" + text[end:line_end].strip(), line_end
        words: list[str] = []
        try:
            for token in tokenize.generate_tokens(io.StringIO(statement).readline):
                if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or token.string == ";":
                    if words and (words[0] == "import" or words[0] == "from" and "import" in words):
                        yield words
                    words = []
                elif token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                    words.append(token.string)
        except (tokenize.TokenError, SyntaxError):  # a line of a string that looked like an import
            continue


def _dotted_names(words: list[str]) -> Iterator[str]:
    """``a.b as c, d`` (in parentheses or not) -> a.b, d."""
    for part in " ".join(w for w in words if w not in "()").split(","):
        dotted = part.split(" as ")[0].replace(" ", "")
        if dotted:
            yield dotted


def _closure(entries: tuple[str, ...], roots: dict[str, Path]) -> set[Path]:
    """The files of `entries` and of every module they import under `roots`, parent packages included."""
    files: set[Path] = set()
    todo = [".".join(entry.split(".")[:i]) for entry in entries for i in range(1, entry.count(".") + 2)]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = _module_file(name, roots)
        if found is None:
            continue
        path, is_package = found
        files.add(path)
        stat = path.stat()
        for imported in _imported(path, name, is_package, (stat.st_mtime_ns, stat.st_size)):
            todo.extend(".".join(imported.split(".")[:i]) for i in range(1, imported.count(".") + 2))
    return files


def grader_files(course: Course, name: str, *entries: str) -> dict[str, Path]:
    """What grades `name` (and what runs `entries` beside it), by path: ``autograder/...`` for this
    package's modules, the course's own paths for the rest. The assignment's package counts as far
    as its ``__init__`` imports it (not `measures`, `mutants` or `mistakes/`, which only the
    instructor's tools read), with its other files but Markdown (the notebook template, the
    warm-up, data); then the templates the notebook includes, and the reference solution."""
    folder = course.assignment_dir(name)
    package = course.assignment_package(name)
    files = _closure((ENTRY, *entries, package), {"autograder": PACKAGE, package: folder})
    files.update(path for path in folder.rglob("*") if path.is_file() and "__pycache__" not in path.parts
                 and path.suffix not in (".py", ".pyc", ".md"))
    files.add(folder / "warm_up.py")
    files.add(course.root / "solutions" / f"{name}.py")
    files.update(_templates(course.templates, f"{name}/notebook.j2", course.root / "templates"))
    return {(path.relative_to(PACKAGE.parent) if PACKAGE in path.parents else path.relative_to(course.root)).as_posix():
            path for path in sorted(files) if path.is_file()}


def _templates(env: jinja2.Environment, start: str, shared: Path) -> set[Path]:
    """The files of the templates `start` includes, imports or extends, transitively (every shared
    template when one is named by a variable)."""
    files: set[Path] = set()
    todo, seen = [start], set()
    while todo:
        template = todo.pop()
        if template in seen:
            continue
        seen.add(template)
        try:
            source, filename, _ = env.loader.get_source(env, template)
        except jinja2.TemplateNotFound:
            continue  # rendering says so; the key cannot
        files.add(Path(filename))
        for referenced in jinja2.meta.find_referenced_templates(env.parse(source)):
            if referenced is None:
                files.update(path for path in shared.glob("*") if path.is_file())
            else:
                todo.append(referenced)
    return files


def grader_key(course: Course, name: str) -> str:
    """Changes whenever anything that could change a grade of `name` changes, and only then."""
    digest = hashlib.sha256()
    for relative, path in sorted(grader_files(course, name).items()):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


@functools.lru_cache(maxsize=None)
def loaded_grader_key(course_root: str, name: str) -> str:
    """The grader key of the code this process loaded, computed once: a grading process
    (pool, server or cluster worker) reports it with every grade it makes."""
    return grader_key(Course.at(course_root), name)
