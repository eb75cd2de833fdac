"""What `autograder lti config` prints: our URLs, Canvas's developer-key JSON, Moodle's form fields,
and the `[lti]` table to fill in with what the platform shows once the tool is registered."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from .passback import LINEITEM, SCORE
from .roster_sync import SCOPE as MEMBERSHIP

TITLE = "Optimisation autograder"
DESCRIPTION = "Personal notebooks, hand-in and reports of the optimisation assignments; scores go to the gradebook."


def urls(base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"login": f"{base}/lti/login", "launch": f"{base}/lti/launch", "jwks": f"{base}/lti/jwks.json"}


def canvas_key(base_url: str) -> dict:
    """Canvas: Admin → Developer Keys → + Developer Key → + LTI Key → Method "Paste JSON"."""
    ours = urls(base_url)
    placement = {"message_type": "LtiDeepLinkingRequest", "target_link_uri": ours["launch"], "text": TITLE}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": ours["login"],
        "target_link_uri": ours["launch"],
        "public_jwk_url": ours["jwks"],
        "scopes": [LINEITEM, f"{LINEITEM}.readonly", SCORE, MEMBERSHIP],
        "extensions": [{
            "platform": "canvas.instructure.com",
            "domain": urlsplit(base_url).hostname,
            "privacy_level": "public",  # name, e-mail and SIS id in launches: how people are matched to the roster
            "settings": {"text": TITLE, "placements": [
                {"placement": "assignment_selection", **placement},
                {"placement": "link_selection", **placement},
            ]},
        }],
        # Canvas sends the login name only when asked; it is one of the claims matched to the roster.
        "custom_fields": {"canvas_user_login_id": "$Canvas.user.loginId"},
    }


def text(base_url: str) -> str:
    ours = urls(base_url)
    moodle = [
        ("Tool name", TITLE),
        ("Tool URL", ours["launch"]),
        ("LTI version", "LTI 1.3"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", ours["jwks"]),
        ("Initiate login URL", ours["login"]),
        ("Redirection URI(s)", ours["launch"]),
        ("Supports Deep Linking (Content-Item Message)", "yes"),
        ("Content Selection URL", ours["launch"]),
        ("Services → IMS LTI Assignment and Grade Services", "Use this service for grade sync and column management"),
        ("Services → IMS LTI Names and Role Provisioning", "Use this service to retrieve members' information"),
        ("Privacy → Share launcher's name / email with tool", "Always"),
        ("Privacy → Accept grades from the tool", "Always"),
    ]
    width = max(len(k) for k, _ in moodle)
    lines = [
        "Our URLs (the same for every platform):",
        f"  OIDC login initiation: {ours['login']}",
        f"  launch / redirect URI: {ours['launch']}",
        f"  public keys (JWKS):    {ours['jwks']}",
        "",
        "Canvas: Admin → Developer Keys → + Developer Key → + LTI Key. Redirect URIs: " + ours["launch"],
        "Method: Paste JSON, and paste:",
        json.dumps(canvas_key(base_url), indent=2),
        "Then switch the key ON, and install it in the course or account (Settings → Apps → + App → By Client ID).",
        "",
        ("Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools → configure a "
         "tool manually:"),
        *(f"  {k.ljust(width)}  {v}" for k, v in moodle),
        "",
        ("Then write what the platform shows into course.toml (Canvas: the key's Client ID and the deployment id "
         "from the app's settings; Moodle: the tool's \"View configuration details\"):"),
        "",
        "[lti]",
        'issuer = "https://canvas.instructure.com"            # Moodle: the Platform ID (the site\'s URL)',
        'client_id = "..."',
        'deployment_ids = ["..."]',
        'auth_url = "https://sso.canvaslms.com/api/lti/authorize_redirect"   # Moodle: <site>/mod/lti/auth.php',
        'token_url = "https://sso.canvaslms.com/login/oauth2/token"          # Moodle: <site>/mod/lti/token.php',
        'key_set_url = "https://sso.canvaslms.com/api/lti/security/jwks"     # Moodle: <site>/mod/lti/certs.php',
    ]
    return "\n".join(lines)
