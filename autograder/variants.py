"""A student's variant: every random number of an assignment, derived from the course secret.

The variant key is HMAC-SHA256(secret, assignment NUL student_id). Each component draws
from its own named stream, seeded by HMAC(key, name), so adding a parameter or a check
never shifts the numbers of another. Streams under ``grading/`` are used only by the
grader at grading time; the notebook never shows anything derived from them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Variant:
    assignment: str
    student_id: str
    key: bytes

    @classmethod
    def derive(cls, secret: bytes, assignment: str, student_id: str) -> "Variant":
        message = f"{assignment}\0{student_id}".encode("utf-8")
        return cls(assignment, student_id, hmac.new(secret, message, hashlib.sha256).digest())

    def _digest(self, label: str) -> bytes:
        return hmac.new(self.key, label.encode("utf-8"), hashlib.sha256).digest()

    def rng(self, name: str) -> np.random.Generator:
        """The named random stream; the same name always gives the same numbers."""
        seed = int.from_bytes(self._digest("stream\0" + name), "big")
        return np.random.default_rng(np.random.SeedSequence(seed))

    @property
    def fingerprint(self) -> str:
        """A short public tag for the variant, written into the notebook (reveals nothing of the streams)."""
        return self._digest("fingerprint").hex()[:16]
