"""Texts we write faster than the libraries that define them, and must write exactly as they do:
report.json's indented JSON (the standard library's) and the vectors shown in reports (numpy's)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings, strategies as st

from autograder import jsontext
from autograder.checks import _small_array, array_text, show
from autograder.records import plain

from conftest import examples

numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers()
leaves = st.none() | st.booleans() | numbers | st.text(max_size=8)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4) | st.lists(numbers, max_size=5)
                      | st.lists(st.lists(numbers, max_size=3), max_size=4), max_leaves=30)


@settings(max_examples=examples(1500))
@given(values)
def test_indented_json_is_the_standard_librarys(value):
    assert jsontext.indented(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def test_indented_json_refuses_what_the_standard_library_refuses():
    for bad in ([1.0, float("nan")], {"a": [[float("inf"), 1.0]]}, {"x": object()}):
        for write in (jsontext.indented, lambda v: json.dumps(v, indent=2, allow_nan=False)):
            try:
                write(bad)
            except (ValueError, TypeError) as exc:
                assert type(exc) in (ValueError, TypeError)
            else:
                raise AssertionError(f"{bad!r} was written")


def test_plain_keeps_numbers_and_names_what_json_cannot_hold():
    data = {"path": [[1.0, 2], [3.5, -0.0]], "row": np.array([1.0, np.inf]), "values": (1, 2.5), "flag": [True, 1.0]}
    assert plain(data) == {"path": [[1.0, 2], [3.5, -0.0]], "row": [1.0, "inf"], "values": [1, 2.5],
                           "flag": [True, 1.0]}
    assert type(plain(data)["flag"][0]) is bool


def numpys(vector: np.ndarray) -> str:
    return np.array2string(vector, precision=6, threshold=24, edgeitems=3, max_line_width=100, suppress_small=False)


floats = (st.floats(-1e9, 1e9) | st.floats(-10, 10) | st.integers(-10**8, 10**8).map(float)
          | st.decimals(-2000, 2000, places=4).map(float)
          | st.sampled_from([0.0, -0.0, 1e-4, 9.9999e-5, 1e8, 99999999.99, 1000.0, 1000.0001, 0.001, 1.0000005]))


@settings(max_examples=examples(3000))
@given(st.lists(floats, min_size=1, max_size=9))
def test_small_arrays_are_shown_as_numpy_shows_them(items):
    vector = np.array(items, dtype=float)
    fast = _small_array(vector)
    assert fast is None or fast == numpys(vector)
    assert show(vector) == numpys(vector)


@settings(max_examples=examples(2000))
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_small_matrices_are_shown_as_numpy_shows_them(rows, columns, data):
    matrix = np.array(data.draw(st.lists(floats, min_size=rows * columns, max_size=rows * columns))).reshape(rows, columns)
    fast = _small_array(matrix)
    assert fast is None or fast == numpys(matrix)
    assert show(matrix) == numpys(matrix)


def short_numpys(array: np.ndarray) -> str:
    return np.array2string(array, precision=4, separator=", ", suppress_small=True, max_line_width=200)


@settings(max_examples=examples(3000))
@given(st.integers(0, 3), st.integers(1, 3), st.data())
def test_arrays_in_titles_are_written_as_numpy_writes_them(rows, columns, data):
    """The options critical_points' titles use (`cases.short`): fewer decimals, comma-separated,
    tiny numbers suppressed."""
    shape = (columns,) if rows == 0 else (rows, columns)
    size = int(np.prod(shape))
    array = np.array(data.draw(st.lists(floats, min_size=size, max_size=size))).reshape(shape)
    fast = _small_array(array, 4, ", ", True, 200)
    assert fast is None or fast == short_numpys(array)
    assert array_text(array, 4, ", ", True, 200) == short_numpys(array)


def test_small_arrays_mostly_take_the_fast_way():
    rng = np.random.default_rng(1)
    taken = 0
    for _ in range(2000):
        size = int(rng.integers(1, 7))
        vector = np.round(rng.normal(size=size) * 10 ** rng.uniform(-2, 2, size=size), int(rng.integers(0, 8)))
        fast = _small_array(vector)
        assert fast is None or fast == numpys(vector)
        taken += fast is not None
    assert taken > 1000
    assert _small_array(np.array([1.0, np.nan])) is None and _small_array(np.eye(4)) is None
    assert _small_array(np.eye(2)) == numpys(np.eye(2))
    assert _small_array(np.eye(2), 4, ", ", True, 200) == short_numpys(np.eye(2))
