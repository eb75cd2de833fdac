"""Talking to the platform: its public key set, OAuth2 access tokens, and bounded JSON over HTTP.

An access token comes from the platform's token URL by the client-credentials grant with a
JWT client assertion signed by our current key (RFC 7523, as LTI's security framework asks);
it is kept until shortly before it expires. Every answer is read with a size bound and a
time-out: a slow or broken platform costs a failed call, never a stuck server.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from joserfc.jwk import KeySet

from .keys import KeyRing
from .registration import Registration

TIMEOUT = 10.0  # seconds per call
MAX_ANSWER = 8 * 2**20
REFETCH_AFTER = 10.0  # seconds: an unknown kid refetches the platform's key set at most this often
ASSERTION_LIFETIME = 300


class PlatformError(Exception):
    """A call to the platform failed; the message says which and why, in one line."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: object  # decoded JSON


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    """One HTTP call answered with JSON (or nothing)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read(MAX_ANSWER + 1)
            status, answer_headers = response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip().replace("\n", " ")
        raise PlatformError(f"{method} {_short(url)} answered {exc.code} {exc.reason}"
                            + (f": {detail}" if detail else "")) from None
    except (urllib.error.URLError, OSError) as exc:
        raise PlatformError(f"{method} {_short(url)} failed: {getattr(exc, 'reason', exc)}") from None
    if len(raw) > MAX_ANSWER:
        raise PlatformError(f"{method} {_short(url)} answered more than {MAX_ANSWER // 2**20} MiB")
    if not raw.strip():
        return Answer(status, answer_headers, None)
    try:
        return Answer(status, answer_headers, json.loads(raw))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PlatformError(f"{method} {_short(url)} did not answer JSON") from None


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


class Platform:
    """The registered platform as we call it: its keys, our tokens for its services."""

    def __init__(self, registration: Registration, keys: KeyRing):
        self.registration = registration
        self.keys = keys
        self._lock = threading.Lock()
        self._key_set: KeySet | None = None
        self._fetched_at = float("-inf")
        self._tokens: dict[str, tuple[str, float]] = {}

    def key_set(self, kid: str | None) -> KeySet:
        """The platform's public keys, fetched again when a launch names a key we do not know yet (rotation)."""
        with self._lock:
            known = self._key_set is not None and any(k.kid == kid for k in self._key_set.keys)
            if not known and time.monotonic() - self._fetched_at > REFETCH_AFTER:
                answer = call("GET", self.registration.key_set_url, headers={"Accept": "application/json"})
                self._fetched_at = time.monotonic()
                try:
                    self._key_set = KeySet.import_key_set(answer.body)
                except (TypeError, ValueError, KeyError) as exc:
                    raise PlatformError(f"the platform's key set at {self.registration.key_set_url} is not a "
                                        f"JSON Web Key Set ({exc})") from None
            if self._key_set is None:
                raise PlatformError(f"no key set from {self.registration.key_set_url}")
            return self._key_set

    def token(self, scopes: tuple[str, ...]) -> str:
        """An access token for `scopes`, asked for with a client assertion signed by our key."""
        scope = " ".join(sorted(scopes))
        with self._lock:
            held = self._tokens.get(scope)
            if held and held[1] > time.time() + 30:
                return held[0]
        now = int(time.time())
        registration = self.registration
        assertion = self.keys.sign({"iss": registration.client_id, "sub": registration.client_id,
                                    "aud": registration.token_url, "iat": now, "exp": now + ASSERTION_LIFETIME,
                                    "jti": secrets.token_urlsafe(16)})
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "scope": scope}).encode()
        answer = call("POST", registration.token_url, form,
                      {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        body = answer.body if isinstance(answer.body, dict) else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise PlatformError(f"the platform's token URL gave no access token for {scope}")
        expires = body.get("expires_in", 3600)
        with self._lock:
            self._tokens[scope] = (token, time.time() + (expires if isinstance(expires, (int, float)) else 3600))
        return token

    def service(self, method: str, url: str, scopes: tuple[str, ...], accept: str,
                payload: dict | None = None, content_type: str | None = None) -> Answer:
        """A call to one of the platform's services (NRPS, AGS) with a bearer token for `scopes`."""
        headers = {"Authorization": f"Bearer {self.token(scopes)}", "Accept": accept}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = content_type or "application/json"
        return call(method, url, body, headers)
