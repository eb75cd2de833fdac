"""JSON from a student (a notebook, a message from the sandbox), decoded within bounds.

The standard decoder builds whatever the text describes: 30 MB of `{}` is ten million dicts
(a gigabyte), 50,000 nested lists exhaust the interpreter's recursion, a 5,000-digit integer
raises an error no caller expects (and on Python 3.10 takes quadratic time). Here the text's
containers and items are counted before anything is built (an upper bound, found at the
speed of `str.count`: brackets and commas inside strings count too), integers are refused
beyond a number of digits, and nesting beyond a depth; each refusal is a `Refused` with a
sentence for a person, so that it costs the student who sent the text and no one else.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any


class Refused(ValueError):
    """The text is not JSON, or is JSON beyond the bounds; the message says which, for a person."""


class TooLarge(Refused):
    """JSON beyond the bounds."""


@dataclass(frozen=True)
class Bounds:
    containers: int  # objects and arrays, all told
    items: int  # array elements and object members, all told
    depth: int  # objects and arrays inside each other
    digits: int = 60  # of one integer


def loads(text: str | bytes, bounds: Bounds, what: str = "the text") -> Any:
    """The decoded value, or `Refused` naming what is too large (`what` is how it is called)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{what} is not UTF-8 text") from None
    containers = text.count("{") + text.count("[")
    if containers > bounds.containers:
        raise TooLarge(f"{what} holds up to {containers:,} objects and lists; at most {bounds.containers:,} are read")
    items = text.count(",") + containers
    if items > bounds.items:
        raise TooLarge(f"{what} holds up to {items:,} values; at most {bounds.items:,} are read")
    try:
        value = json.loads(text, parse_int=_integer(bounds.digits, what), parse_constant=_no_constant(what))
    except json.JSONDecodeError as exc:
        raise Refused(f"{what} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise TooLarge(f"{what} nests objects and lists deeper than {bounds.depth} levels") from None
    # Only where the count leaves room for it (a walk in Python is a tenth of a small message's cost).
    if containers > bounds.depth and _depth(value) > bounds.depth:
        raise TooLarge(f"{what} nests objects and lists deeper than {bounds.depth} levels")
    return value


@functools.lru_cache(maxsize=64)
def _integer(digits: int, what: str):
    def parse(literal: str) -> int:
        if len(literal.lstrip("-")) > digits:
            raise TooLarge(f"{what} has an integer of {len(literal.lstrip('-')):,} digits; at most {digits} are read")
        return int(literal)

    return parse


@functools.lru_cache(maxsize=64)
def _no_constant(what: str):
    def refuse(name: str) -> Any:
        raise Refused(f"{what} has a bare {name}, which is not JSON")

    return refuse


def _depth(value: Any) -> int:
    """How deep the containers go, without recursion (the count above bounds the walk)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict):
            current = current.values()
        elif not isinstance(current, list):
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in current if isinstance(child, (dict, list)))
    return deepest
