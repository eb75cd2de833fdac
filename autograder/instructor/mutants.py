"""Mutants of a reference function: one small change each, as a student might make it.

An AST pass of our own over one function of ``solutions/<name>.py``. The generic operators
are those of mutmut and cosmic-ray (arithmetic and comparison operators swapped, a boundary
moved, a sign dropped, a constant changed, `and`/`or`, `True`/`False`); the others are the
mistakes of numerical code: an argument ignored (its default, or the notebook's constant of
the same name, used instead), an input used in place of its copy, an update made in place,
two indices swapped or a transpose dropped, a range or slice off by one, a call statement
left out. Neither library fits as a library: mutmut's operators are libcst nodes wired into
its trampolines and pytest runs, cosmic-ray's are parso classes behind its session database,
and both would add a dependency for the half of the operators we need that they have.

A mutant is identified by its task and the line it changes (before and after, as
`ast.unparse` writes them), so that a course can declare which mutants change nothing
observable (``assignments/<name>/mutants.py``) in words a person reads.
"""

from __future__ import annotations

import ast
import copy
import difflib
from dataclasses import dataclass
from typing import Callable, Iterator

SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
              ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.Mod: ast.Div}
# Boundaries moved (< to <=) and directions flipped (< to >).
SWAP_COMPARE = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
                ast.GtE: (ast.Gt, ast.LtE), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,),
                ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,), ast.NotIn: (ast.In,)}
SWAP_BOOL = {ast.And: ast.Or, ast.Or: ast.And}
COPIES = {("np", "array"), ("np", "copy"), ("numpy", "array"), ("numpy", "copy")}


@dataclass(frozen=True)
class Mutant:
    task: str
    operator: str  # which kind of change: "arithmetic", "argument ignored", …
    line: int  # the line of the function (1 = its def) that changes
    before: str  # that line, stripped
    after: str
    diff: str  # a unified diff of the function, for people
    source: str  # the whole mutated function

    @property
    def key(self) -> tuple[str, str, str]:
        return self.task, self.before, self.after

    def as_json(self) -> dict:
        return {"task": self.task, "operator": self.operator, "line": self.line, "before": self.before,
                "after": self.after, "diff": self.diff}


# An operator looks at one node and offers replacements: (operator, a function of a copy of
# the node giving what takes its place: a node, or None to leave a statement out).
Offer = tuple[str, Callable[[ast.AST], ast.AST | None]]


def mutants_of(function: ast.FunctionDef, task: str, constants: frozenset[str] = frozenset()) -> list[Mutant]:
    """Every mutant of `function`, once each (mutants that unparse alike are one), in source order.

    `constants` are the notebook's given names (X, LR, …): an ignored argument of the same
    name in capitals is replaced by that constant, the mistake of reading the notebook's
    number instead of the argument.
    """
    original = ast.unparse(function)
    seen, found = {original}, []
    nodes = list(_preorder(function))
    skip = {id(n) for n in _docstring_nodes(function)}
    for index, node in enumerate(nodes):
        if id(node) in skip:
            continue
        for operator, replace in _offers(node, function, constants):
            mutated = _Replace(index, replace).visit(copy.deepcopy(function))
            ast.fix_missing_locations(mutated)
            source = ast.unparse(mutated)
            if source in seen:
                continue
            seen.add(source)
            found.append(_mutant(task, operator, original, source))
    return found


def _mutant(task: str, operator: str, original: str, source: str) -> Mutant:
    old, new = original.splitlines(), source.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changed = [(tag, i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    _, i1, i2, j1, j2 = changed[0]
    before = " / ".join(line.strip() for line in old[i1:i2])
    after = " / ".join(line.strip() for line in new[j1:j2])
    diff = "\n".join(difflib.unified_diff(old, new, lineterm="", n=1))
    return Mutant(task, operator, i1 + 1, before, after, "\n".join(diff.splitlines()[2:]), source)


def _preorder(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _preorder(child)


def _docstring_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    first = function.body[0] if function.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return list(_preorder(first))
    return []


class _Replace(ast.NodeTransformer):
    """Replaces the index-th node in pre-order (the order `_preorder` counts in)."""

    def __init__(self, index: int, replace: Callable[[ast.AST], ast.AST | None]):
        self.index, self.replace, self.count = index, replace, -1

    def visit(self, node: ast.AST):
        self.count += 1
        if self.count == self.index:
            return self.replace(node)
        return self.generic_visit(node)


# --- the operators ------------------------------------------------------------------

def _offers(node: ast.AST, function: ast.FunctionDef, constants: frozenset[str]) -> list[Offer]:
    offers: list[Offer] = []
    for operator in OPERATORS:
        offers += operator(node, function, constants)
    return offers


def _with(node: ast.AST, **changes) -> ast.AST:
    for key, value in changes.items():
        setattr(node, key, value)
    return node


def arithmetic(node, function, constants) -> list[Offer]:
    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SWAP_BINOP:
        return [("arithmetic", lambda n: _with(n, op=SWAP_BINOP[type(n.op)]()))]
    return []


def comparison(node, function, constants) -> list[Offer]:
    if not isinstance(node, ast.Compare):
        return []
    offers: list[Offer] = []
    for position, op in enumerate(node.ops):
        for new in SWAP_COMPARE.get(type(op), ()):
            offers.append(("comparison", lambda n, p=position, new=new: _with(n, ops=[*n.ops[:p], new(), *n.ops[p + 1:]])))
    return offers


def logic(node, function, constants) -> list[Offer]:
    if isinstance(node, ast.BoolOp):
        return [("logic", lambda n: _with(n, op=SWAP_BOOL[type(n.op)]()))]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [("logic", lambda n: n.operand)]
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return [("logic", lambda n: ast.Constant(not n.value))]
    return []


def sign(node, function, constants) -> list[Offer]:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [("sign", lambda n: n.operand)]
    if _number(node) and node.value != 0:
        return [("sign", lambda n: ast.UnaryOp(ast.USub(), ast.Constant(n.value)))]
    return []


def constant(node, function, constants) -> list[Offer]:
    if not _number(node):
        return []
    offers: list[Offer] = [("constant", lambda n: ast.Constant(n.value + 1))]
    if isinstance(node.value, int):
        offers.append(("constant", lambda n: ast.Constant(n.value - 1)))
    return offers


def off_by_one(node, function, constants) -> list[Offer]:
    """The ends of a range or a slice moved by one (literal ends are the constant operator's)."""
    bounds: list[tuple[str, int | None]] = []
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        bounds = [("args", i) for i, arg in enumerate(node.args) if not _number(arg)]
    elif isinstance(node, ast.Slice):
        bounds = [(field, None) for field in ("lower", "upper") if getattr(node, field) is not None
                  and not _number(getattr(node, field))]
    offers: list[Offer] = []
    for field, position in bounds:
        for delta in (ast.Add, ast.Sub):
            offers.append(("off by one", lambda n, f=field, p=position, d=delta: _shift(n, f, p, d)))
    return offers


def _shift(node, field: str, position: int | None, delta) -> ast.AST:
    if position is None:
        setattr(node, field, ast.BinOp(getattr(node, field), delta(), ast.Constant(1)))
    else:
        node.args[position] = ast.BinOp(node.args[position], delta(), ast.Constant(1))
    return node


def argument_ignored(node, function, constants) -> list[Offer]:
    """At the function itself: every use of one argument replaced by its default, or by the
    notebook's constant of the same name in capitals."""
    if node is not function:
        return []
    args = function.args.args
    defaults = dict(zip([a.arg for a in args][len(args) - len(function.args.defaults):], function.args.defaults))
    offers: list[Offer] = []
    for arg in args:
        name = arg.arg
        if name.upper() in constants:
            instead: ast.AST = ast.Name(name.upper(), ast.Load())
        elif name in defaults:
            instead = defaults[name]
        else:
            continue
        if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(function)):
            offers.append(("argument ignored", lambda n, a=name, i=instead: _Rename(a, i).visit(n)))
    return offers


class _Rename(ast.NodeTransformer):
    def __init__(self, name: str, instead: ast.AST):
        self.name, self.instead = name, instead

    def visit_Name(self, node: ast.Name):
        if node.id == self.name and isinstance(node.ctx, ast.Load):
            return copy.deepcopy(self.instead)
        return node


def copy_dropped(node, function, constants) -> list[Offer]:
    """np.array(x, …), np.copy(x), x.copy() → x, for an argument x: the input itself where the code meant a copy."""
    if not isinstance(node, ast.Call):
        return []
    inputs = {a.arg for a in function.args.args}
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (func.value.id, func.attr) in COPIES \
            and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id in inputs:
        return [("copy dropped", lambda n: n.args[0])]
    if isinstance(func, ast.Attribute) and func.attr == "copy" and not node.args and isinstance(func.value, ast.Name) \
            and func.value.id in inputs:
        return [("copy dropped", lambda n: n.func.value)]
    return []


def in_place(node, function, constants) -> list[Offer]:
    """x = x ∘ e → x ∘= e: the array that was there before (perhaps appended, perhaps an input) changed in place."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and isinstance(node.value, ast.BinOp) and isinstance(node.value.left, ast.Name) \
            and node.value.left.id == node.targets[0].id:
        return [("in place", lambda n: ast.AugAssign(ast.Name(n.targets[0].id, ast.Store()), n.value.op, n.value.right))]
    return []


def indices(node, function, constants) -> list[Offer]:
    """a[i, j] → a[j, i] (a row for a column); a.T → a."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) >= 2:
        first, second = (ast.unparse(e) for e in node.slice.elts[:2])
        if first != second:
            return [("indices swapped", lambda n: _with(n, slice=ast.Tuple([n.slice.elts[1], n.slice.elts[0],
                                                                             *n.slice.elts[2:]], ast.Load())))]
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        return [("indices swapped", lambda n: n.value)]
    return []


def statement_left_out(node, function, constants) -> list[Offer]:
    """A call made for its effect (path.append(theta)) left out."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return [("statement left out", lambda n: ast.Pass())]
    return []


def _number(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


OPERATORS = (arithmetic, comparison, logic, sign, constant, off_by_one, argument_ignored, copy_dropped, in_place,
             indices, statement_left_out)
