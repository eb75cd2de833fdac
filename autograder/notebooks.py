"""Notebooks: rendering a student's variant from its template, and reading a submission.

A notebook template (``assignments/<name>/notebook.j2``) is jinja2 text cut into cells
by marker lines::

    %%% markdown                 a locked text cell
    %%% given constants          a locked code cell, run when grading
    %%% show contour_plot        a locked code cell for the student only (plots), not run when grading
    %%% solution loss_gradient   the student's cell: the reference function, or its stub
    %%% selfcheck loss_gradient  a locked cell that checks the student's work in plain Jupyter

Solution cells are filled from ``solutions/<name>.py``: the reference function's own
source, or its signature and docstring with ``raise NotImplementedError()``. Any lines
under a solution marker come first (imports the student will need, for instance).
"""

from __future__ import annotations

import ast
import copy
import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

import jinja2
import jinja2.meta
import jinja2.nodes
import numpy as np

from . import __version__, untrusted_json
from .assignment import Assignment, GradingContext
from .course import Course
from .variants import Variant

Role = Literal["markdown", "given", "show", "solution", "selfcheck"]
MARKER = re.compile(r"^%%% (markdown|given|show|solution|selfcheck)(?: +([A-Za-z_][A-Za-z0-9_]*))? *$")
NBGRADER_SCHEMA = 3


@dataclass(frozen=True)
class TemplateCell:
    role: Role
    grade_id: str
    source: str
    task: str | None = None  # for solution and selfcheck cells: the task's function


# --- literals for templates ---------------------------------------------------------

def py(value: Any) -> str:
    """A Python literal that reproduces the value exactly in the student's notebook."""
    if isinstance(value, np.ndarray):
        return f"np.array({py(value.tolist())})"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    return repr(value)


def tex(value: Any) -> str:
    """LaTeX for a number, array or sympy expression (no surrounding dollars)."""
    import sympy  # only notebooks that are written need LaTeX; grading starts faster without it

    if isinstance(value, np.ndarray):
        value = sympy.Matrix(value.tolist())
    if isinstance(value, float):
        return sympy.latex(sympy.Float(value, 6)).rstrip("0") if value != int(value) else str(int(value))
    return sympy.latex(value)


# --- rendering ----------------------------------------------------------------------

def parse_cells(text: str) -> list[TemplateCell]:
    cells: list[TemplateCell] = []
    role, grade_id, lines = None, None, []

    def flush() -> None:
        if role is not None:
            body = "\n".join(lines).strip("\n")
            if role in ("solution", "selfcheck"):
                if grade_id is None:
                    raise ValueError(f"notebook template: a {role} cell must name its function")
                cell_id = grade_id if role == "solution" else f"{grade_id}_selfcheck"
                cells.append(TemplateCell(role, cell_id, body, task=grade_id))
            else:
                cells.append(TemplateCell(role, grade_id or f"{role}_{len(cells) + 1}", body))

    for line in text.splitlines():
        match = MARKER.match(line)
        if match:
            flush()
            role, grade_id, lines = match.group(1), match.group(2), []
        elif role is None:
            if line.strip():
                raise ValueError(f"notebook template: text before the first cell marker: {line!r}")
        else:
            lines.append(line)
    flush()
    ids = [c.grade_id for c in cells]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"notebook template: cell ids used twice: {', '.join(duplicates)}")
    return cells


def function_source(source: str, node: ast.FunctionDef, stub: bool) -> str:
    lines = source.splitlines()
    start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
    if not stub:
        return "\n".join(lines[start : node.end_lineno])
    first_body = node.body[0]
    has_doc = isinstance(first_body, ast.Expr) and isinstance(getattr(first_body, "value", None), ast.Constant) \
        and isinstance(first_body.value.value, str)
    head_end = first_body.end_lineno if has_doc else first_body.lineno - 1
    indent = " " * first_body.col_offset
    head = lines[start:head_end]
    return "\n".join(head + [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"])


def _template_values(assignment: Assignment, variant: Variant, params: dict) -> dict:
    return {**params, "params": params, "assignment": assignment, "student_id": variant.student_id,
            "fingerprint": variant.fingerprint, "py": py, "tex": tex}


def template_cells(course: Course, assignment: Assignment, variant: Variant, solutions: bool,
                   context: GradingContext | None = None) -> list[TemplateCell]:
    """The student's notebook as cells: template rendered with their numbers, solution cells filled.

    A caller that already holds the student's context passes it, saving a second draw of
    the parameters (vetting a variant is not free).
    """
    context = context or course.context(assignment, variant)
    params, reference = context.params, context.reference
    values = {**_template_values(assignment, variant, params), **assignment.notebook_context(params, reference)}
    text = course.templates.get_template(f"{assignment.name}/notebook.j2").render(values)
    cells = _filled(course, assignment, parse_cells(text), solutions)
    missing = {t.name for t in assignment.tasks} - {c.grade_id for c in cells if c.role == "solution"}
    if missing:
        raise ValueError(f"notebook template of {assignment.name} has no solution cell for {', '.join(sorted(missing))}")
    return cells


def _filled(course: Course, assignment: Assignment, cells: list[TemplateCell], solutions: bool) -> list[TemplateCell]:
    """The solution cells with the reference function (or its stub) under their own lines."""
    source = course.solution_source(assignment.name)
    functions = course.solution_functions(assignment.name)
    filled = []
    for cell in cells:
        if cell.role == "solution":
            if cell.grade_id not in functions:
                raise ValueError(f"solutions/{assignment.name}.py has no function {cell.grade_id}")
            body = function_source(source, functions[cell.grade_id], stub=not solutions)
            cell = TemplateCell(cell.role, cell.grade_id, f"{cell.source}\n\n{body}".strip("\n"), cell.task)
        filled.append(cell)
    return filled


def locked_cells(course: Course, assignment: Assignment, variant: Variant, params: dict) -> list[TemplateCell]:
    """The template's code as grading and the class review need it: every cell's role and id, the
    given cells' sources (the code that grading runs) and the solution cells' stubs (what the
    student was handed); the other cells' sources are left empty.

    Only those cells are rendered, each on its own and with the student's constants alone, so the
    notebook's expectations (`notebook_context`: self-check values, LaTeX, reference runs) are
    not computed for every submission. A template whose cells are not independent (a variable
    set in one cell, an include, a macro), or whose code cells need those expectations, is
    rendered whole instead.
    """
    chunks = _cell_chunks(course, assignment.name)
    values = _template_values(assignment, variant, params)
    known = values.keys() | course.templates.globals.keys()
    if chunks is not None and all(names <= known for _, role, names, _ in chunks if role in _CODE):
        parts = []
        for marker, role, _, template in chunks:
            parts += [marker, template.render(values) if role in _CODE else ""]
        cells = parse_cells("\n".join(parts))
        if len(cells) == len(chunks):
            return _only_code(_filled(course, assignment, cells, solutions=False))
    context = GradingContext(variant, params, course.reference(assignment.name, params))
    return _only_code(template_cells(course, assignment, variant, solutions=False, context=context))


_CODE = ("given", "solution")


def _only_code(cells: list[TemplateCell]) -> list[TemplateCell]:
    return [c if c.role in _CODE else TemplateCell(c.role, c.grade_id, "", c.task) for c in cells]


def prepare(course: Course, name: str) -> None:
    """Compile the template's cells for `locked_cells` now: a pool forked after this inherits them."""
    _cell_chunks(course, name)


# Statements by which one cell could change what another renders to.
_DEPENDENT = (jinja2.nodes.Assign, jinja2.nodes.AssignBlock, jinja2.nodes.Import, jinja2.nodes.FromImport,
              jinja2.nodes.Extends, jinja2.nodes.Macro, jinja2.nodes.CallBlock, jinja2.nodes.Block)


@functools.lru_cache(maxsize=16)
def _cell_chunks(course: Course, name: str) -> list[tuple[str, str, set[str], jinja2.Template]] | None:
    """The template cut at its marker lines into (marker, role, the names its lines use, their
    template), or None when its cells could depend on each other and only the whole template
    means anything."""
    env = course.templates
    source = env.loader.get_source(env, f"{name}/notebook.j2")[0]
    chunks, marker, lines = [], None, []
    for line in source.splitlines():
        if MARKER.match(line):
            if marker is not None:
                chunks.append((marker, "\n".join(lines)))
            marker, lines = line, []
        elif marker is None:
            if line.strip():
                return None
        else:
            lines.append(line)
    if marker is not None:
        chunks.append((marker, "\n".join(lines)))
    compiled = []
    for marker, body in chunks:
        names = _independent_names(env, body)
        if names is None:
            return None
        compiled.append((marker, MARKER.match(marker).group(1), names, env.from_string(body)))
    return compiled


def _independent_names(env: jinja2.Environment, source: str, depth: int = 0) -> set[str] | None:
    """The names a cell's text uses (its includes' too), or None when it may change another cell
    or make cells of its own: a statement that sets, defines or imports, or a marker line."""
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return None  # a statement that spans cells
    if depth > 5 or "%%%" in source or any(True for _ in tree.find_all(_DEPENDENT)):
        return None
    names = set(jinja2.meta.find_undeclared_variables(tree))
    for include in tree.find_all(jinja2.nodes.Include):
        if not isinstance(include.template, jinja2.nodes.Const) or not isinstance(include.template.value, str):
            return None  # which template it includes is only known when rendering
        included = _independent_names(env, env.loader.get_source(env, include.template.value)[0], depth + 1)
        if included is None:
            return None
        names |= included
    return names


def nbgrader_metadata(cell: TemplateCell, assignment: Assignment) -> dict:
    meta = {"grade": False, "solution": False, "locked": True, "grade_id": cell.grade_id,
            "schema_version": NBGRADER_SCHEMA}
    if cell.role == "solution":
        meta.update(solution=True, locked=False)
    elif cell.role == "selfcheck":
        meta.update(grade=True, points=assignment.task(cell.task).points)
    return meta


def build_notebook(course: Course, assignment: Assignment, variant: Variant, solutions: bool = False,
                   context: GradingContext | None = None):
    """The nbformat notebook of one student's variant, deterministic to the byte."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for cell in template_cells(course, assignment, variant, solutions, context):
        meta = nbgrader_metadata(cell, assignment)
        metadata = {"nbgrader": meta, "autograder": {"role": cell.role}}
        if meta["locked"]:
            metadata.update(editable=False, deletable=False)
        # Built as plain dicts: nbformat's cell constructors validate every cell, which is
        # most of the cost of a class of notebooks; the tests validate whole notebooks.
        out = {"cell_type": "markdown" if cell.role == "markdown" else "code", "id": meta["grade_id"].replace("_", "-"),
               "metadata": metadata, "source": cell.source}
        if out["cell_type"] == "code":
            out.update(execution_count=None, outputs=[])
        nb.cells.append(nbformat.from_dict(out))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "autograder": {
            "assignment": assignment.name,
            "student_id": variant.student_id,
            "variant": variant.fingerprint,
            "generator": f"optim-autograder {__version__}",
            "solutions": solutions,
        },
    }
    return nb


def write_notebook(nb, path) -> None:
    import nbformat

    text = nbformat.writes(nb) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def with_cell(nb, grade_id: str, source: str):
    """A copy of the notebook with one cell's source replaced."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell_grade_id(cell) == grade_id:
            cell.source = source
            return nb
    raise KeyError(grade_id)


def notebook_bytes(nb) -> bytes:
    import nbformat

    return nbformat.writes(nb).encode("utf-8")


# --- reading a submission -----------------------------------------------------------

class Unreadable(Exception):
    """A submission that cannot be graded at all; the message is for the student and the TA."""


MAX_SUBMISSION_BYTES = 200 * 1024 * 1024
# Far beyond any notebook (a cell is a few objects, an output a few more), far below what would cost
# the grader more than a few times the file's size.
NOTEBOOK_BOUNDS = untrusted_json.Bounds(containers=1_000_000, items=5_000_000, depth=100, digits=100)


def read_submission(data: bytes):
    """Parse submitted bytes as a notebook (a dict in nbformat 4's JSON form, sources joined, and
    its major version), or say in one sentence why that is impossible."""
    if not data.strip():
        raise Unreadable("the submitted file is empty")
    if len(data) > MAX_SUBMISSION_BYTES:
        raise Unreadable(f"the submitted file is {len(data) / 2**20:.0f} MiB; the limit is {MAX_SUBMISSION_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the submitted file is not text (is it really a .ipynb notebook?)") from None
    try:
        raw = untrusted_json.loads(text, NOTEBOOK_BOUNDS, "the submitted file")
    except untrusted_json.TooLarge as exc:
        raise Unreadable(f"{exc}, far more than a notebook holds (clear its outputs and hand it in again)") from None
    except untrusted_json.Refused as exc:
        raise Unreadable(f"{exc}; a .ipynb file is JSON") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise Unreadable("the submitted file is JSON but not a Jupyter notebook (no nbformat field)")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise Unreadable(f"the notebook has nbformat version {major!r}; only versions 3 and 4 can be read")
    if major == 4 and _plainly_well_formed(raw):
        for cell in raw["cells"]:
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
        return raw, major
    # Importing nbformat costs a second of start-up (jsonschema's format checkers), so it reads
    # only what plain JSON cannot: nbformat 3, and the odd shapes whose errors it names.
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds for malformed notebooks
        raise Unreadable(f"nbformat cannot read the notebook: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(nb.get("cells"), list):
        raise Unreadable("the notebook has no list of cells")
    return nb, major


def _plainly_well_formed(raw: dict) -> bool:
    """A notebook dict that nbformat would read into exactly these cells and metadata (joining the
    sources' lines), with nothing for it to convert, repair or refuse."""
    if not isinstance(raw.get("metadata"), dict) or not isinstance(raw.get("cells"), list):
        return False
    for cell in raw["cells"]:
        if not (isinstance(cell, dict) and isinstance(cell.get("metadata"), dict) and "attachments" not in cell):
            return False
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            return False
        outputs = cell.get("outputs", [])
        if not (isinstance(outputs, list) and all(_plain_output(o) for o in outputs)):
            return False
    return True


def _plain_output(output) -> bool:
    if not isinstance(output, dict) or not isinstance(output.get("data", {}), dict):
        return False
    text = output.get("text", "")
    return isinstance(text, str) or (isinstance(text, list) and all(isinstance(t, str) for t in text))


def cell_grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def strip_magics(source: str) -> str:
    """Notebook semantics without IPython: cell magics skip the cell, line magics and shell lines become no-ops."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines.append(line[: len(line) - len(stripped)] + "pass  # IPython magic not run by the grader")
        else:
            lines.append(line)
    return "\n".join(lines)
