"""A learning platform for the LTI tests: an LTI 1.3 platform of its own, written on PyJWT (not the
tool's JOSE library), served by uvicorn on a loopback port in a thread.

It does what Canvas and Moodle do for a tool: third-party initiated login and the OIDC
authorisation answer (an id_token, form-posted back), its key set, the OAuth2 token URL
(client credentials with the tool's signed client assertion, checked against the tool's own
key set), Names and Roles (paged), Assignment and Grade Services (line items and scores), and
Deep Linking's return URL. What it received is kept for the tests to look at.
"""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CLIENT_ID, DEPLOYMENT = "tool-7", "deploy-1"
CONTEXT = "course-42"


def new_key(kid: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, public | {"kid": kid, "alg": "RS256", "use": "sig"}


class Platform:
    def __init__(self, host: str = "127.0.0.1"):
        self.key, self.jwk = new_key("platform-1")
        self.host = host  # "localhost" puts the platform on another site than a tool on 127.0.0.1
        self.port = None
        self.tool_url = ""
        self.members: list[dict] = []
        self.line_items: dict[str, dict] = {}
        self.scores: list[dict] = []
        self.deep_links: list[dict] = []
        self.fail_scores = 0  # how many score posts answer 503 before they succeed
        self.tokens: dict[str, str] = {}
        self.tool_jwks_url = ""
        self.next_launch: dict = {}
        self.tamper = None  # a function(claims, header) -> (claims, header, key) for the refusal tests
        self.app = Starlette(routes=[
            Route("/jwks", lambda r: JSONResponse({"keys": [self.jwk]})),
            Route("/course", self.course_page),
            Route("/auth", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/memberships", self.memberships),
            Route("/lineitems", self.lineitems, methods=["GET", "POST"]),
            Route("/lineitems/{id}/scores", self.score, methods=["POST"]),
            Route("/deep_link_return", self.deep_link_return, methods=["POST"]),
        ])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def registration(self) -> str:
        """course.toml's [lti] table for this platform."""
        return (f'[lti]\nissuer = "{self.url}"\nclient_id = "{CLIENT_ID}"\ndeployment_ids = ["{DEPLOYMENT}"]\n'
                f'auth_url = "{self.url}/auth"\ntoken_url = "{self.url}/token"\nkey_set_url = "{self.url}/jwks"\n')

    # --- launching ----------------------------------------------------------------------

    def login_form(self, tool_url: str, **extra) -> dict:
        """What the platform posts (or links) to the tool's OIDC login initiation URL."""
        return {"iss": self.url, "login_hint": "hint-1", "target_link_uri": f"{tool_url}/lti/launch",
                "lti_message_hint": "msg-1", "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT, **extra}

    def authorize(self, request: Request) -> Response:
        """The OIDC authorisation endpoint: checks what the tool asked for, answers the id_token (as JSON for the
        test, in place of the auto-posted form a browser gets)."""
        q = request.query_params
        expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                    "client_id": CLIENT_ID, "login_hint": "hint-1", "lti_message_hint": "msg-1"}
        wrong = {k: q.get(k) for k, v in expected.items() if q.get(k) != v}
        if wrong or not q.get("nonce") or not q.get("state"):
            return JSONResponse({"error": "invalid_request", "wrong": wrong}, status_code=400)
        claims = self.id_token_claims(q["nonce"], **self.next_launch)
        answer = {"action": q["redirect_uri"], "id_token": self.sign(claims), "state": q["state"]}
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_posting(answer.pop("action"), answer))
        return JSONResponse(answer)

    def course_page(self, request: Request) -> Response:
        """The course page of the LMS: the tool launched in a frame (or, with ?window, as the whole page)."""
        target = "_top" if "window" in request.query_params else "tool"
        login = self.login_form(self.tool_url, target_link_uri=f"{self.tool_url}/lti/launch")
        return HTMLResponse("<h1>Machine learning</h1><iframe name='tool' width='800' height='600'></iframe>"
                            + _posting(f"{self.tool_url}/lti/login", login, target))

    def id_token_claims(self, nonce: str, user: dict | None = None, roles=("Learner",), kind="LtiResourceLinkRequest",
                        custom: dict | None = None, **extra) -> dict:
        now = int(time.time())
        user = user or {}
        claims = {
            "iss": self.url, "aud": CLIENT_ID, "sub": user.get("sub", "u-1"), "iat": now, "exp": now + 300,
            "nonce": nonce, "name": user.get("name", ""), "email": user.get("email", ""),
            LTI + "message_type": kind, LTI + "version": "1.3.0", LTI + "deployment_id": DEPLOYMENT,
            LTI + "target_link_uri": "", LTI + "roles": [LIS + r for r in roles],
            LTI + "context": {"id": CONTEXT, "label": "ML-101", "title": "Machine learning"},
            LTI + "resource_link": {"id": "rl-1"},
            LTI + "lis": {"person_sourcedid": user.get("sourcedid", "")},
            LTI + "custom": custom or {},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/memberships", "service_versions": ["2.0"]},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "lineitems": f"{self.url}/lineitems",
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                          "https://purl.imsglobal.org/spec/lti-ags/scope/score"]},
        }
        if kind == "LtiDeepLinkingRequest":
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep_link_return", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": True,
                "data": "opaque-42"}
        return claims | extra

    def sign(self, claims: dict) -> str:
        header, key = {"kid": self.jwk["kid"]}, self.key
        if self.tamper:
            claims, header, key = self.tamper(claims, header, key)
        return jwt.encode(claims, key, algorithm="RS256", headers=header)

    # --- services -----------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = await request.form()
        try:
            tool_keys = jwt.PyJWKClient(self.tool_jwks_url, cache_keys=False)
            assertion = form["client_assertion"]
            key = tool_keys.get_signing_key_from_jwt(assertion)
            claims = jwt.decode(assertion, key.key, algorithms=["RS256"], audience=f"{self.url}/token",
                                issuer=CLIENT_ID)
        except (jwt.PyJWTError, KeyError) as exc:
            return JSONResponse({"error": "invalid_client", "why": str(exc)}, status_code=401)
        assert claims["sub"] == CLIENT_ID and form["grant_type"] == "client_credentials"
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        token = secrets.token_hex(8)
        self.tokens[token] = form["scope"]
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                             "scope": form["scope"]})

    def _allowed(self, request: Request, scope: str) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return scope in self.tokens.get(token, "").split()

    def memberships(self, request: Request) -> Response:
        if not self._allowed(request, "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        page = int(request.query_params.get("page", "1"))
        half = (len(self.members) + 1) // 2
        members = self.members[:half] if page == 1 else self.members[half:]
        headers = {"Link": f'<{self.url}/memberships?page=2>; rel="next"'} if page == 1 else {}
        return JSONResponse({"id": f"{self.url}/memberships", "context": {"id": CONTEXT}, "members": members},
                            headers=headers, media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    async def lineitems(self, request: Request) -> Response:
        if not self._allowed(request, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        if request.method == "GET":
            wanted = request.query_params.get("resource_id")
            return JSONResponse([i for i in self.line_items.values() if wanted in (None, i["resourceId"])])
        item = await request.json()
        return JSONResponse(self.add_line_item(item))

    def add_line_item(self, item: dict) -> dict:
        number = str(len(self.line_items) + 1)
        item = {**item, "id": f"{self.url}/lineitems/{number}"}
        self.line_items[number] = item
        return item

    async def score(self, request: Request) -> Response:
        if not self._allowed(request, "https://purl.imsglobal.org/spec/lti-ags/scope/score"):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
            return JSONResponse({"error": "wrong content type"}, status_code=415)
        if self.fail_scores:
            self.fail_scores -= 1
            return JSONResponse({"error": "try later"}, status_code=503)
        self.scores.append({"line_item": request.path_params["id"], **(await request.json())})
        return Response(status_code=204)

    async def deep_link_return(self, request: Request) -> Response:
        form = await request.form()
        token = form["JWT"]
        key = jwt.PyJWKClient(self.tool_jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.url, issuer=CLIENT_ID)
        self.deep_links.append(claims)
        for item in claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]:
            if "lineItem" in item:
                self.add_line_item(item["lineItem"])
        return JSONResponse({"placed": len(self.deep_links)})


def _posting(action: str, fields: dict, target: str = "_self") -> str:
    """An auto-submitted form, the way platforms post to tools."""
    inputs = "".join(f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>" for k, v in fields.items())
    return (f"<form id='post' method='post' action='{html.escape(action)}' target='{target}'>{inputs}</form>"
            "<script>document.getElementById('post').submit()</script>")


@contextlib.contextmanager
def serving(app, port: int):
    """`app` on 127.0.0.1:`port` in a thread, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


def form_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
