"""Our signing keys: the key that signs now, the next one (published ahead, so that platforms that
cache our key set already know it on the day it starts signing), and retired ones (published a
while longer, so that what they signed can still be checked).

The keys live in `DATA/lti-keys.json`, readable by the server's user alone. Rotation happens by
age whenever the ring is used: after ROTATE_AFTER the next key signs, a new next key is made,
and the old key stays in the key set for KEEP_RETIRED before it is dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import RSAKey

ROTATE_AFTER = dt.timedelta(days=90)
KEEP_RETIRED = dt.timedelta(days=7)
ALGORITHM = "RS256"  # the one LTI 1.3's security framework requires every platform to accept


class KeyRing:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def jwks(self, at: dt.datetime | None = None) -> dict:
        """The public key set: every key that signs, will sign, or signed recently."""
        return {"keys": [RSAKey.import_key(k["jwk"]).as_dict(private=False) | {"alg": ALGORITHM, "use": "sig"}
                         for k in self._keys(at)]}

    def sign(self, claims: dict, at: dt.datetime | None = None) -> str:
        """A JWT of `claims`, signed with the current key (its kid in the header)."""
        current = next(k for k in self._keys(at) if k["state"] == "current")
        key = RSAKey.import_key(current["jwk"])
        return jwt.encode({"alg": ALGORITHM, "kid": current["kid"], "typ": "JWT"}, claims, key, algorithms=[ALGORITHM])

    def _keys(self, at: dt.datetime | None) -> list[dict]:
        at = at or dt.datetime.now(dt.timezone.utc)
        with self._lock:
            keys = json.loads(self.path.read_text()) if self.path.exists() else []
            rotated = _rotate(keys, at)
            if rotated != keys:
                _write_private(self.path, json.dumps(rotated, indent=1))
            return rotated


def _rotate(keys: list[dict], at: dt.datetime) -> list[dict]:
    keys = [dict(k) for k in keys
            if k["state"] != "retired" or at - dt.datetime.fromisoformat(k["retired_at"]) < KEEP_RETIRED]
    current = [k for k in keys if k["state"] == "current"]
    if current and at - dt.datetime.fromisoformat(current[0]["since"]) >= ROTATE_AFTER:
        current[0].update(state="retired", retired_at=at.isoformat())
        current = []
    upcoming = [k for k in keys if k["state"] == "next"]
    if not current:
        if upcoming:
            upcoming[0].update(state="current", since=at.isoformat())
            upcoming = []
        else:
            keys.append(_new_key("current", at))
    if not upcoming:
        keys.append(_new_key("next", at))
    return keys


def _new_key(state: str, at: dt.datetime) -> dict:
    key = RSAKey.generate_key(2048, auto_kid=True)  # kid: the key's RFC 7638 thumbprint
    return {"kid": key.kid, "state": state, "since": at.isoformat(), "jwk": key.as_dict(private=True)}


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{time.monotonic_ns()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
