"""The platform's registration: the `[lti]` table of course.toml.

    [lti]
    issuer = "https://canvas.instructure.com"
    client_id = "10000000000042"
    deployment_ids = ["17:0d5d9b5c8c0b4e5c7b8f0a1e2d3c4b5a6f7e8d9c"]
    auth_url = "https://sso.canvaslms.com/api/lti/authorize_redirect"
    token_url = "https://sso.canvaslms.com/login/oauth2/token"
    key_set_url = "https://sso.canvaslms.com/api/lti/security/jwks"

Every key is required and checked; a key the table does not know is an error that names
the keys it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import UserError
from ..policy import FILE, read_course_file

KEYS = ("issuer", "client_id", "deployment_ids", "auth_url", "token_url", "key_set_url")


@dataclass(frozen=True)
class Registration:
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_url: str
    token_url: str
    key_set_url: str

    @property
    def origins(self) -> tuple[str, ...]:
        """Where the platform's pages are served: the origins that may frame our launch page."""
        return tuple(sorted({_origin(self.issuer), _origin(self.auth_url)}))


def read_registration(course_root: Path | str) -> Registration | None:
    """The `[lti]` table of the course's course.toml; None when there is none (LTI is off)."""
    return registration_of(read_course_file(course_root))


def registration_of(data: dict | None) -> Registration | None:
    """The registration in course.toml's tables, as `read_course_file` gives them."""
    table = None if data is None else data.get("lti")
    if table is None:
        return None
    where = f"{FILE} [lti]"
    if not isinstance(table, dict):
        raise UserError(f"{FILE}: lti must be a table ([lti])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(KEYS)})")
    missing = [key for key in KEYS if key not in table]
    if missing:
        raise UserError(f"{where}: {missing[0]} is missing (the platform shows it when the tool is registered; "
                        "`autograder lti config` says where)")
    for key in KEYS:
        if key != "deployment_ids" and (not isinstance(table[key], str) or not table[key].strip()):
            raise UserError(f"{where}: {key} must be text")
    deployments = table["deployment_ids"]
    if not isinstance(deployments, list) or not deployments or not all(isinstance(d, str) and d for d in deployments):
        raise UserError(f'{where}: deployment_ids must be a list of text, e.g. ["1:abc"]')
    for key in ("auth_url", "token_url", "key_set_url"):
        if urlsplit(table[key]).scheme not in ("https", "http"):
            raise UserError(f"{where}: {key} = {table[key]!r} is not an http(s) URL")
    return Registration(table["issuer"].strip(), table["client_id"].strip(), tuple(deployments),
                        table["auth_url"].strip(), table["token_url"].strip(), table["key_set_url"].strip())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
