"""A web backend that signs users in through Cognito's managed login, with PKCE.

The browser never sees a token: ``/login`` keeps the authorization request (its state,
nonce and PKCE verifier) server-side and sends the browser to the user pool's
``/oauth2/authorize``; managed login signs the user in (password, MFA...) and sends the
browser back to ``/callback`` with a code, which the backend redeems at ``/oauth2/token``.
The tokens stay in a server-side session (a ``TokenManager`` that refreshes them), keyed by
an unguessable, HttpOnly cookie. ``/logout`` revokes the refresh token, forgets the session
and sends the browser to the domain's ``/logout`` to end the managed login session too.

Pages::

    GET /            signed in: who, and a sign-out link; else a sign-in link
    GET /login       -> 302 to managed login
    GET /callback    <- managed login's redirect (code and state) -> 302 to /
    GET /me          JSON: the user's claims from /oauth2/userInfo (401 when signed out)
    GET /logout      -> 302 to the domain's /logout, which comes back to /signed-out
    GET /signed-out

Run it (the app client must list ``{BASE_URL}/callback`` in its CallbackURLs and
``{BASE_URL}/signed-out`` in its LogoutURLs, allow the ``code`` grant and the ``openid``
scope, and have ``COGNITO`` as identity provider)::

    export COGNITO_DOMAIN=https://myprefix.auth.eu-west-1.amazoncognito.com
    export COGNITO_USER_POOL_ID=eu-west-1_AbC COGNITO_CLIENT_ID=... BASE_URL=http://localhost:8000
    python docs/examples/managed_login.py --port 8000

Optional: ``COGNITO_CLIENT_SECRET`` (a confidential client), ``COGNITO_ENDPOINT_URL`` (the
local Cognito). Sessions live in this process's memory: run one worker, or keep them in a
shared store. In tests, :func:`create_app` takes an opened :class:`OAuthClient`.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import secrets
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cognito_flows.errors import CognitoFlowsError, OAuthError
from cognito_flows.oauth import AuthorizationRequest, OAuthClient
from cognito_flows.tokens import SignedOutError, TokenManager

__all__ = ["Sessions", "app_from_env", "create_app", "main"]

COOKIE = "sid"


class Sessions:
    """Server-side sessions: a pending authorization request, then a TokenManager."""

    def __init__(self) -> None:
        self.pending: dict[str, AuthorizationRequest] = {}
        self.signed_in: dict[str, TokenManager] = {}

    def new_id(self) -> str:
        return secrets.token_urlsafe(32)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body>{body}</body></html>",
        status_code=status,
    )


def _cookie(response: Response, sid: str, secure: bool) -> Response:
    response.set_cookie(COOKIE, sid, httponly=True, samesite="lax", secure=secure, path="/")
    return response


def create_app(
    oauth: OAuthClient, base_url: str, *, sessions: Sessions | None = None, secure: bool = False
) -> Starlette:
    """The app; ``oauth.redirect_uri`` must be ``{base_url}/callback``."""
    store = sessions or Sessions()

    async def home(request: Request) -> Response:
        manager = store.signed_in.get(request.cookies.get(COOKIE, ""))
        try:
            tokens = await manager.get_tokens() if manager is not None else None
        except SignedOutError:  # the refresh token was revoked or expired
            store.signed_in.pop(request.cookies.get(COOKIE, ""), None)
            tokens = None
        if tokens is None:
            return _page(
                "Home", '<p id="status">Signed out.</p><a id="sign-in" href="/login">Sign in</a>'
            )
        claims = tokens.unverified_claims("id")  # verified when the code was redeemed
        who = html.escape(str(claims.get("email") or claims.get("cognito:username")))
        return _page(
            "Home",
            f'<p id="status">Signed in as <b id="who">{who}</b>.</p>'
            '<a id="sign-out" href="/logout">Sign out</a>',
        )

    async def login(request: Request) -> Response:
        sid = store.new_id()
        authorization = oauth.authorization_request()
        store.pending[sid] = authorization
        return _cookie(RedirectResponse(authorization.url, status_code=302), sid, secure)

    async def callback(request: Request) -> Response:
        sid = request.cookies.get(COOKIE, "")
        authorization = store.pending.pop(sid, None)
        if authorization is None:
            return _page("Sign-in failed", "<p>No sign-in in progress.</p>", 400)
        try:
            tokens = await oauth.exchange_code(dict(request.query_params), authorization)
        except OAuthError as exc:
            return _page("Sign-in failed", f"<p>{html.escape(exc.code)}</p>", 400)
        except CognitoFlowsError as exc:
            return _page("Sign-in failed", f"<p>{html.escape(type(exc).__name__)}</p>", 400)
        new_sid = store.new_id()  # a fresh id once signed in (no session fixation)
        store.signed_in[new_sid] = oauth.token_manager(tokens)
        return _cookie(RedirectResponse("/", status_code=302), new_sid, secure)

    async def me(request: Request) -> Response:
        manager = store.signed_in.get(request.cookies.get(COOKIE, ""))
        if manager is None:
            return JSONResponse({"error": "signed_out"}, status_code=401)
        try:
            tokens = await manager.get_tokens()
        except SignedOutError:
            store.signed_in.pop(request.cookies.get(COOKIE, ""), None)
            return JSONResponse({"error": "signed_out"}, status_code=401)
        return JSONResponse(await oauth.user_info(tokens.access_token))

    async def logout(request: Request) -> Response:
        manager = store.signed_in.pop(request.cookies.get(COOKIE, ""), None)
        if manager is not None and manager.tokens is not None and manager.tokens.refresh_token:
            with contextlib.suppress(CognitoFlowsError):
                await oauth.revoke(manager.tokens.refresh_token)
        response = RedirectResponse(oauth.logout_url(f"{base_url}/signed-out"), status_code=302)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def signed_out(request: Request) -> Response:
        return _page("Signed out", '<p id="status">Signed out.</p><a href="/login">Sign in</a>')

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/callback", callback),
            Route("/me", me),
            Route("/logout", logout),
            Route("/signed-out", signed_out),
        ]
    )


def app_from_env() -> Starlette:
    """The app configured from the environment (see the module docstring)."""
    base_url = os.environ.get("BASE_URL", "http://localhost:8000").rstrip("/")
    oauth = OAuthClient(
        domain=os.environ["COGNITO_DOMAIN"],
        client_id=os.environ["COGNITO_CLIENT_ID"],
        client_secret=os.environ.get("COGNITO_CLIENT_SECRET"),
        redirect_uri=f"{base_url}/callback",
        user_pool_id=os.environ["COGNITO_USER_POOL_ID"],
        endpoint_url=os.environ.get("COGNITO_ENDPOINT_URL"),
    )
    inner = create_app(oauth, base_url, secure=base_url.startswith("https://"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with oauth:
            yield

    return Starlette(routes=inner.routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    """Serve the app on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(app_from_env(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
