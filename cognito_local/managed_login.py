"""Managed login (the hosted UI) and the OAuth 2.0 / OpenID Connect endpoints of a domain.

A pool's domain ``prefix`` (CreateUserPoolDomain) is served under
``{endpoint_url}/domain/{prefix}``, standing for ``https://{prefix}.auth.{region}.amazoncognito.com``:

* ``GET  /oauth2/authorize``  checks the request, then sends the browser to ``/login``
  (or, with a live managed login session, straight back with a code);
* ``GET|POST /login``         the login page: user name and password, then each challenge
  the pool's own sign-in asks for (SMS/e-mail/TOTP codes, MFA choice and TOTP setup, new
  password), run by :mod:`cognito_local.auth` with the API's strictness;
* ``POST /oauth2/token``      ``authorization_code`` (PKCE S256), ``refresh_token``,
  ``client_credentials``;
* ``GET|POST /oauth2/userInfo``, ``POST /oauth2/revoke``, ``GET /logout``, ``GET /error``.

Where each behaviour comes from: the developer guide's endpoint pages (authorize, token,
userInfo, revoke, logout), the API reference of CreateUserPoolClient (callback URLs, flows,
scopes), RFC 6749 / RFC 7636 / OpenID Connect Core where Cognito says it follows them.
docs/local.md ("Managed login") lists them with what the emulator leaves out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from aiohttp import web

from . import auth
from .errors import ServiceError
from .hooks import pre_token_generation
from .oauth import CODE_TTL, STANDARD_SCOPES, LoginPage, oauth_enabled
from .params import OPERATIONS, Params, RequestContext
from .sessions import AuthContext
from .state import secret_hash

if TYPE_CHECKING:
    from .model import Client, Pool, User
    from .state import Backend

__all__ = ["DOMAIN_PREFIX", "add_routes", "discovery", "domain_url"]

#: Where a domain's endpoints live on the emulator.
DOMAIN_PREFIX = "/domain/"
SESSION_COOKIE = "cognito"
CSRF_COOKIE = "XSRF-TOKEN"
_FORM = "application/x-www-form-urlencoded"


def domain_url(backend: Backend, domain: str) -> str:
    """The base URL of a domain on this emulator (``/oauth2/...`` go under it)."""
    return f"{backend.endpoint_url}{DOMAIN_PREFIX}{domain}"


def discovery(backend: Backend, pool_id: str) -> dict[str, Any]:
    """The pool's OpenID configuration: exactly the endpoints the emulator serves."""
    issuer = backend.issuer(pool_id)
    doc: dict[str, Any] = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
    }
    domain = backend.oauth.domain_of(pool_id)
    if domain is not None:
        base = domain_url(backend, domain)
        doc.update(
            {
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
                "userinfo_endpoint": f"{base}/oauth2/userInfo",
                "revocation_endpoint": f"{base}/oauth2/revoke",
                "end_session_endpoint": f"{base}/logout",
            }
        )
    doc.update(
        {
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
    return doc


# ------------------------------------------------------------------------- helpers
class _Refused(Exception):
    """An authorize request refused: shown on the error page, or sent to redirect_uri."""

    def __init__(
        self, error: str, description: str, *, redirect: bool, request: _Request | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect = redirect
        self.request = request


def _backend(request: web.Request) -> Backend:
    from .server import BACKEND_KEY

    return request.app[BACKEND_KEY]


def _pool_for(request: web.Request) -> tuple[str, Pool]:
    backend = _backend(request)
    domain = request.match_info["domain"]
    pool_id = backend.oauth.domains.get(domain)
    if pool_id is None or pool_id not in backend.pools:
        raise web.HTTPNotFound(text="No such domain.")
    return domain, backend.pools[pool_id]


def _base(request: web.Request, domain: str) -> str:
    return domain_url(_backend(request), domain)


def _json(body: Mapping[str, Any], status: int = 200, **headers: str) -> web.Response:
    response = web.json_response(dict(body), status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers.update(headers)
    return response


def _oauth_error(error: str, description: str | None = None, status: int = 400) -> web.Response:
    """A token/revoke endpoint error: ``{"error": ...}`` (developer guide, token endpoint)."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return _json(body, status)


def _with_query(url: str, params: Mapping[str, str], *, fragment: bool = False) -> str:
    parts = urlsplit(url)
    extra = urlencode(params)
    if fragment:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, extra))
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect(location: str) -> web.Response:
    response = web.Response(status=302)
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _pkce_verifier_ok(verifier: str) -> bool:
    """RFC 7636 4.1: 43 to 128 characters of ``[A-Za-z0-9-._~]``."""
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return 43 <= len(verifier) <= 128 and set(verifier) <= allowed


# ------------------------------------------------------------------------- authorize
class _Request:
    """A checked authorize request (from /oauth2/authorize or the login page's query)."""

    def __init__(self, pool: Pool, client: Client, query: Mapping[str, str]) -> None:
        self.pool = pool
        self.client = client
        self.query = dict(query)
        self.redirect_uri = ""
        self.response_type = ""
        self.scopes: list[str] = []
        self.state = query.get("state")
        self.nonce = query.get("nonce")
        self.code_challenge = query.get("code_challenge")
        self.code_challenge_method = query.get("code_challenge_method")
        self.prompt = set((query.get("prompt") or "").split())

    def refuse(self, error: str, description: str) -> _Refused:
        return _Refused(error, description, redirect=True, request=self)


def _check_authorize(backend: Backend, pool: Pool, query: Mapping[str, str]) -> _Request:
    """The authorize endpoint's checks, in the guide's order: client and redirect URI
    first (an error page), then everything else (an error sent to the redirect URI)."""
    client_id = query.get("client_id")
    client = backend.clients.get(client_id or "")
    if client is None or client.pool_id != pool.id:
        raise _Refused("invalid_request", "Invalid client_id.", redirect=False)
    req = _Request(pool, client, query)
    callbacks: list[str] = client.settings.get("CallbackURLs", [])
    redirect_uri = query.get("redirect_uri") or client.settings.get("DefaultRedirectURI")
    # "Amazon Cognito doesn't accept authorization requests with redirect_uri values that
    # aren't in the list of CallbackURLs" (API reference, CreateUserPoolClient); managed
    # login then shows its error page with error=redirect_mismatch.
    if not redirect_uri or redirect_uri not in callbacks:
        raise _Refused("redirect_mismatch", "redirect_mismatch", redirect=False)
    req.redirect_uri = redirect_uri
    response_type = query.get("response_type")
    if not response_type:
        raise req.refuse("invalid_request", "response_type is required.")
    if response_type not in ("code", "token"):
        raise req.refuse("unsupported_response_type", "response_type must be code or token.")
    req.response_type = response_type
    flow = "code" if response_type == "code" else "implicit"
    if not oauth_enabled(client, flow):
        raise req.refuse("unauthorized_client", f"The {flow} grant is not enabled for this client.")
    providers = client.settings.get("SupportedIdentityProviders", [])
    idp = query.get("identity_provider")
    if "COGNITO" not in providers or (idp is not None and idp != "COGNITO"):
        raise req.refuse(
            "invalid_request",
            "Only the COGNITO identity provider (the user pool) is available here.",
        )
    # "Amazon Cognito authentication server supports only S256" (authorize endpoint).
    pkce = req.code_challenge_method is not None or req.code_challenge is not None
    if pkce and (req.code_challenge_method != "S256" or not req.code_challenge):
        raise req.refuse(
            "invalid_request", "code_challenge and code_challenge_method=S256 go together."
        )
    allowed: list[str] = client.settings.get("AllowedOAuthScopes", [])
    requested = (query.get("scope") or "").split()
    scopes = requested or list(allowed)
    for scope in scopes:
        if scope not in allowed:
            raise req.refuse("invalid_scope", f"The scope {scope} is not allowed for this client.")
    # "The phone, email, and profile scopes can only be requested if openid scope is also
    # requested" (authorize endpoint).
    if {"phone", "email", "profile"} & set(scopes) and "openid" not in scopes:
        raise req.refuse("invalid_scope", "phone, email and profile need the openid scope.")
    custom = [s for s in scopes if s not in STANDARD_SCOPES]
    if custom and not set(custom) <= backend.oauth.custom_scopes(pool.id):
        raise req.refuse("invalid_scope", "Unknown scope.")
    req.scopes = scopes
    return req


def _error_redirect(request: web.Request, domain: str, refused: _Refused, query: Any) -> str:
    params = {"error": refused.error}
    if refused.description != refused.error:
        params["error_description"] = refused.description
    if query.get("client_id"):
        params["client_id"] = query["client_id"]
    return f"{_base(request, domain)}/error?{urlencode(params)}"


def _refusal(request: web.Request, domain: str, refused: _Refused) -> web.Response:
    req = refused.request
    if refused.redirect and req is not None:
        params = {"error": refused.error, "error_description": refused.description}
        if req.state is not None:
            params["state"] = req.state
        return _redirect(_with_query(req.redirect_uri, params))
    return _redirect(_error_redirect(request, domain, refused, request.query))


def _live_session(request: web.Request, pool: Pool) -> User | None:
    backend = _backend(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = backend.oauth.sessions.get(token or "")
    if session is None or session.pool_id != pool.id:
        return None
    if backend.clock.now() >= session.expires:
        backend.oauth.sessions.pop(session.token, None)
        return None
    user = pool.user_by_sub(session.sub)
    if user is None or not user.enabled:
        return None
    return user


def _complete(backend: Backend, req: _Request, user: User, auth_time: int) -> web.Response:
    """Send the browser back to the app: a code, or (implicit) the tokens in the fragment."""
    params: dict[str, str] = {}
    if req.response_type == "code":
        record = backend.oauth.new_code(
            pool_id=req.pool.id,
            client_id=req.client.client_id,
            sub=user.sub,
            redirect_uri=req.redirect_uri,
            scopes=list(req.scopes),
            auth_time=auth_time,
            expires=backend.clock.now() + CODE_TTL,
            nonce=req.nonce,
            code_challenge=req.code_challenge,
            code_challenge_method=req.code_challenge_method,
        )
        params["code"] = record.code
        if req.state is not None:
            params["state"] = req.state
        return _redirect(_with_query(req.redirect_uri, params))
    ctx = AuthContext(
        pool=req.pool, client=req.client, flow="implicit", user=user, typed_username=user.username
    )
    result = backend.issue_tokens(
        ctx, scope=" ".join(req.scopes), nonce=req.nonce, auth_time=auth_time
    )
    # "A refresh token is never returned in this flow" (authorize endpoint, token grant).
    backend.refresh_tokens.pop(result["RefreshToken"], None)
    params["access_token"] = result["AccessToken"]
    if "IdToken" in result:
        params["id_token"] = result["IdToken"]
    params["token_type"] = "Bearer"
    params["expires_in"] = str(result["ExpiresIn"])
    if req.state is not None:
        params["state"] = req.state
    return _redirect(_with_query(req.redirect_uri, params, fragment=True))


async def authorize(request: web.Request) -> web.StreamResponse:
    """GET /oauth2/authorize."""
    domain, pool = _pool_for(request)
    backend = _backend(request)
    try:
        req = _check_authorize(backend, pool, request.query)
        user = _live_session(request, pool)
        if user is not None and "login" not in req.prompt:
            session = backend.oauth.sessions[request.cookies[SESSION_COOKIE]]
            return _complete(backend, req, user, session.auth_time)
        if "none" in req.prompt:
            raise req.refuse("login_required", "The user is not signed in.")
    except _Refused as refused:
        return _refusal(request, domain, refused)
    return _redirect(f"{_base(request, domain)}/login?{urlencode(dict(request.query))}")


# ------------------------------------------------------------------------- login page
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f2f3f3;
margin:0;color:#16191f}
main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.3rem;margin:0 0 .3rem}p.sub{color:#5f6b7a;margin:0 0 1.2rem;font-size:.9rem}
label{display:block;font-size:.9rem;margin:.8rem 0 .3rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;
border:1px solid #8c8c94;border-radius:4px;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:4px;
background:#0972d3;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
.error{background:#fff1f0;border:1px solid #d91515;color:#d91515;padding:.6rem;
border-radius:4px;font-size:.9rem}
.note{font-size:.8rem;color:#5f6b7a;margin-top:1.5rem}code{word-break:break-all}
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    response = web.Response(text=text, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    return response


def _login_form(page: LoginPage, action: str, pool: Pool, error: str | None) -> str:
    """The form for the page's current step."""
    e = html.escape
    hidden = (
        f'<input type="hidden" name="page" value="{e(page.token)}">'
        f'<input type="hidden" name="_csrf" value="{e(page.csrf)}">'
    )
    shown_error = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    challenge = page.challenge
    heading, fields, button = "Sign in", "", "Sign in"
    if challenge is None:
        fields = (
            '<label for="username">Username</label>'
            '<input type="text" id="username" name="username" autocomplete="username" '
            'autocapitalize="none" required autofocus>'
            '<label for="password">Password</label>'
            '<input type="password" id="password" name="password" '
            'autocomplete="current-password" required>'
        )
    elif challenge in ("SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"):
        where = page.parameters.get("CODE_DELIVERY_DESTINATION")
        heading = "Enter your code"
        fields = (
            f'<p class="sub">{"We sent a code to " + e(where) if where else "Enter the code from your authenticator app."}</p>'  # noqa: E501
            '<label for="code">Code</label>'
            '<input type="text" id="code" name="code" inputmode="numeric" '
            'autocomplete="one-time-code" required autofocus>'
        )
    elif challenge == "SELECT_MFA_TYPE":
        heading, button = "Choose how to verify", "Continue"
        options = json.loads(page.parameters.get("MFAS_CAN_CHOOSE", "[]"))
        fields = "".join(
            f'<label><input type="radio" name="mfa" value="{e(o)}" required> {e(o)}</label>'
            for o in options
        )
    elif challenge == "MFA_SETUP":
        heading, button = "Set up an authenticator app", "Verify"
        secret = page.parameters.get("SECRET_CODE", "")
        label = f"{pool.name}:{page.username or ''}"
        uri = f"otpauth://totp/{label}?secret={secret}&issuer={pool.name}"
        fields = (
            '<p class="sub">Add this key to your authenticator app, then enter a code.</p>'
            f'<p><code id="secret">{e(secret)}</code></p><p><code>{e(uri)}</code></p>'
            '<label for="code">Code</label>'
            '<input type="text" id="code" name="code" inputmode="numeric" '
            'autocomplete="one-time-code" required autofocus>'
        )
    elif challenge == "NEW_PASSWORD_REQUIRED":
        heading, button = "Change your password", "Change password"
        fields = (
            '<label for="new_password">New password</label>'
            '<input type="password" id="new_password" name="new_password" '
            'autocomplete="new-password" required autofocus>'
        )
        for name in json.loads(page.parameters.get("requiredAttributes", "[]")):
            attribute = name.removeprefix("userAttributes.")
            fields += (
                f'<label for="a-{e(attribute)}">{e(attribute)}</label>'
                f'<input type="text" id="a-{e(attribute)}" name="attr:{e(attribute)}" required>'
            )
    return (
        f'<h1>{e(heading)}</h1><p class="sub">{e(pool.name)}</p>{shown_error}'
        f'<form method="post" action="{e(action)}" autocomplete="on">{hidden}{fields}'
        f'<button type="submit">{e(button)}</button></form>'
        '<p class="note">Local Cognito managed login (cognito_local).</p>'
    )


def _render(
    request: web.Request, domain: str, pool: Pool, page: LoginPage, error: str | None = None
) -> web.Response:
    action = f"{_base(request, domain)}/login?{urlencode(dict(request.query))}"
    response = _page("Sign in", _login_form(page, action, pool, error), 400 if error else 200)
    response.set_cookie(
        CSRF_COOKIE,
        page.csrf,
        path=f"{DOMAIN_PREFIX}{domain}",
        httponly=True,
        samesite="Lax",
    )
    return response


_CODE_KEYS = {
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
}
#: Answers after which the same challenge session takes another try.
_RETRY_CODES = (
    "CodeMismatchException",
    "ExpiredCodeException",
    "InvalidPasswordException",
    "PasswordHistoryPolicyViolationException",
    "EnableSoftwareTokenMFAException",
    "InvalidParameterException",  # a missing or malformed answer, refused before it counts
)


async def _call(backend: Backend, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Run a registered cognito-idp operation, as the login page's own client."""
    rc = RequestContext(backend=backend, operation=name)
    return await OPERATIONS[name].handler(rc, Params(data))


async def _sign_in(
    backend: Backend, pool: Pool, client: Client, username: str, password: str
) -> tuple[dict[str, Any], User]:
    """The first factor: the API's password sign-in (lockout, status, MFA, new password
    next), whatever the client's ExplicitAuthFlows, which govern the API only."""
    user = pool.find_user(username)
    if user is None:
        raise ServiceError("NotAuthorizedException", auth.INCORRECT)
    auth._precheck(user)
    ctx = AuthContext(
        pool=pool,
        client=client,
        flow="USER_PASSWORD_AUTH",
        user=user,
        typed_username=username,
        managed_login=True,
    )
    auth._check_lockout(backend, pool, user)
    return await auth._password_factor(backend, ctx, password), user


async def _answer(
    backend: Backend, client: Client, page: LoginPage, form: Mapping[str, str]
) -> dict[str, Any]:
    """Answer the page's challenge through RespondToAuthChallenge (and, for TOTP setup,
    VerifySoftwareToken), as the JS SDK would."""
    assert page.challenge is not None and page.session is not None and page.username
    responses: dict[str, str] = {"USERNAME": page.username}
    if client.secret is not None:
        responses["SECRET_HASH"] = secret_hash(client.secret, page.username, client.client_id)
    challenge = page.challenge
    if challenge in _CODE_KEYS:
        responses[_CODE_KEYS[challenge]] = form.get("code", "").strip()
    elif challenge == "SELECT_MFA_TYPE":
        responses["ANSWER"] = form.get("mfa", "")
    elif challenge == "NEW_PASSWORD_REQUIRED":
        responses["NEW_PASSWORD"] = form.get("new_password", "")
        for key, value in form.items():
            if key.startswith("attr:"):
                responses[f"userAttributes.{key[5:]}"] = value
    elif challenge == "MFA_SETUP":
        verified = await _call(
            backend,
            "VerifySoftwareToken",
            {"Session": page.session, "UserCode": form.get("code", "").strip()},
        )
        page.session = verified["Session"]
    return await _call(
        backend,
        "RespondToAuthChallenge",
        {
            "ChallengeName": challenge,
            "ClientId": client.client_id,
            "Session": page.session,
            "ChallengeResponses": responses,
        },
    )


async def _next_challenge(backend: Backend, page: LoginPage, result: dict[str, Any]) -> None:
    page.challenge = result["ChallengeName"]
    page.session = result["Session"]
    page.parameters = dict(result.get("ChallengeParameters") or {})
    page.username = page.parameters.get("USER_ID_FOR_SRP") or page.username
    if page.challenge == "MFA_SETUP":
        can = json.loads(page.parameters.get("MFAS_CAN_SETUP", "[]"))
        if "SOFTWARE_TOKEN_MFA" not in can:
            raise ServiceError(
                "MFAMethodNotFoundException", "This login page sets up authenticator apps only."
            )
        associated = await _call(backend, "AssociateSoftwareToken", {"Session": page.session})
        page.session = associated["Session"]
        page.parameters["SECRET_CODE"] = associated["SecretCode"]


async def login(request: web.Request) -> web.StreamResponse:
    """GET|POST /login: the managed login page."""
    domain, pool = _pool_for(request)
    backend = _backend(request)
    try:
        req = _check_authorize(backend, pool, request.query)
    except _Refused as refused:
        return _refusal(request, domain, refused)
    now = backend.clock.now()
    if request.method == "GET":
        return _render(
            request, domain, pool, backend.oauth.new_page(pool.id, req.client.client_id, now)
        )
    if request.content_type != _FORM:
        return _page("Error", '<p class="error">Bad request.</p>', 400)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    page = backend.oauth.pages.get(form.get("page", ""))
    csrf = form.get("_csrf", "")
    if (
        page is None
        or page.pool_id != pool.id
        or page.client_id != req.client.client_id
        or now >= page.expires
        or not hmac.compare_digest(csrf.encode(), page.csrf.encode())
        or not hmac.compare_digest(request.cookies.get(CSRF_COOKIE, "").encode(), csrf.encode())
    ):
        fresh = backend.oauth.new_page(pool.id, req.client.client_id, now)
        return _render(request, domain, pool, fresh, "Your sign-in page expired. Sign in again.")
    try:
        if page.challenge is None:
            result, user = await _sign_in(
                backend,
                pool,
                req.client,
                form.get("username", "").strip(),
                form.get("password", ""),
            )
            page.username = user.username
        else:
            result = await _answer(backend, req.client, page, form)
        if "ChallengeName" in result:
            await _next_challenge(backend, page, result)
            return _render(request, domain, pool, page)
    except ServiceError as exc:
        if page.challenge is not None and exc.code in _RETRY_CODES:
            return _render(request, domain, pool, page, exc.message)
        backend.oauth.pages.pop(page.token, None)
        fresh = backend.oauth.new_page(pool.id, req.client.client_id, now)
        return _render(request, domain, pool, fresh, exc.message)
    if not result.get("ManagedLoginDone"):  # pragma: no cover - every sign-in ends there
        return _page("Error", '<p class="error">Unexpected sign-in result.</p>', 500)
    backend.oauth.pages.pop(page.token, None)
    signed_in = pool.find_user(page.username or "")
    assert signed_in is not None
    auth_time = int(now)
    session = backend.oauth.new_session(pool.id, signed_in.sub, auth_time, now)
    response = _complete(backend, req, signed_in, auth_time)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        path=f"{DOMAIN_PREFIX}{domain}",
        httponly=True,
        samesite="Lax",
    )
    response.del_cookie(CSRF_COOKIE, path=f"{DOMAIN_PREFIX}{domain}")
    return response


async def error_page(request: web.Request) -> web.StreamResponse:
    """GET /error: what managed login shows when it cannot redirect back."""
    _pool_for(request)
    error = request.query.get("error", "error")
    description = request.query.get("error_description")
    body = (
        "<h1>An error was encountered with the requested page.</h1>"
        f'<p class="error" id="error">{html.escape(error)}</p>'
        + (f'<p class="sub">{html.escape(description)}</p>' if description else "")
    )
    return _page("Error", body, 400)


async def logout(request: web.Request) -> web.StreamResponse:
    """GET /logout: end the managed login session; back to ``logout_uri`` or to sign-in."""
    domain, pool = _pool_for(request)
    backend = _backend(request)
    client = backend.clients.get(request.query.get("client_id", ""))
    if client is None or client.pool_id != pool.id:
        return _redirect(
            _error_redirect(
                request,
                domain,
                _Refused("invalid_request", "Invalid client_id.", redirect=False),
                request.query,
            )
        )
    logout_uri = request.query.get("logout_uri")
    if logout_uri is not None:
        if logout_uri not in client.settings.get("LogoutURLs", []):
            refused = _Refused("redirect_mismatch", "redirect_mismatch", redirect=False)
            return _redirect(_error_redirect(request, domain, refused, request.query))
        response = _redirect(logout_uri)
    elif request.query.get("redirect_uri") and request.query.get("response_type"):
        # "clears out the existing session and shows the login screen, using the same
        # parameters as for GET /oauth2/authorize" (logout endpoint).
        response = _redirect(f"{_base(request, domain)}/login?{urlencode(dict(request.query))}")
    else:
        refused = _Refused(
            "invalid_request", "logout_uri or redirect_uri is required.", redirect=False
        )
        return _redirect(_error_redirect(request, domain, refused, request.query))
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        backend.oauth.sessions.pop(token, None)
    response.del_cookie(SESSION_COOKIE, path=f"{DOMAIN_PREFIX}{domain}")
    return response


# ------------------------------------------------------------------------- token endpoint
def _client_auth(
    backend: Backend,
    pool: Pool,
    request: web.Request,
    form: Mapping[str, str],
    *,
    failed_status: int = 400,
) -> Client | web.Response:
    """The client of a token/revoke request: Basic ``client_id:client_secret``
    (``client_secret_basic``) or ``client_id`` and ``client_secret`` in the body."""
    header = request.headers.get("Authorization", "")
    client_id = form.get("client_id")
    secret = form.get("client_secret")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return _oauth_error(
                "invalid_client", "Unsupported client authentication.", failed_status
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error("invalid_client", "Malformed Basic credentials.", failed_status)
        basic_id, sep, basic_secret = decoded.partition(":")
        # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
        basic_id, basic_secret = (
            unquote(basic_id.replace("+", " ")),
            unquote(basic_secret.replace("+", " ")),
        )
        if not sep or (client_id is not None and client_id != basic_id) or secret is not None:
            return _oauth_error("invalid_request", "Conflicting client credentials.")
        client_id, secret = basic_id, basic_secret
    client = backend.clients.get(client_id or "")
    if client is None or client.pool_id != pool.id:
        return _oauth_error("invalid_client", None, failed_status)
    if client.secret is None:
        if secret:
            return _oauth_error("invalid_client", "The client has no secret.", failed_status)
    elif not secret or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        return _oauth_error("invalid_client", None, failed_status)
    return client


def _token_body(result: Mapping[str, Any], *, refresh: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": result["AccessToken"]}
    if "IdToken" in result:
        body["id_token"] = result["IdToken"]
    if refresh is not None:
        body["refresh_token"] = refresh
    body["token_type"] = "Bearer"
    body["expires_in"] = result["ExpiresIn"]
    return body


async def _code_grant(
    backend: Backend, pool: Pool, client: Client, form: Mapping[str, str]
) -> web.Response:
    if not oauth_enabled(client, "code"):
        return _oauth_error("unauthorized_client")
    code = form.get("code")
    if not code:
        return _oauth_error("invalid_request", "code is required.")
    record = backend.oauth.codes.get(code)
    now = backend.clock.now()
    if record is None or record.client_id != client.client_id:
        return _oauth_error("invalid_grant")
    if record.used or now >= record.expires:
        # "Authorization code has been consumed already or does not exist" (token endpoint).
        return _oauth_error("invalid_grant")
    record.used = True
    if form.get("redirect_uri") != record.redirect_uri:
        return _oauth_error("invalid_grant", "redirect_uri does not match the authorization.")
    if record.code_challenge is not None:
        verifier = form.get("code_verifier")
        if not verifier or not _pkce_verifier_ok(verifier):
            return _oauth_error("invalid_grant", "Invalid code_verifier.")
        if not hmac.compare_digest(_s256(verifier).encode(), record.code_challenge.encode()):
            return _oauth_error("invalid_grant", "Invalid code_verifier.")
    user = pool.user_by_sub(record.sub)
    if user is None or not user.enabled:
        return _oauth_error("invalid_grant")
    ctx = AuthContext(
        pool=pool, client=client, flow="code", user=user, typed_username=user.username
    )
    # Tokens from the managed login page: PreTokenGeneration's TokenGeneration_HostedAuth
    # ("authentication from the Amazon Cognito managed login sign-in page", Lambda
    # developer guide, pre token generation trigger sources), with the granted scopes.
    custom = await pre_token_generation(
        backend,
        pool,
        client.client_id,
        user,
        "TokenGeneration_HostedAuth",
        {},
        scopes=record.scopes,
    )
    result = backend.issue_tokens(
        ctx, custom, scope=" ".join(record.scopes), nonce=record.nonce, auth_time=record.auth_time
    )
    return _json(_token_body(result, refresh=result["RefreshToken"]))


async def _refresh_grant(
    backend: Backend, pool: Pool, client: Client, form: Mapping[str, str]
) -> web.Response:
    token = form.get("refresh_token")
    if not token:
        return _oauth_error("invalid_request", "refresh_token is required.")
    record = backend.refresh_tokens.get(token)
    if record is None or record.client_id != client.client_id:
        return _oauth_error("invalid_grant")
    # Tokens from managed login refresh here always; tokens from the API need the client's
    # ALLOW_REFRESH_TOKEN_AUTH (developer guide, token endpoint).
    if record.scope is None and not client.allows("REFRESH_TOKEN_AUTH"):
        return _oauth_error("unauthorized_client")
    try:
        user = auth._use_refresh(
            backend,
            pool,
            client,
            record,
            None,
            reuse=ServiceError("NotAuthorizedException", "Invalid Refresh Token"),
        )
    except ServiceError:
        # "Refresh token has been revoked" and the like: invalid_grant (token endpoint).
        return _oauth_error("invalid_grant")
    # As GetTokensFromRefreshToken: TokenGeneration_RefreshTokens (same source).
    custom = await pre_token_generation(
        backend,
        pool,
        client.client_id,
        user,
        "TokenGeneration_RefreshTokens",
        {},
        scopes=None if record.scope is None else record.scope.split(),
    )
    result = backend.refresh(pool, client, user, record, custom)
    return _json(_token_body(result, refresh=result.get("RefreshToken")))


def _client_credentials_grant(
    backend: Backend, pool: Pool, client: Client, form: Mapping[str, str]
) -> web.Response:
    if not oauth_enabled(client, "client_credentials"):
        return _oauth_error("unauthorized_client")
    allowed: list[str] = client.settings.get("AllowedOAuthScopes", [])
    requested = (form.get("scope") or "").split()
    scopes = requested or list(allowed)
    custom = backend.oauth.custom_scopes(pool.id)
    for scope in scopes:
        if scope not in allowed or scope not in custom:
            return _oauth_error("invalid_scope")
    now = backend.clock.now()
    iat = int(now)
    claims = {
        "sub": client.client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": iat,
        "iss": backend.issuer(pool.id),
        "exp": iat + client.access_seconds,
        "iat": iat,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.client_id,
    }
    return _json(
        {
            "access_token": backend.signer.sign(claims),
            "token_type": "Bearer",
            "expires_in": client.access_seconds,
        }
    )


async def _form(request: web.Request) -> dict[str, str] | web.Response:
    if request.content_type != _FORM:
        return _oauth_error("invalid_request", f"Content-Type must be {_FORM}.")
    raw = (await request.read()).decode("utf-8", "replace")
    pairs = parse_qsl(raw, keep_blank_values=True)
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            # RFC 6749 3.2: parameters must not be repeated.
            return _oauth_error("invalid_request", f"{key} is repeated.")
        out[key] = value
    return out


async def token(request: web.Request) -> web.StreamResponse:
    """POST /oauth2/token."""
    _domain, pool = _pool_for(request)
    backend = _backend(request)
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    grant = form.get("grant_type")
    if not grant:
        return _oauth_error("invalid_request", "grant_type is required.")
    if grant not in ("authorization_code", "refresh_token", "client_credentials"):
        return _oauth_error("unsupported_grant_type")
    client = _client_auth(backend, pool, request, form)
    if isinstance(client, web.Response):
        return client
    if grant == "authorization_code":
        return await _code_grant(backend, pool, client, form)
    if grant == "refresh_token":
        return await _refresh_grant(backend, pool, client, form)
    return _client_credentials_grant(backend, pool, client, form)


# ------------------------------------------------------------------------- userInfo, revoke
def _bearer_error(error: str, description: str, status: int) -> web.Response:
    response = web.Response(status=status)
    response.headers["WWW-Authenticate"] = f'error="{error}", error_description="{description}"'
    return response


async def userinfo(request: web.Request) -> web.StreamResponse:
    """GET|POST /oauth2/userInfo: the user's attributes for an access token."""
    _domain, pool = _pool_for(request)
    backend = _backend(request)
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return _bearer_error("invalid_request", "Bad OAuth2 request at UserInfo Endpoint", 400)
    try:
        token_pool, user, claims = backend.verify_access_token(value.strip(), scope=None)
    except ServiceError:
        token_pool = None
    scopes = set(str(claims.get("scope", "")).split()) if token_pool is not None else set()
    if token_pool is not pool or not scopes & {"openid", "aws.cognito.signin.user.admin"}:
        return _bearer_error(
            "invalid_token",
            "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            401,
        )
    info: dict[str, Any] = {"sub": user.sub}
    client = backend.clients.get(str(claims.get("client_id")))
    readable = client.settings.get("ReadAttributes") if client is not None else None
    for name, attribute in user.attributes.items():
        if readable and name not in readable:
            continue
        info[name] = attribute
    info["username"] = user.username
    return _json(info)


async def revoke(request: web.Request) -> web.StreamResponse:
    """POST /oauth2/revoke: RevokeToken's semantics with OAuth errors."""
    _domain, pool = _pool_for(request)
    backend = _backend(request)
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    refresh = form.get("token")
    if not refresh:
        return _oauth_error("invalid_request", "token is required.")
    # The revoke endpoint answers a failed client authentication with HTTP 401 (developer
    # guide, revoke endpoint); the token endpoint with 400.
    client = _client_auth(backend, pool, request, form, failed_status=401)
    if isinstance(client, web.Response):
        return client
    data: dict[str, Any] = {"ClientId": client.client_id, "Token": refresh}
    if client.secret is not None:
        data["ClientSecret"] = client.secret
    try:
        await _call(backend, "RevokeToken", data)
    except ServiceError as exc:
        if exc.code in ("UnsupportedOperationException", "UnsupportedTokenTypeException"):
            return _oauth_error("unsupported_token_type")
        if exc.code == "UnauthorizedException":
            return _oauth_error("invalid_client", status=401)
        return _oauth_error("invalid_request")
    return web.Response(status=200)


def add_routes(app: web.Application) -> None:
    """Serve every domain's endpoints."""
    base = DOMAIN_PREFIX + "{domain}"
    app.router.add_get(f"{base}/oauth2/authorize", authorize)
    app.router.add_get(f"{base}/login", login)
    app.router.add_post(f"{base}/login", login)
    app.router.add_get(f"{base}/error", error_page)
    app.router.add_get(f"{base}/logout", logout)
    app.router.add_post(f"{base}/oauth2/token", token)
    app.router.add_get(f"{base}/oauth2/userInfo", userinfo)
    app.router.add_post(f"{base}/oauth2/userInfo", userinfo)
    app.router.add_post(f"{base}/oauth2/revoke", revoke)
