"""What the copied-work review finds, as plain records: summary.html and the server show them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SideLine:
    """One line of a student's code beside the other's; `number` None is a gap ("…")."""

    number: int | None
    text: str
    match: bool


@dataclass(frozen=True)
class SimilarPair:
    students: tuple[str, str]
    score: float  # the larger of the two shares
    shares: tuple[float, float]  # of each one's own code, matched in the other's
    sides: tuple[tuple[SideLine, ...], tuple[SideLine, ...]]  # each one's matching lines, with a line around


@dataclass(frozen=True)
class CopySignal:
    """A submission computing with another student's constants, or generated for another student."""

    students: tuple[str, str]  # the one who handed it in, the one it points at
    what: str


@dataclass(frozen=True)
class Similarity:
    """Possibly copied work in a class, for a person to look at; it never changes a score."""

    threshold: float  # a pair is listed from this share of either one's code
    signals: tuple[CopySignal, ...] = ()
    pairs: tuple[SimilarPair, ...] = ()  # most similar first
    clusters: tuple[tuple[str, ...], ...] = ()  # three or more students joined by pairs
