"""The channel between grader and sandbox: values cross it exactly (nan, inf and −0 included), and
whatever is outside the protocol is refused, however it is spelled."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from autograder import wire

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
arrays = st.integers(0, 3).flatmap(lambda d: st.lists(st.integers(0, 4), min_size=d, max_size=d)).flatmap(
    lambda shape: st.lists(floats, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
        lambda items: np.array(items, dtype=float).reshape(shape)))


def through(value):
    return wire.decode(wire.loads(wire.dumps({"v": wire.encode(value)})[4:])["v"])


@given(arrays)
def test_arrays_cross_bit_for_bit(array):
    back = through(array)
    assert back.shape == array.shape and back.dtype == np.float64
    assert np.array_equal(back, array, equal_nan=True)
    numbers = ~np.isnan(array)  # a nan crosses as nan, whatever its sign bit; −0 stays −0
    assert np.array_equal(np.signbit(back[numbers]), np.signbit(array[numbers]))


def test_integer_entries_are_read_as_floats_and_anything_else_is_refused():
    assert through(np.arange(3.0)).tolist() == [0.0, 1.0, 2.0]
    assert wire.decode({"$": "array", "shape": [2], "data": [1, 2.5]}).tolist() == [1.0, 2.5]
    for bad in ([1.0, "2"], [1.0, True], [1.0, None], [1.0, [2.0]], [1.0, {"$": "float", "v": "1e3"}]):
        with pytest.raises(wire.WireError):
            wire.decode({"$": "array", "shape": [2], "data": bad})
    with pytest.raises(wire.WireError):
        wire.decode({"$": "array", "shape": [3], "data": [1.0, 2.0]})


@given(st.lists(arrays, max_size=4))
def test_a_calls_message_holds_each_call_as_sent_on_its_own(values):
    """The grader frames a submission's calls into one message from their encoded bodies (the memo
    keys), without encoding them again: it must read as the message of those calls."""
    calls = [{"function": f"f{i}", "args": wire.encode([value]), "expect": "array"} for i, value in enumerate(values)]
    framed = wire.dumps_calls([wire.body(call) for call in calls])
    assert int.from_bytes(framed[:4], "big") == len(framed) - 4
    assert wire.loads(framed[4:]) == {"op": "calls", "calls": calls}
