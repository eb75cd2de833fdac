"""The only language spoken between the grader and a sandboxed submission.

Messages are length-prefixed JSON. Everything that is not a JSON scalar is a tagged
object (``{"$": "array", ...}``) so that the decoder can be strict: it accepts exactly
the shapes below, in bounded sizes, and builds nothing but numpy arrays, lists, dicts,
strings, numbers and small frozen records. No pickle, no eval, no object whose methods
could run in the grader.

This module is imported on both sides of the boundary, so it needs numpy only.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import untrusted_json

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 32
MAX_ARRAY_ELEMENTS = 2_000_000
MAX_STRING = 200_000
MAX_ITEMS = 100_000
MAX_TREE_NODES = 5_000
# A message is decoded only within these (`untrusted_json`): its values, as `decode` bounds them, and
# the few objects around them; so a message costs the grader at most a few times its 32 MiB.
MESSAGE_BOUNDS = untrusted_json.Bounds(containers=MAX_ITEMS + 1_000, items=MAX_ARRAY_ELEMENTS + MAX_ITEMS,
                                       depth=MAX_DEPTH + 8, digits=60)

# Functions a symbolic answer may use; anything else is refused by name, never looked up.
TREE_FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "Abs")
SYMBOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
DIGITS = re.compile(r"-?[0-9]{1,60}\Z")


class WireError(ValueError):
    """A message that is not what the protocol allows."""


@dataclass(frozen=True)
class Tree:
    """A symbolic expression as nested tuples of whitelisted nodes, e.g. ("pow", ("sym", "w1"), ("int", "2"))."""

    node: tuple


@dataclass(frozen=True)
class MatrixTree:
    """A sympy Matrix as its shape and a row-major tuple of `Tree` entries."""

    shape: tuple[int, int]
    entries: tuple[Tree, ...]


@dataclass(frozen=True)
class Opaque:
    """A value of a kind the grader does not accept, described only by its type name and a short repr."""

    type_name: str
    text: str


@dataclass(frozen=True)
class Surface:
    """A test function named by family and parameters; the sandbox builds the callable itself."""

    family: str
    params: dict
    returns: str = "f"  # "f", "grad" or "hess"


def encode(value: Any) -> Any:
    """Turn a plain value into its JSON-able wire form (the encoder does not trust its input either)."""
    return _encode(value, 0)


def _encode(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$": "int", "v": str(value)}
    if isinstance(value, float):
        return _float_out(value)
    if isinstance(value, np.ndarray):
        arr = np.asarray(value, dtype=float)
        flat = arr.ravel().tolist()
        return {"$": "array", "shape": list(arr.shape),
                "data": flat if np.isfinite(arr).all() else [_float_out(x) for x in flat]}
    if isinstance(value, (list, tuple)):
        return {"$": "list", "items": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"$": "dict", "items": [[str(k), _encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, Tree):
        return {"$": "tree", "node": _tree_out(value.node)}
    if isinstance(value, MatrixTree):
        return {"$": "matrix", "shape": list(value.shape), "entries": [_tree_out(t.node) for t in value.entries]}
    if isinstance(value, Opaque):
        return {"$": "opaque", "type": value.type_name, "text": value.text}
    if isinstance(value, Surface):
        return {"$": "surface", "family": value.family, "params": _encode(value.params, depth + 1), "returns": value.returns}
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _float_out(x: float) -> Any:
    # JSON has no NaN or infinity; spell them out so a strict parser can stay strict.
    if math.isfinite(x):
        return x
    return {"$": "float", "v": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _tree_out(node: tuple) -> list:
    kind = node[0]
    if kind in ("int", "rat", "float", "sym"):
        return list(node)
    return [kind] + [n if isinstance(n, str) else _tree_out(n) for n in node[1:]]


def decode(data: Any) -> Any:
    """Rebuild a value from its wire form, refusing anything outside the protocol."""
    return _decode(data, 0)


def _decode(data: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or isinstance(data, bool):
        return data
    if isinstance(data, str):
        if len(data) > MAX_STRING:
            raise WireError("string too long")
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, int):
        raise WireError("bare integers are not part of the protocol")
    if not isinstance(data, dict) or not isinstance(data.get("$"), str):
        raise WireError(f"unexpected {type(data).__name__} in message")
    tag = data["$"]
    if tag == "int":
        text = _field(data, "v", str)
        if not DIGITS.match(text):
            raise WireError("malformed integer")
        return int(text)
    if tag == "float":
        text = _field(data, "v", str)
        if text not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(text)
    if tag == "array":
        return _decode_array(data)
    if tag == "list":
        items = _field(data, "items", list)
        _bound(items)
        return [_decode(v, depth + 1) for v in items]
    if tag == "dict":
        items = _field(data, "items", list)
        _bound(items)
        out = {}
        for pair in items:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise WireError("malformed dict item")
            out[pair[0]] = _decode(pair[1], depth + 1)
        return out
    if tag == "tree":
        return Tree(_tree_in(data.get("node"), [0]))
    if tag == "matrix":
        shape = _field(data, "shape", list)
        entries = _field(data, "entries", list)
        if len(shape) != 2 or not all(isinstance(n, int) and 0 <= n <= 100 for n in shape):
            raise WireError("malformed matrix shape")
        if len(entries) != shape[0] * shape[1]:
            raise WireError("matrix entries do not match its shape")
        counter = [0]
        return MatrixTree((shape[0], shape[1]), tuple(Tree(_tree_in(e, counter)) for e in entries))
    if tag == "opaque":
        return Opaque(_field(data, "type", str)[:200], _field(data, "text", str)[:2000])
    if tag == "surface":
        params = _decode(data.get("params"), depth + 1)
        if not isinstance(params, dict):
            raise WireError("surface parameters must be a dict")
        return Surface(_field(data, "family", str), params, _field(data, "returns", str))
    raise WireError(f"unknown tag {tag!r}")


def _field(data: dict, key: str, kind: type) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise WireError(f"field {key!r} missing or of the wrong kind")
    return value


def _bound(items: list) -> None:
    if len(items) > MAX_ITEMS:
        raise WireError("too many items")


def _decode_array(data: dict) -> np.ndarray:
    shape = _field(data, "shape", list)
    flat = _field(data, "data", list)
    if len(shape) > 8 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise WireError("malformed array shape")
    size = math.prod(shape)
    if size > MAX_ARRAY_ELEMENTS or size != len(flat):
        raise WireError("array data does not match its shape")
    if all(type(x) is float for x in flat):  # as every finite array arrives: no entry to look at
        return np.array(flat, dtype=float).reshape(shape)
    values = []
    for x in flat:
        if isinstance(x, float) or (isinstance(x, int) and not isinstance(x, bool)):
            values.append(float(x))
        elif isinstance(x, dict) and x.get("$") == "float":
            values.append(_decode(x, 1))
        else:
            raise WireError("array entries must be numbers")
    return np.array(values, dtype=float).reshape(shape)


def _tree_in(node: Any, counter: list[int]) -> tuple:
    counter[0] += 1
    if counter[0] > MAX_TREE_NODES:
        raise WireError("symbolic expression too large")
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise WireError("malformed expression node")
    kind, args = node[0], node[1:]
    if kind == "int" and len(args) == 1 and isinstance(args[0], str) and DIGITS.match(args[0]):
        return ("int", args[0])
    if kind == "rat" and len(args) == 2 and all(isinstance(a, str) and DIGITS.match(a) for a in args):
        return ("rat", args[0], args[1])
    if kind == "float" and len(args) == 1 and isinstance(args[0], str):
        try:
            float(args[0])
        except ValueError:
            raise WireError("malformed float in expression") from None
        return ("float", args[0])
    if kind == "sym" and len(args) == 1 and isinstance(args[0], str) and SYMBOL_NAME.match(args[0]):
        return ("sym", args[0])
    if kind in ("add", "mul") and 1 <= len(args) <= 1000:
        return (kind,) + tuple(_tree_in(a, counter) for a in args)
    if kind == "pow" and len(args) == 2:
        return ("pow", _tree_in(args[0], counter), _tree_in(args[1], counter))
    if kind == "fn" and len(args) == 2 and args[0] in TREE_FUNCTIONS:
        return ("fn", args[0], _tree_in(args[1], counter))
    raise WireError(f"expression node {kind!r} is not allowed")


def dumps(message: dict) -> bytes:
    """Frame one message: 4-byte big-endian length, then compact JSON."""
    return _frame(body(message))


def body(message: dict) -> bytes:
    """A message as compact JSON, unframed."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")


def dumps_calls(calls: list[bytes]) -> bytes:
    """Frame the "calls" message of calls already written by `body` (without encoding them again)."""
    return _frame(b'{"op":"calls","calls":[' + b",".join(calls) + b"]}")


def _frame(data: bytes) -> bytes:
    if len(data) > MAX_MESSAGE_BYTES:
        raise WireError("message too large")
    return len(data).to_bytes(4, "big") + data


def loads(body: bytes) -> dict:
    """Parse one message body (without its length prefix) as strict JSON."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise WireError("message too large")
    try:
        message = untrusted_json.loads(body, MESSAGE_BOUNDS, "the message")
    except untrusted_json.Refused as exc:
        raise WireError(f"not a protocol message: {exc}") from None
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message
