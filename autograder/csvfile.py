"""Every CSV we write (grades, LMS imports, regrade previews, sign-in links) goes through here.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some
treat a leading tab or carriage return the same way), so a student name or a file name
like `=HYPERLINK(...)` would run on a TA's machine. Such a text cell is written with a
leading single quote, which spreadsheets show as text. A cell that is a plain number
(scores, even a negative one) stays as it is, so that score columns remain numbers.
"""

from __future__ import annotations

import csv
import re
from typing import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def cell(value) -> object:
    """`value` as it may go into a CSV cell. A carriage return inside text becomes a line feed: the
    csv module quotes a cell for the line ends it writes (\\n) only, and a bare \\r would end the row."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


class Writer:
    """csv.writer with every cell neutralised (lines end in \\n, as in all our files)."""

    def __init__(self, out):
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)
