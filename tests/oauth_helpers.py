"""Helpers for the OAuth tests: a pool with a domain and OAuth app clients set up through
Cognito's admin API, and a form-filling "browser" (aiohttp, cookies kept, no JavaScript)
that signs in on the emulator's managed login page."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin

import aiohttp
import attrs
import pyotp

PASSWORD = "Corr3ct-Horse!"
CALLBACK = "http://localhost:8765/callback"
LOGOUT = "http://localhost:8765/signed-out"


@attrs.define
class OAuthPool:
    """A pool with a domain, a resource server and app clients."""

    local: Any
    admin: Any
    pool_id: str
    domain: str
    clients: dict[str, dict[str, Any]]

    @property
    def domain_url(self) -> str:
        return str(self.local.domain_url(self.pool_id))

    def totp(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.local.clock.now())


async def make_oauth_pool(local: Any, admin: Any, *, mfa: str = "OPTIONAL") -> OAuthPool:
    """A pool (TOTP and e-mail MFA), domain ``tests-oauth``, resource server ``api`` with
    ``api/read`` and ``api/write``, and the clients ``web`` (public, code), ``confidential``
    (secret, code + implicit), ``m2m`` (client credentials), ``api-only`` (no OAuth)."""
    pool_id = (await admin.create_user_pool(PoolName="oauth", MfaConfiguration="OFF"))["UserPool"][
        "Id"
    ]
    await admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Your code is {####}"},
        MfaConfiguration=mfa,
    )
    await admin.create_user_pool_domain(UserPoolId=pool_id, Domain="tests-oauth")
    await admin.create_resource_server(
        UserPoolId=pool_id,
        Identifier="api",
        Name="API",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read"},
            {"ScopeName": "write", "ScopeDescription": "write"},
        ],
    )
    browser_client = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [LOGOUT],
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
    }
    specs: dict[str, dict[str, Any]] = {
        "web": {
            **browser_client,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
        },
        "confidential": {
            **browser_client,
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["code", "implicit"],
            "AllowedOAuthScopes": ["openid", "email", "api/read"],
        },
        "m2m": {
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": ["api/read"],
        },
        "api-only": {
            "GenerateSecret": True,
            "CallbackURLs": [CALLBACK],
            "SupportedIdentityProviders": ["COGNITO"],
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        },
    }
    clients: dict[str, dict[str, Any]] = {}
    for name, spec in specs.items():
        created = await admin.create_user_pool_client(UserPoolId=pool_id, ClientName=name, **spec)
        clients[name] = created["UserPoolClient"]
    return OAuthPool(local, admin, pool_id, "tests-oauth", clients)


_INPUT = re.compile(r'<input type="hidden" name="(page|_csrf)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]*)"')
_ERROR = re.compile(r'<p class="error" role="alert">([^<]*)</p>')


@attrs.define
class LoginResult:
    """Where the browser ended: the callback URL, or a page it stopped on."""

    location: str | None = None
    page: str | None = None
    status: int = 0

    @property
    def error(self) -> str | None:
        match = _ERROR.search(self.page or "")
        return html.unescape(match.group(1)) if match else None


class FormBrowser:
    """Follows redirects (stopping at the app's callback) and fills the login forms."""

    def __init__(self, stop_at: str = "http://localhost:8765/") -> None:
        self.stop_at = stop_at
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.last = LoginResult()

    async def close(self) -> None:
        await self.session.close()

    async def _follow(self, response: aiohttp.ClientResponse) -> LoginResult:
        while response.status in (301, 302, 303):
            location = urljoin(str(response.url), response.headers["Location"])
            response.release()
            if location.startswith(self.stop_at):
                self.last = LoginResult(location=location, status=302)
                return self.last
            response = await self.session.get(location, allow_redirects=False)
        self.last = LoginResult(page=await response.text(), status=response.status)
        return self.last

    async def open(self, url: str) -> LoginResult:
        """GET ``url`` and follow redirects."""
        return await self._follow(await self.session.get(url, allow_redirects=False))

    async def submit(self, **fields: str) -> LoginResult:
        """Submit the current page's form with ``fields`` (plus its hidden fields)."""
        page = self.last.page
        assert page is not None, "no page to submit"
        action = _ACTION.search(page)
        assert action is not None, page
        data = dict(_INPUT.findall(page))
        data.update(fields)
        url = html.unescape(action.group(1))
        return await self._follow(await self.session.post(url, data=data, allow_redirects=False))

    async def sign_in(
        self, url: str, username: str, password: str = PASSWORD, *codes: str
    ) -> LoginResult:
        """Open ``url`` (an authorize URL), sign in, answer ``codes`` in turn."""
        result = await self.open(url)
        if result.location is not None:
            return result
        result = await self.submit(username=username, password=password)
        for code in codes:
            if result.location is not None:
                break
            result = await self.submit(code=code)
        return result
