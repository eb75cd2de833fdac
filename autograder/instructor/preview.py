"""One student's notebook as one HTML page, to read without starting Jupyter.

The notebook is built exactly as `generate` builds it for that student and rendered by
nbconvert (JupyterLab's look; formulas by MathJax, fetched by the browser). Each cell is
marked with its role: locked text and code, the student's solution cell, the self-check.
With solutions, the reference follows each solution cell on the same page.
"""

from __future__ import annotations

import copy

from ..course import Course
from ..notebooks import build_notebook, cell_grade_id
from ..variants import Variant

ROLE_LABELS = {"given": "locked code", "show": "locked code, not graded", "solution": "the student's cell",
               "selfcheck": "self-check", "reference": "reference solution"}
STYLE = "<style>\n" + "\n".join(
    f".celltag_{role} {{ border-left: 4px solid {colour}; }}\n"
    f'.celltag_{role}::before {{ content: "{ROLE_LABELS[role]}"; display: block; padding: 2px 8px; '
    f"font: 12px system-ui, sans-serif; color: {colour}; }}"
    for role, colour in (("given", "#57606a"), ("show", "#8c959f"), ("solution", "#0969da"),
                         ("selfcheck", "#9a6700"), ("reference", "#1a7f37"))
) + "\n</style>\n"


def preview_html(course: Course, name: str, student_id: str, secret: bytes, solutions: bool = False) -> str:
    import nbformat
    from nbconvert import HTMLExporter  # seconds of start-up that only this command needs

    assignment = course.assignment(name)
    variant = Variant.derive(secret, name, student_id)
    context = course.context(assignment, variant)
    nb = build_notebook(course, assignment, variant, context=context)
    references = {}
    if solutions:
        filled = build_notebook(course, assignment, variant, solutions=True, context=context)
        references = {cell_grade_id(c): c for c in filled.cells
                      if c.metadata.get("autograder", {}).get("role") == "solution"}
    cells = []
    for cell in nb.cells:
        role = cell.metadata.get("autograder", {}).get("role")
        if role in ROLE_LABELS:
            cell.metadata["tags"] = [role]
        cells.append(cell)
        reference = references.get(cell_grade_id(cell)) if role == "solution" else None
        if reference is not None:
            reference = copy.deepcopy(reference)
            reference.metadata["tags"] = ["reference"]
            reference.id = f"{reference.id}-reference"
            cells.append(reference)
    note = (f"*Preview of `{name}` for student `{student_id}` (variant `{variant.fingerprint}`), as `generate` "
            f"writes it{', with the reference under each solution cell' if solutions else ''}.*")
    nb.cells = [nbformat.v4.new_markdown_cell(note, id="preview-note")] + cells
    nb.metadata["title"] = f"{assignment.title} · {student_id}" + (" · with solutions" if solutions else "")
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return html.replace("</head>", STYLE + "</head>", 1)
