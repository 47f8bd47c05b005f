"""OAuth 2.0 and OpenID Connect against a user pool domain (managed login).

The browser is sent to ``/oauth2/authorize``, signs in on the managed login page, and
comes back to the app's redirect URI with a code; the backend redeems it at
``/oauth2/token`` with the PKCE verifier. :class:`OAuthClient` does the backend's part:

* :meth:`OAuthClient.authorization_request` builds the authorize URL with a fresh
  ``state``, ``nonce`` and PKCE (S256) verifier, returned as an
  :class:`AuthorizationRequest` to keep server-side (never in the browser) until the
  callback;
* :meth:`OAuthClient.exchange_code` checks the callback (``error``, ``state``), redeems
  the code (client secret by HTTP Basic, or none for a public client), verifies the ID
  token with :class:`~cognito_flows.tokens.TokenVerifier` (signature, issuer, audience,
  expiry) and its ``nonce``, and returns a :class:`~cognito_flows.tokens.TokenSet`;
* :meth:`OAuthClient.refresh` (a ``TokenManager`` refresh function), :meth:`revoke`,
  :meth:`user_info`, :meth:`logout_url`, and :meth:`client_credentials` for
  machine-to-machine access tokens with custom scopes.

The OAuth mechanics (URL and form encoding, PKCE S256, callback parsing, random values)
are Authlib's (``pip install 'cognito-flows[oauth]'``); HTTP is aiohttp, which the library
already uses. Endpoints and errors follow the Cognito developer guide's pages for the
authorize, token, userInfo, revoke and logout endpoints.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import attrs

from .errors import (
    OAUTH_ERRORS,
    CognitoConnectionError,
    ConfigurationError,
    NonceMismatchError,
    OAuthError,
    OAuthStateError,
    ProtocolError,
    hidden,
    masked,
)
from .tokens import TokenManager, TokenSet, TokenVerifier

try:  # the optional extra: pip install 'cognito-flows[oauth]'
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc6749 import parameters as _authlib_parameters
    from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
    from authlib.oauth2.rfc7636 import create_s256_code_challenge
except ImportError:  # pragma: no cover - exercised only without the extra
    _authlib_parameters = None

__all__ = [
    "AuthorizationRequest",
    "ClientCredentialsToken",
    "OAuthClient",
]

DEFAULT_SCOPES = ("openid", "email", "profile")


def _require_authlib() -> Any:
    if _authlib_parameters is None:
        raise ConfigurationError(
            "cognito_flows.oauth needs Authlib: pip install 'cognito-flows[oauth]'"
        )
    return _authlib_parameters


@masked
@attrs.frozen(kw_only=True, repr=False)
class AuthorizationRequest:
    """One authorization request: the URL to send the browser to, and what the callback
    is checked against. Keep it server-side (it holds the PKCE verifier) until the
    callback; :meth:`to_dict`/:meth:`from_dict` store it in a session.
    """

    url: str = attrs.field(repr=hidden)
    state: str = attrs.field(repr=hidden)
    nonce: str = attrs.field(repr=hidden)
    code_verifier: str = attrs.field(repr=hidden)
    redirect_uri: str
    scopes: tuple[str, ...]
    created_at: float

    def __repr__(self) -> str:
        return f"AuthorizationRequest(redirect_uri={self.redirect_uri!r}, scopes={self.scopes!r})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (it contains the verifier: store it server-side only)."""
        return {
            "url": self.url,
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigurationError: a member is missing or of the wrong type.
        """
        try:
            scopes = data["scopes"]
            created = data["created_at"]
            strings = {
                k: data[k] for k in ("url", "state", "nonce", "code_verifier", "redirect_uri")
            }
        except (KeyError, TypeError):
            raise ConfigurationError("not a stored AuthorizationRequest") from None
        if (
            not all(isinstance(v, str) for v in strings.values())
            or not isinstance(scopes, list)
            or not all(isinstance(s, str) for s in scopes)
            or not isinstance(created, (int, float))
        ):
            raise ConfigurationError("not a stored AuthorizationRequest")
        return cls(scopes=tuple(scopes), created_at=float(created), **strings)


@masked
@attrs.frozen(kw_only=True, repr=False)
class ClientCredentialsToken:
    """An access token from the client credentials grant (no user, no ID token)."""

    access_token: str = attrs.field(repr=hidden)
    expires_at: float
    scopes: tuple[str, ...]
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return f"ClientCredentialsToken(scopes={self.scopes!r}, expires_at={self.expires_at!r})"

    def is_expired(self, now: float, leeway: float = 0.0) -> bool:
        """Whether the token has expired at ``now`` (minus ``leeway``)."""
        return now >= self.expires_at - leeway


class OAuthClient:
    """An app client of a user pool domain, speaking OAuth 2.0 / OpenID Connect.

    Args:
        domain: the domain's base URL, ``https://{prefix}.auth.{region}.amazoncognito.com``
            (or a custom domain; with the local Cognito, ``local.domain_url()``).
        client_id: the app client id.
        client_secret: the app client secret (sent by HTTP Basic), or ``None`` for a
            public client, which must then use PKCE (always sent).
        redirect_uri: the callback URL registered on the app client.
        user_pool_id: the pool, to verify ID tokens (issuer and JWKS).
        endpoint_url: a non-AWS Cognito endpoint (the local Cognito) for the issuer.
        verifier: a :class:`TokenVerifier` to use instead of building one.
        scopes: scopes asked for by default (``openid`` is needed for an ID token).
        session: an aiohttp session to use (else one is opened and closed here).
        timeout: seconds per request.
        clock: epoch seconds (``expires_at`` of the results).
    """

    def __init__(
        self,
        *,
        domain: str,
        client_id: str,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        user_pool_id: str | None = None,
        endpoint_url: str | None = None,
        verifier: TokenVerifier | None = None,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _require_authlib()
        parts = urlsplit(domain)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigurationError("domain must be an absolute http(s) URL")
        if not client_id:
            raise ConfigurationError("client_id is required")
        self.domain = domain.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scopes)
        self._session = session
        self._own_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        if verifier is None and user_pool_id is not None:
            verifier = TokenVerifier(
                user_pool_id=user_pool_id,
                client_id=client_id,
                endpoint_url=endpoint_url,
                session=session,
                clock=clock,
            )
        self.verifier = verifier

    def __repr__(self) -> str:
        secret = "set" if self._secret else "none"
        return f"OAuthClient(domain={self.domain!r}, client_id={self.client_id!r}, secret={secret})"

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> OAuthClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session opened here (not one passed in)."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    # ------------------------------------------------------------------ endpoints
    @property
    def authorize_endpoint(self) -> str:
        """``{domain}/oauth2/authorize``."""
        return f"{self.domain}/oauth2/authorize"

    @property
    def token_endpoint(self) -> str:
        """``{domain}/oauth2/token``."""
        return f"{self.domain}/oauth2/token"

    # ------------------------------------------------------------------ authorize
    def authorization_request(
        self,
        *,
        scopes: Iterable[str] | None = None,
        redirect_uri: str | None = None,
        identity_provider: str | None = None,
        idp_identifier: str | None = None,
        prompt: str | None = None,
        lang: str | None = None,
        login_hint: str | None = None,
    ) -> AuthorizationRequest:
        """A fresh authorization request (``response_type=code`` with PKCE S256).

        Raises:
            ConfigurationError: no redirect URI.
        """
        parameters = _require_authlib()
        redirect = redirect_uri or self.redirect_uri
        if not redirect:
            raise ConfigurationError("a redirect_uri is required")
        chosen = tuple(self.scopes if scopes is None else scopes)
        state = generate_token(32)
        nonce = generate_token(32)
        verifier = generate_token(64)
        extra = {
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
            "nonce": nonce,
            "identity_provider": identity_provider,
            "idp_identifier": idp_identifier,
            "prompt": prompt,
            "lang": lang,
            "login_hint": login_hint,
        }
        url = parameters.prepare_grant_uri(
            self.authorize_endpoint,
            self.client_id,
            "code",
            redirect_uri=redirect,
            scope=" ".join(chosen) if chosen else None,
            state=state,
            **{k: v for k, v in extra.items() if v is not None},
        )
        return AuthorizationRequest(
            url=url,
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect,
            scopes=chosen,
            created_at=self._clock(),
        )

    def logout_url(self, logout_uri: str) -> str:
        """``{domain}/logout?client_id=...&logout_uri=...``: ends the managed login session
        (the browser goes there); ``logout_uri`` must be one of the client's LogoutURLs."""
        return f"{self.domain}/logout?{urlencode({'client_id': self.client_id, 'logout_uri': logout_uri})}"  # noqa: E501

    # ------------------------------------------------------------------ token endpoint
    async def exchange_code(
        self, callback: str | Mapping[str, str], request: AuthorizationRequest
    ) -> TokenSet:
        """Check the redirect back and redeem its code for tokens.

        Args:
            callback: the full callback URL the browser was sent to, or its query
                parameters.
            request: the :class:`AuthorizationRequest` this callback answers.

        Raises:
            OAuthStateError: ``state`` missing or not the request's (nothing was sent).
            OAuthError: the callback carries an ``error`` (``access_denied``,
                ``invalid_scope``...), or the token endpoint refused the code
                (:class:`~cognito_flows.errors.InvalidGrantError`...).
            TokenRejectedError: the ID token failed verification (including
                :class:`NonceMismatchError`).
            CognitoConnectionError: the token endpoint could not be reached, or the
                connection broke after the code was sent (it may have been redeemed).
        """
        parameters = _require_authlib()
        if isinstance(callback, str):
            query = dict(parse_qsl(urlsplit(callback).query, keep_blank_values=True))
        else:
            query = dict(callback)
        if query.get("state") != request.state:
            raise OAuthStateError("the callback's state is not the authorization request's")
        if "error" in query:
            raise _oauth_error(query["error"], query.get("error_description", ""), None)
        try:
            parameters.parse_authorization_code_response(
                f"{request.redirect_uri}?{urlencode(query)}", state=request.state
            )
        except MismatchingStateException:  # pragma: no cover - checked above
            raise OAuthStateError("the callback's state is not the request's") from None
        except MissingCodeException:
            raise OAuthStateError("the callback carries no code") from None
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": query["code"],
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier,
        }
        body = await self._post(self.token_endpoint, form, "token")
        now = self._clock()
        tokens = self._token_set(body, now, previous=None)
        claims = await self._verify_id(tokens.id_token)
        if claims.get("nonce") != request.nonce:
            raise NonceMismatchError("the ID token's nonce is not the request's", token_use="id")
        return tokens

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens from ``tokens.refresh_token`` at ``/oauth2/token`` (the refresh
        token is kept unless Cognito rotates it). Fits :class:`TokenManager` ``refresh``.

        Raises:
            InvalidGrantError: the refresh token is revoked or expired (a
                ``NotAuthorizedError``: a ``TokenManager`` signs out).
            ConfigurationError: ``tokens`` has no refresh token.
        """
        if not tokens.refresh_token:
            raise ConfigurationError("the token set has no refresh token")
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": tokens.refresh_token,
        }
        body = await self._post(self.token_endpoint, form, "token")
        new = self._token_set(body, self._clock(), previous=tokens)
        await self._verify_id(new.id_token)
        return new

    def token_manager(self, tokens: TokenSet, **kwargs: Any) -> TokenManager:
        """A :class:`TokenManager` holding ``tokens`` that refreshes through this client."""
        return TokenManager(tokens, refresh=self.refresh, **kwargs)

    async def client_credentials(
        self, scopes: Iterable[str] | None = None
    ) -> ClientCredentialsToken:
        """An access token for this (confidential) client itself: the client credentials
        grant, with custom scopes (``resource-server/scope``); all the client's custom
        scopes when ``scopes`` is None.

        Raises:
            ConfigurationError: the client has no secret.
            OAuthError: ``unauthorized_client``, ``invalid_scope``, ``invalid_client``.
        """
        if not self._secret:
            raise ConfigurationError("the client credentials grant needs the client secret")
        form = {"grant_type": "client_credentials"}
        chosen = tuple(scopes or ())
        if chosen:
            form["scope"] = " ".join(chosen)
        body = await self._post(self.token_endpoint, form, "token")
        access, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(access, str) or not isinstance(expires_in, (int, float)):
            raise ProtocolError("the token endpoint answered without access_token/expires_in")
        claims = await self._verify_access(access)
        granted = tuple(str(claims.get("scope", "")).split())
        return ClientCredentialsToken(
            access_token=access, expires_at=self._clock() + float(expires_in), scopes=granted
        )

    async def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token and the access tokens issued from it (``/oauth2/revoke``).

        Raises:
            OAuthError: ``unsupported_token_type`` (revocation off), ``invalid_client``.
        """
        form = {"token": refresh_token, "client_id": self.client_id}
        await self._post(f"{self.domain}/oauth2/revoke", form, "revoke", expect_json=False)

    async def user_info(self, access_token: str) -> dict[str, Any]:
        """The user's claims from ``/oauth2/userInfo``.

        Raises:
            OAuthError: ``invalid_token`` (expired, revoked, signed out), ``invalid_request``.
        """
        url = f"{self.domain}/oauth2/userInfo"
        try:
            async with self._http().get(
                url, headers={"Authorization": f"Bearer {access_token}"}, timeout=self._timeout
            ) as response:
                if response.status != 200:
                    raise _www_authenticate_error(response)
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise CognitoConnectionError(
                f"userInfo request failed ({type(exc).__name__})"
            ) from None
        if not isinstance(data, dict):
            raise ProtocolError("userInfo did not answer a JSON object")
        return data

    # ------------------------------------------------------------------ internals
    def _auth_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self._secret:
            raw = f"{self.client_id}:{self._secret}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(raw).decode()}"
        return headers

    async def _post(
        self, url: str, form: Mapping[str, str], what: str, *, expect_json: bool = True
    ) -> dict[str, Any]:
        body = dict(form)
        try:
            async with self._http().post(
                url, data=urlencode(body), headers=self._auth_headers(), timeout=self._timeout
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise CognitoConnectionError(
                f"the {what} endpoint could not be reached or the connection broke "
                f"({type(exc).__name__}); the request may have been applied"
            ) from None
        data: Any = None
        if text:
            try:
                data = json.loads(text)
            except ValueError:
                data = None
        if status != 200:
            if isinstance(data, dict) and isinstance(data.get("error"), str):
                raise _oauth_error(data["error"], str(data.get("error_description", "")), status)
            raise OAuthError(f"HTTP {status}", code="http_error", http_status=status)
        if not expect_json:
            return {}
        if not isinstance(data, dict):
            raise ProtocolError(f"the {what} endpoint did not answer a JSON object")
        return data

    def _token_set(
        self, body: Mapping[str, Any], now: float, previous: TokenSet | None
    ) -> TokenSet:
        if "id_token" not in body:
            raise ConfigurationError(
                "the token endpoint returned no ID token: ask for the openid scope"
            )
        return TokenSet.from_authentication_result(
            {
                "AccessToken": body.get("access_token"),
                "IdToken": body.get("id_token"),
                "ExpiresIn": body.get("expires_in"),
                "RefreshToken": body.get("refresh_token"),
                "TokenType": body.get("token_type"),
            },
            now=now,
            previous=previous,
        )

    async def _verify_id(self, token: str) -> dict[str, Any]:
        if self.verifier is None:
            raise ConfigurationError("pass user_pool_id (or verifier) to verify ID tokens")
        return await self.verifier.verify_id_token(token)

    async def _verify_access(self, token: str) -> dict[str, Any]:
        if self.verifier is None:
            raise ConfigurationError("pass user_pool_id (or verifier) to verify tokens")
        return await self.verifier.verify_access_token(token)


def _oauth_error(error: str, description: str, status: int | None) -> OAuthError:
    cls = OAUTH_ERRORS.get(error, OAuthError)
    return cls(description, code=error, http_status=status)


def _www_authenticate_error(response: aiohttp.ClientResponse) -> OAuthError:
    header = response.headers.get("WWW-Authenticate", "")
    error = "invalid_token" if response.status == 401 else "invalid_request"
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "error":
            error = value.strip('"') or error
    return _oauth_error(error, "", response.status)
