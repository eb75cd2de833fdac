"""The OIDC login's state and the launch's id_token, validated completely.

Login (the platform's third-party initiated login) gets a fresh nonce, kept on our side until
used, and a state that carries the nonce and an expiry signed with the server's key: the
launch that comes back checks the state's signature, so nothing depends on a cookie that a
browser blocks inside the LMS's frame. The id_token must then be signed by the platform's
key (RS256, found by its kid in the platform's key set), come from the registered issuer,
name our client id as its audience (and as `azp` when it names several), come from a listed
deployment, carry the state's nonce, which is used up on the spot, and not have expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError

from .ltistore import LtiStore
from .platform import Platform, PlatformError
from .registration import Registration

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LINK, DEEP_LINKING = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
LOGIN_LIFETIME = 600  # seconds from login to launch
LEEWAY = 60  # seconds of clock difference allowed on iat and exp
MAX_TOKEN = 64 * 1024


class Refused(Exception):
    """A launch or login we do not accept; the message is shown to the person (one line)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Launch:
    claims: dict

    @property
    def kind(self) -> str:
        return self.claims[LTI + "message_type"]

    @property
    def sub(self) -> str:
        return self.claims.get("sub", "")

    @property
    def roles(self) -> list[str]:
        roles = self.claims.get(LTI + "roles", [])
        return [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []

    @property
    def context(self) -> dict:
        return _table(self.claims, LTI + "context")

    @property
    def custom(self) -> dict:
        return _table(self.claims, LTI + "custom")

    @property
    def nrps(self) -> dict:
        return _table(self.claims, NRPS)

    @property
    def ags(self) -> dict:
        return _table(self.claims, AGS)

    @property
    def deep_linking(self) -> dict:
        return _table(self.claims, DL + "deep_linking_settings")

    @property
    def deployment_id(self) -> str:
        return self.claims[LTI + "deployment_id"]


def _table(claims: dict, key: str) -> dict:
    value = claims.get(key)
    return value if isinstance(value, dict) else {}


# --- login ------------------------------------------------------------------------------

def login_redirect(params: dict[str, str], registration: Registration, store: LtiStore, state_key: bytes,
                   launch_url: str) -> str:
    """Where the browser goes from /lti/login: the platform's authorisation URL with our nonce and state."""
    if params.get("iss") != registration.issuer:
        raise Refused(f"this tool is registered for the platform {registration.issuer}, "
                      f"not {str(params.get('iss'))[:200]!r}", 403)
    if params.get("client_id") not in (None, registration.client_id):
        raise Refused("the login names another client id than the one this tool is registered with", 403)
    if not params.get("login_hint"):
        raise Refused("the login request has no login_hint; start the tool from the LMS")
    nonce = secrets.token_urlsafe(24)
    store.add_nonce(nonce, LOGIN_LIFETIME)
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": registration.client_id, "redirect_uri": launch_url, "login_hint": params["login_hint"],
             "state": sign_state(state_key, nonce), "nonce": nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.auth_url else "?"
    return registration.auth_url + separator + urlencode(query)


def sign_state(key: bytes, nonce: str) -> str:
    payload = _b64(json.dumps({"nonce": nonce, "exp": int(time.time()) + LOGIN_LIFETIME}).encode())
    return f"{payload}.{_b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())}"


def state_nonce(key: bytes, state: str) -> str:
    """The nonce a state of ours carries; Refused when the state is not ours or has expired."""
    payload, _, signature = state.partition(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise Refused("the launch's state was not issued by this tool; start the tool again from the LMS", 403)
    data = json.loads(_unb64(payload))
    if data["exp"] < time.time():
        raise Refused("the launch came more than 10 minutes after its login; start the tool again from the LMS", 403)
    return data["nonce"]


# --- launch -----------------------------------------------------------------------------

def validate(id_token: str, state: str, registration: Registration, platform: Platform, store: LtiStore,
             state_key: bytes) -> Launch:
    """The launch's claims, once every check has passed; Refused with the first that fails."""
    if not id_token or not state:
        raise Refused("the launch has no id_token or no state; start the tool from the LMS")
    if len(id_token) > MAX_TOKEN:
        raise Refused("the id_token is too large")
    nonce = state_nonce(state_key, state)
    try:
        header = json.loads(_unb64(id_token.split(".")[0]))
    except (ValueError, UnicodeDecodeError):
        raise Refused("the id_token is not a JWT") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise Refused("the id_token must be signed with RS256")
    try:
        keys = platform.key_set(header.get("kid"))
    except PlatformError as exc:
        raise Refused(f"the platform's key set could not be read: {exc}", 502) from None
    try:
        claims = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
    except JoseError as exc:
        raise Refused(f"the id_token's signature does not verify against the platform's key set "
                      f"({exc.error or type(exc).__name__})", 403) from None
    now = time.time()
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    checks = [
        (claims.get("iss") == registration.issuer,
         f"the id_token was issued by {str(claims.get('iss'))[:200]!r}, not the registered {registration.issuer}"),
        (registration.client_id in audiences, "the id_token is meant for another tool (aud is not our client id)"),
        (len(audiences) == 1 or claims.get("azp") == registration.client_id,
         "the id_token names several audiences but not us as its authorised party (azp)"),
        (_number(claims.get("exp")) and now <= claims["exp"] + LEEWAY, "the id_token has expired"),
        (_number(claims.get("iat")) and claims["iat"] <= now + LEEWAY, "the id_token was issued in the future"),
        (claims.get("nonce") == nonce, "the id_token's nonce is not the one of this login"),
        (claims.get(LTI + "deployment_id") in registration.deployment_ids,
         (f"the deployment {str(claims.get(LTI + 'deployment_id'))[:200]!r} is not one of this course's "
          "deployment_ids in course.toml")),
        (claims.get(LTI + "version") == "1.3.0", "the launch is not LTI version 1.3.0"),
        (claims.get(LTI + "message_type") in (RESOURCE_LINK, DEEP_LINKING),
         f"this tool does not handle {str(claims.get(LTI + 'message_type'))[:100]!r} messages"),
    ]
    for passed, why in checks:
        if not passed:
            raise Refused(why, 403)
    # Used up last, and only by a token that passed every other check: a replay finds it gone.
    if not store.use_nonce(nonce):
        raise Refused("this launch was already used (its nonce is spent); start the tool again from the LMS", 403)
    if claims.get(LTI + "message_type") == RESOURCE_LINK and not claims.get("sub"):
        raise Refused("the launch names no user (anonymous launches are not supported)")
    return Launch(claims)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
