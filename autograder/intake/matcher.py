"""Who a file belongs to: an LMS's way of naming a person, matched against the roster's columns.

A layout turns each file into a `Candidate` carrying the identities the LMS wrote into the
download, strongest first (an LMS user id before an e-mail before a name). The first of
them that the roster can answer decides: one student is a match; several students, or
none under any identity, leave the file unmatched, to be listed for the TA and never
graded under a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from ..roster import Roster

# The identities a layout may name, the roster column each is looked up in, and what
# the TA reads in a message.
LABELS = {
    "student_id": "student id",
    "canvas_id": "Canvas user id",
    "email": "e-mail",
    "username": "username",
    "name": "name",
    "sortable_name": "Canvas name",
}


@dataclass(frozen=True)
class Candidate:
    """One notebook in a download and what the LMS says about it."""

    entry: str  # its path inside the download
    keys: tuple[tuple[str, str], ...]  # (identity, value), strongest first
    order: tuple = ()  # among one student's files, the largest counts (the newest by the layout's rule)
    submitted_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True)
class Match:
    students: tuple[str, ...]
    by: str | None  # the identity that decided, None when nothing matched


@dataclass
class RosterIndex:
    """The roster's students by each identity a download may carry."""

    roster: Roster
    index: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.roster.rows:
            sid = row["student_id"]
            for identity, values in _identities(row).items():
                for value in values:
                    bucket = self.index.setdefault(identity, {}).setdefault(value, [])
                    if sid not in bucket:
                        bucket.append(sid)

    def match(self, candidate: Candidate) -> Match:
        for identity, value in candidate.keys:
            found = self.index.get(identity, {}).get(normalise(identity, value))
            if found:
                return Match(tuple(found), identity)
        return Match((), None)

    def has(self, identity: str) -> bool:
        return identity in self.index


def normalise(identity: str, value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if identity in ("student_id", "canvas_id"):
        return value
    if identity == "sortable_name":
        return canvas_name(value)
    return " ".join(value.casefold().split())


def canvas_name(text: str) -> str:
    """A name as Canvas writes it into its download: lowercased, every character but letters,
    digits and "_" removed ("O'Brien, Seán" → "obrienseán")."""
    return re.sub(r"\W", "", unicodedata.normalize("NFC", text).casefold())


def describe(candidate: Candidate) -> str:
    return ", ".join(f"{LABELS[identity]} {value!r}" for identity, value in candidate.keys) or "nobody named"


def _identities(row: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column in ("student_id", "canvas_id", "email", "username"):
        if row.get(column):
            out[column] = [normalise(column, row[column])]
    name = row.get("name") or " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)
    if name.strip():
        out["name"] = [normalise("name", name)]
        # Canvas files by the sortable name, "Last, First". A roster holds "First Last" or
        # already "Last, First"; both orders are tried, and a two-word surname or given
        # name is where a TA may have to look at the unmatched list.
        words = name.replace(",", " ").split()
        forms = {canvas_name(name), canvas_name("".join(words[-1:] + words[:-1]))}
        if row.get("first_name") and row.get("last_name"):
            forms.add(canvas_name(row["last_name"] + row["first_name"]))
        out["sortable_name"] = sorted(forms)
    return out
