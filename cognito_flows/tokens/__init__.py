"""Tokens: the token set, JWT verification against the pool's JWKS, and single-flight refresh.

Rules of this module:

* No token text ever appears in a ``repr``, a log line or an exception message. Messages
  name the check that failed and, at most, non-secret claim values (issuer, token use).
* Every clock is a parameter (``clock: Callable[[], float]``, epoch seconds) so tests pin
  time instead of sleeping.
* Verification is strict and explicit: only ``RS256`` is accepted, whatever the token's
  header says; every claim check is written here (pyjwt only checks the signature), so the
  failure ``reason`` is exact and the clock is injectable.
* Concurrency is single-flight: many coroutines needing the JWKS share one fetch, many
  coroutines needing fresh tokens share one refresh. A waiter that is cancelled leaves the
  shared work running for the others (:func:`asyncio.shield`).

Theory of operation::

    TokenSet.from_authentication_result(result, now=clock(), previous=old)   # after sign-in
    verifier = TokenVerifier(user_pool_id="eu-west-1_AbC", client_id="...")
    claims = await verifier.verify_id_token(tokens.id_token)
    manager = TokenManager(tokens, refresh=pool_refresh)    # pool_refresh(old) -> new TokenSet
    tokens = await manager.get_tokens()                     # refreshes when < 60 s are left

Verification order: header (``alg`` must be ``RS256``, ``kid`` present) -> key by ``kid``
(one re-fetch of the JWKS at most once per ``refetch_interval``) -> signature -> ``iss`` ->
``token_use`` -> audience (``aud`` for id tokens, ``client_id`` for access tokens) ->
``exp``/``iat`` (with ``leeway``). The first failure raises a :class:`TokenRejectedError`
subclass whose ``reason`` names it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, TypeGuard

import aiohttp
import attrs
import jwt

from ..errors import (
    BadAlgorithmError,
    BadSignatureError,
    ConfigurationError,
    JwksFetchError,
    MalformedTokenError,
    NotAuthorizedError,
    PasswordResetRequiredError,
    ProtocolError,
    RefreshTokenReuseError,
    SignedOutError,
    TokenExpiredError,
    TokenNotYetValidError,
    TokenRejectedError,
    TokenRevokedError,
    TokenSetFormatError,
    UnknownKidError,
    UserNotConfirmedError,
    UserNotFoundError,
    WrongAudienceError,
    WrongIssuerError,
    WrongTokenUseError,
    hidden,
    masked,
)

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_MIN_TTL",
    "DEFAULT_REFETCH_INTERVAL",
    "MAX_TOKEN_CHARS",
    "BadAlgorithmError",
    "BadSignatureError",
    "JwksCache",
    "JwksFetchError",
    "MalformedTokenError",
    "SignedOutError",
    "TokenExpiredError",
    "TokenManager",
    "TokenNotYetValidError",
    "TokenRejectedError",
    "TokenSet",
    "TokenSetFormatError",
    "TokenUse",
    "TokenVerifier",
    "UnknownKidError",
    "WrongAudienceError",
    "WrongIssuerError",
    "WrongTokenUseError",
]

_log = logging.getLogger(__name__)

TokenUse = Literal["id", "access"]

#: Seconds of clock skew tolerated on ``exp`` and ``iat``.
DEFAULT_LEEWAY = 5.0
#: At most one JWKS re-fetch for an unknown ``kid`` per this many seconds.
DEFAULT_REFETCH_INTERVAL = 60.0
#: :meth:`TokenManager.get_tokens` refreshes when fewer seconds than this are left.
#: 60 s covers a request that starts with the token, its network time and the verifier's
#: 5 s leeway, and is far below Cognito's shortest access-token validity (5 minutes), so a
#: token set is refreshed once per lifetime, not on every call.
DEFAULT_MIN_TTL = 60.0

#: Longest token the verifier parses. Cognito's tokens are a few KiB (an id token with
#: many attributes and groups stays far below this); anything longer is refused unparsed.
MAX_TOKEN_CHARS = 32 * 1024

_ALGORITHM = "RS256"
_TOKEN_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------
# Errors


# --------------------------------------------------------------------------------------
# JWT helpers (no verification)


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        # RecursionError: JSON nested deeper than the interpreter's recursion limit.
        raise MalformedTokenError("token segment is not base64url-encoded JSON") from None


def _split(token: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS, unverified."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise MalformedTokenError("token is not a compact JWS (three dot-separated parts)")
    if len(token) > MAX_TOKEN_CHARS:
        raise MalformedTokenError(f"token is longer than {MAX_TOKEN_CHARS} characters")
    header_seg, payload_seg, _ = token.split(".")
    header = _b64url_json(header_seg)
    payload = _b64url_json(payload_seg)
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedTokenError("token header or payload is not a JSON object")
    return header, payload


def _short(value: object) -> str:
    """A non-secret claim value for an error message, bounded in length (containers are
    named by type only: their repr could be huge or nested too deep to print)."""
    if not isinstance(value, (str, int, float, bool, type(None))):
        return f"a JSON {type(value).__name__}"
    if isinstance(value, int) and abs(value) > 10**30:
        return "a huge number"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _is_number(value: object) -> TypeGuard[float]:
    """A finite JSON number (not a bool, not NaN or infinite, small enough for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


# --------------------------------------------------------------------------------------
# TokenSet


@masked
@attrs.frozen(kw_only=True, repr=False)
class TokenSet:
    """The tokens of one signed-in session.

    Secrets (all three tokens, the device key) never appear in ``repr``; the ``repr`` shows
    the id token's ``sub``, the expiry and whether a refresh token is held.

    Attributes:
        access_token: the access token (JWT).
        id_token: the id token (JWT).
        expires_at: epoch seconds when the tokens expire (``now + ExpiresIn``).
        refresh_token: the refresh token, when Cognito issued one.
        token_type: ``"Bearer"``.
        device_key: the remembered device's key, when device tracking is on.
    """

    access_token: str = attrs.field(repr=hidden)
    id_token: str = attrs.field(repr=hidden)
    expires_at: float
    refresh_token: str | None = attrs.field(default=None, repr=hidden)
    token_type: str = "Bearer"
    device_key: str | None = None

    @classmethod
    def from_authentication_result(
        cls,
        result: Mapping[str, Any],
        *,
        now: float,
        previous: TokenSet | None = None,
    ) -> TokenSet:
        """Build a token set from Cognito's ``AuthenticationResult``.

        ``now`` is the clock reading when the response arrived (``expires_at = now +
        ExpiresIn``). A refresh answers without a ``RefreshToken`` unless rotation is on;
        then the ``previous`` refresh token is kept, and a new one replaces it. The device
        key comes from ``NewDeviceMetadata`` or, failing that, from ``previous``.

        Raises:
            ProtocolError: ``AccessToken``, ``IdToken`` or ``ExpiresIn`` is missing, or
                ``ExpiresIn`` is not a positive, finite number.
        """
        access = result.get("AccessToken")
        id_token = result.get("IdToken")
        expires_in = result.get("ExpiresIn")
        if not isinstance(access, str) or not access:
            raise ProtocolError("AuthenticationResult has no AccessToken")
        if not isinstance(id_token, str) or not id_token:
            raise ProtocolError("AuthenticationResult has no IdToken")
        if not _is_number(expires_in) or expires_in <= 0:
            # NaN, infinite or non-positive lifetimes would make the tokens never (or
            # always) expire; Cognito's are 5 minutes to 1 day (API reference, TokenValidity).
            raise ProtocolError("AuthenticationResult has no positive, finite ExpiresIn")
        refresh = result.get("RefreshToken")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous is not None else None
        metadata = result.get("NewDeviceMetadata")
        device_key = metadata.get("DeviceKey") if isinstance(metadata, Mapping) else None
        if not isinstance(device_key, str) or not device_key:
            device_key = previous.device_key if previous is not None else None
        token_type = result.get("TokenType")
        return cls(
            access_token=access,
            id_token=id_token,
            expires_at=float(now) + float(expires_in),
            refresh_token=refresh,
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
            device_key=device_key,
        )

    def expires_in(self, now: float) -> float:
        """Seconds left until expiry at ``now`` (never negative)."""
        return max(0.0, self.expires_at - now)

    def is_expired(self, now: float, leeway: float = 0.0) -> bool:
        """Whether the tokens are expired at ``now``, or will be within ``leeway`` seconds."""
        return now + leeway >= self.expires_at

    def unverified_claims(self, which: TokenUse = "id") -> dict[str, Any]:
        """The claims of the id or access token, decoded WITHOUT verifying anything.

        Only for reading claims of tokens this process obtained from Cognito itself; use
        :class:`TokenVerifier` for tokens received from elsewhere.

        Raises:
            MalformedTokenError: the token is not a decodable JWT.
        """
        token = self.id_token if which == "id" else self.access_token
        return _split(token)[1]

    @property
    def username(self) -> str | None:
        """The ``username`` claim of the access token (the user's Cognito user name)."""
        value = self.unverified_claims("access").get("username")
        return value if isinstance(value, str) else None

    @property
    def sub(self) -> str | None:
        """The ``sub`` claim (the user's immutable id) of the id token."""
        value = self.unverified_claims("id").get("sub")
        return value if isinstance(value, str) else None

    def as_dict(self, *, now: float | None = None) -> dict[str, Any]:
        """Cognito-shaped output for ``--json``: ``AccessToken``, ``IdToken``,
        ``RefreshToken``, ``ExpiresIn`` (whole seconds left at ``now``, default the wall
        clock) and ``TokenType``. Contains secrets: for the user's own terminal only."""
        at = time.time() if now is None else now
        return {
            "AccessToken": self.access_token,
            "IdToken": self.id_token,
            "RefreshToken": self.refresh_token,
            "ExpiresIn": int(self.expires_in(at)),
            "TokenType": self.token_type,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for a token file (absolute ``expires_at``); see :meth:`from_dict`."""
        return {
            "version": _TOKEN_FORMAT_VERSION,
            "access_token": self.access_token,
            "id_token": self.id_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "token_type": self.token_type,
            "device_key": self.device_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """Load a token set saved with :meth:`to_dict`.

        Raises:
            TokenSetFormatError: a field is missing or has the wrong type, or the version is
                unknown.
        """
        if not isinstance(data, Mapping):
            raise TokenSetFormatError("token set must be a JSON object")
        if data.get("version", _TOKEN_FORMAT_VERSION) != _TOKEN_FORMAT_VERSION:
            raise TokenSetFormatError("unsupported token set version")

        def text(name: str, *, optional: bool = False) -> str | None:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, str) or not value:
                raise TokenSetFormatError(f"token set field {name!r} must be a string")
            return value

        expires_at = data.get("expires_at")
        if not _is_number(expires_at):
            raise TokenSetFormatError("token set field 'expires_at' must be a number")
        return cls(
            access_token=text("access_token") or "",
            id_token=text("id_token") or "",
            expires_at=float(expires_at),
            refresh_token=text("refresh_token", optional=True),
            token_type=text("token_type", optional=True) or "Bearer",
            device_key=text("device_key", optional=True),
        )

    def __repr__(self) -> str:
        try:
            sub: str | None = self.sub
        except MalformedTokenError:
            sub = None
        return (
            f"TokenSet(sub={sub!r}, expires_at={self.expires_at!r}, "
            f"refresh_token={'<set>' if self.refresh_token else None}, "
            f"device_key={'<set>' if self.device_key else None})"
        )


# --------------------------------------------------------------------------------------
# JWKS


FetchJson = Callable[[str], Awaitable[Any]]


def _parse_jwks(document: Any) -> dict[str, Any]:
    """``kid`` -> public key for every usable RS256 signing key of a JWKS document."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise JwksFetchError("JWKS document has no 'keys' list")
    keys: dict[str, Any] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if (
            not isinstance(kid, str)
            or entry.get("kty") != "RSA"
            or entry.get("use", "sig") != "sig"
            or entry.get("alg", _ALGORITHM) != _ALGORITHM
        ):
            continue
        try:
            keys[kid] = jwt.PyJWK(dict(entry), algorithm=_ALGORITHM).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            _log.warning("skipping unusable JWKS key kid=%s", kid)
    return keys


class JwksCache:
    """The user pool's signing keys, fetched once and cached.

    A ``kid`` that is not cached triggers a re-fetch (key rotation), at most once per
    ``refetch_interval`` seconds of ``clock``; within that interval an unknown ``kid`` is
    rejected without any request. Concurrent callers needing a fetch share one request.
    A failed fetch is not cached: the next caller tries again.

    Args:
        url: the JWKS URL (``{issuer}/.well-known/jwks.json`` for Cognito).
        session: an ``aiohttp.ClientSession`` to fetch with (the caller owns it); when
            neither ``session`` nor ``fetch`` is given a short-lived session is made per
            fetch.
        fetch: an async callable ``fetch(url) -> parsed JSON`` used instead of aiohttp.
        clock: seconds, used only for the re-fetch rate limit.
        refetch_interval: minimum seconds between re-fetches caused by unknown ``kid``\\ s.
        timeout: total seconds for one aiohttp fetch.
    """

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        fetch: FetchJson | None = None,
        clock: Callable[[], float] = time.monotonic,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._session = session
        self._fetch = fetch
        self._clock = clock
        self.refetch_interval = refetch_interval
        self._timeout = timeout
        self._keys: dict[str, Any] = {}
        self._loaded = False
        self._last_refetch: float | None = None
        self._inflight: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"JwksCache(url={self.url!r}, kids={sorted(self._keys)!r})"

    @property
    def kids(self) -> frozenset[str]:
        """The ``kid``\\ s currently cached."""
        return frozenset(self._keys)

    async def get_key(self, kid: str) -> Any:
        """The public key for ``kid``, fetching or re-fetching the JWKS when allowed.

        Raises:
            UnknownKidError: ``kid`` is not in the JWKS (after the allowed re-fetch).
            JwksFetchError: the JWKS could not be fetched.
        """
        key = self._keys.get(kid)
        if key is not None:
            return key
        if self._inflight is not None:
            await self._join()
        elif not self._loaded:
            await self._join(self._start())
        elif self._may_refetch():
            self._last_refetch = self._clock()
            await self._join(self._start())
        key = self._keys.get(kid)
        if key is None:
            raise UnknownKidError("token key id is not in the pool's JWKS", kid=kid)
        return key

    async def refresh(self) -> None:
        """Fetch the JWKS now (joining a fetch already in flight)."""
        await self._join(self._inflight or self._start())

    def _may_refetch(self) -> bool:
        if self._last_refetch is None:
            return True
        elapsed = self._clock() - self._last_refetch
        return elapsed < 0 or elapsed >= self.refetch_interval  # < 0: the clock went back

    def _start(self) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._load())
        task.add_done_callback(_consume_exception)
        self._inflight = task
        return task

    async def _join(self, task: asyncio.Task[None] | None = None) -> None:
        task = task or self._inflight
        if task is not None:
            await asyncio.shield(task)

    async def _load(self) -> None:
        try:
            document = await self._get_document()
            self._keys = _parse_jwks(document)
            self._loaded = True
        finally:
            if self._inflight is asyncio.current_task():
                self._inflight = None

    async def _get_document(self) -> Any:
        if self._fetch is not None:
            try:
                return await self._fetch(self.url)
            except JwksFetchError:
                raise
            except Exception as exc:
                raise JwksFetchError(f"fetching the JWKS failed: {type(exc).__name__}") from exc
        try:
            if self._session is not None:
                return await self._get_with(self._session)
            async with aiohttp.ClientSession() as session:
                return await self._get_with(session)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise JwksFetchError(f"fetching the JWKS failed: {type(exc).__name__}") from exc

    async def _get_with(self, session: aiohttp.ClientSession) -> Any:
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with session.get(self.url, timeout=timeout) as response:
            if response.status != 200:
                raise JwksFetchError(f"fetching the JWKS answered HTTP {response.status}")
            try:
                return await response.json(content_type=None)
            except ValueError:
                raise JwksFetchError("the JWKS is not JSON") from None


def _consume_exception(task: asyncio.Future[Any]) -> None:
    """Mark a shared task's exception as retrieved (all waiters may have been cancelled)."""
    if not task.cancelled():
        task.exception()


# --------------------------------------------------------------------------------------
# Verifier


class TokenVerifier:
    """Verifies Cognito id and access tokens against the user pool's JWKS.

    Args:
        user_pool_id: ``"<region>_<id>"``.
        client_id: the app client id, or several; the id token's ``aud`` or the access
            token's ``client_id`` must be one of them.
        region: defaults to the prefix of ``user_pool_id``.
        issuer: the expected ``iss``; default ``https://cognito-idp.{region}.amazonaws.com/
            {user_pool_id}``, or ``{endpoint_url}/{user_pool_id}`` when ``endpoint_url`` is
            given (the local emulator).
        endpoint_url: a non-AWS Cognito endpoint whose issuers are ``{endpoint_url}/{pool}``.
        jwks_url: default ``{issuer}/.well-known/jwks.json``.
        jwks: a :class:`JwksCache` to share; when given, ``jwks_url``, ``session``,
            ``fetch`` and ``refetch_interval`` are ignored.
        session, fetch, refetch_interval: passed to the :class:`JwksCache` built here.
        leeway: seconds of clock skew tolerated on ``exp``/``iat``/``nbf``.
        clock: epoch seconds; also the rate-limit clock of the :class:`JwksCache` built here.
    """

    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: str | Iterable[str],
        region: str | None = None,
        issuer: str | None = None,
        endpoint_url: str | None = None,
        jwks_url: str | None = None,
        jwks: JwksCache | None = None,
        session: aiohttp.ClientSession | None = None,
        fetch: FetchJson | None = None,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL,
        leeway: float = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if issuer is None:
            if endpoint_url is not None:
                issuer = f"{endpoint_url.rstrip('/')}/{user_pool_id}"
            else:
                region = region or (user_pool_id.split("_", 1)[0] if "_" in user_pool_id else None)
                if not region:
                    raise ConfigurationError("cannot derive the region from the user pool id")
                issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.issuer: str = issuer
        self.client_ids: frozenset[str] = (
            frozenset([client_id]) if isinstance(client_id, str) else frozenset(client_id)
        )
        if not self.client_ids:
            raise ConfigurationError("TokenVerifier needs at least one client id")
        self.leeway = leeway
        self._clock = clock
        self.jwks: JwksCache = jwks or JwksCache(
            jwks_url or f"{issuer}/.well-known/jwks.json",
            session=session,
            fetch=fetch,
            clock=clock,
            refetch_interval=refetch_interval,
        )

    def __repr__(self) -> str:
        return f"TokenVerifier(issuer={self.issuer!r}, client_ids={sorted(self.client_ids)!r})"

    async def verify_id_token(self, token: str) -> dict[str, Any]:
        """Verify an id token; returns its claims. See :meth:`verify`."""
        return await self.verify(token, "id")

    async def verify_access_token(self, token: str) -> dict[str, Any]:
        """Verify an access token; returns its claims. See :meth:`verify`."""
        return await self.verify(token, "access")

    async def verify(self, token: str, token_use: TokenUse) -> dict[str, Any]:
        """Verify ``token`` as a ``token_use`` (``"id"`` or ``"access"``) token.

        Returns:
            The verified claims.

        Raises:
            TokenRejectedError: a subclass whose ``reason`` names the failed check.
            JwksFetchError: the JWKS was needed and could not be fetched.
        """
        if token_use not in ("id", "access"):
            raise ConfigurationError("token_use must be 'id' or 'access'")
        try:
            header, _ = _split(token)
        except MalformedTokenError as exc:
            exc.token_use = token_use
            raise
        alg = header.get("alg")
        if alg != _ALGORITHM:
            raise BadAlgorithmError(
                f"token algorithm {_short(alg)} is not allowed; only RS256 is",
                token_use=token_use,
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise MalformedTokenError("token header has no 'kid'", token_use=token_use)
        try:
            key = await self.jwks.get_key(kid)
        except UnknownKidError as exc:
            exc.token_use = token_use
            raise
        claims = self._check_signature(token, key, token_use)
        self._check_claims(claims, token_use)
        return claims

    @staticmethod
    def _check_signature(token: str, key: Any, token_use: str) -> dict[str, Any]:
        try:
            decoded = jwt.PyJWS().decode_complete(token, key=key, algorithms=[_ALGORITHM])
        except RecursionError:
            raise MalformedTokenError(
                "token JSON is nested too deep", token_use=token_use
            ) from None
        except jwt.InvalidSignatureError:
            raise BadSignatureError("token signature is invalid", token_use=token_use) from None
        except jwt.InvalidAlgorithmError:
            raise BadAlgorithmError("token algorithm is not allowed", token_use=token_use) from None
        except jwt.PyJWTError as exc:
            raise MalformedTokenError(
                f"token cannot be decoded ({type(exc).__name__})", token_use=token_use
            ) from None
        try:
            claims = json.loads(decoded["payload"])
        except (ValueError, UnicodeError, RecursionError):
            raise MalformedTokenError("token payload is not JSON", token_use=token_use) from None
        if not isinstance(claims, dict):
            raise MalformedTokenError("token payload is not a JSON object", token_use=token_use)
        return claims

    def _check_claims(self, claims: Mapping[str, Any], token_use: str) -> None:
        iss = claims.get("iss")
        if iss != self.issuer:
            raise WrongIssuerError(
                f"token issuer {_short(iss)} is not {self.issuer!r}", token_use=token_use
            )
        actual_use = claims.get("token_use")
        if actual_use != token_use:
            raise WrongTokenUseError(
                f"token_use is {_short(actual_use)}, expected {token_use!r}",
                token_use=token_use,
            )
        if token_use == "id":
            aud = claims.get("aud")
            audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
            if not any(isinstance(a, str) and a in self.client_ids for a in audiences):
                raise WrongAudienceError(
                    "id token 'aud' is not this app client", token_use=token_use
                )
        elif not (
            isinstance(claims.get("client_id"), str) and claims["client_id"] in self.client_ids
        ):
            raise WrongAudienceError(
                "access token 'client_id' is not this app client", token_use=token_use
            )
        exp, iat = claims.get("exp"), claims.get("iat")
        if not _is_number(exp) or not _is_number(iat):
            raise MalformedTokenError("token lacks numeric 'exp' and 'iat'", token_use=token_use)
        now = self._clock()
        if now > exp + self.leeway:
            raise TokenExpiredError("token has expired", token_use=token_use)
        nbf = claims.get("nbf")
        if nbf is not None and not _is_number(nbf):
            raise MalformedTokenError("token 'nbf' is not a finite number", token_use=token_use)
        if iat > now + self.leeway or (nbf is not None and nbf > now + self.leeway):
            raise TokenNotYetValidError("token is not valid yet", token_use=token_use)


# --------------------------------------------------------------------------------------
# Manager


RefreshFn = Callable[[TokenSet], Awaitable[TokenSet]]
#: Errors from the refresh callable that end the session (all else propagates unchanged).
_SIGN_OUT_ERRORS = (TokenRevokedError, NotAuthorizedError, RefreshTokenReuseError)
#: Refresh errors that mean the user is gone or must act first: they end the session too,
#: as amplify-js' TokenOrchestrator (``isAuthenticationError``: UserNotFoundException,
#: PasswordResetRequiredException, UserNotConfirmedException) does; the reason names which.
_USER_GONE_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (UserNotFoundError, "user_not_found"),
    (PasswordResetRequiredError, "password_reset_required"),
    (UserNotConfirmedError, "user_not_confirmed"),
)
_ENDS_SESSION: tuple[type[Exception], ...] = (
    *_SIGN_OUT_ERRORS,
    *(cls for cls, _ in _USER_GONE_ERRORS),
)


class TokenManager:
    """Holds a session's :class:`TokenSet` and keeps it fresh.

    :meth:`get_tokens` returns the held tokens while at least ``min_ttl`` seconds are left,
    and otherwise refreshes them through ``refresh`` (the pool layer passes a function that
    calls ``GetTokensFromRefreshToken``, falling back to ``REFRESH_TOKEN_AUTH``, and builds
    the new set with :meth:`TokenSet.from_authentication_result` ``(previous=old)``).

    Single flight: however many coroutines need a refresh at once, ``refresh`` runs once;
    they all get its result or its exception. A cancelled caller does not cancel it.

    When ``refresh`` raises :class:`~cognito_flows.errors.NotAuthorizedError` (which
    includes ``TokenRevokedError``) or ``RefreshTokenReuseError`` (reason ``"revoked"``), or
    ``UserNotFoundError`` / ``PasswordResetRequiredError`` / ``UserNotConfirmedError``
    (reasons ``"user_not_found"``, ``"password_reset_required"``, ``"user_not_confirmed"``,
    as amplify-js' TokenOrchestrator signs out on them), the manager signs out:
    ``state`` becomes ``"signed_out"``, ``on_signed_out(error)`` is called once, and
    :meth:`get_tokens` raises :class:`SignedOutError` until :meth:`set_tokens`. Any other
    error (throttling, network) propagates unchanged and the session stays signed in.

    Args:
        tokens: the initial token set, or ``None`` (signed out).
        refresh: ``async refresh(old) -> new``.
        min_ttl: default for :meth:`get_tokens`; see :data:`DEFAULT_MIN_TTL`.
        clock: epoch seconds.
        on_signed_out: called with the :class:`SignedOutError` (its ``__cause__`` is
            Cognito's error) when the session ends involuntarily; not called by
            :meth:`clear`. Exceptions it raises are logged and ignored.
    """

    def __init__(
        self,
        tokens: TokenSet | None,
        refresh: RefreshFn,
        *,
        min_ttl: float = DEFAULT_MIN_TTL,
        clock: Callable[[], float] = time.time,
        on_signed_out: Callable[[SignedOutError], object] | None = None,
    ) -> None:
        self._tokens = tokens
        self._refresh = refresh
        self.min_ttl = min_ttl
        self._clock = clock
        self.on_signed_out = on_signed_out
        self._inflight: asyncio.Task[TokenSet] | None = None
        self._generation = 0
        self._signed_out_error: SignedOutError | None = (
            None if tokens is not None else SignedOutError("no_tokens")
        )

    def __repr__(self) -> str:
        return f"TokenManager(state={self.state!r}, tokens={self._tokens!r})"

    @property
    def state(self) -> Literal["signed_in", "signed_out"]:
        """``"signed_in"`` while a token set is held, else ``"signed_out"``."""
        return "signed_in" if self._tokens is not None else "signed_out"

    @property
    def signed_out(self) -> bool:
        """Whether the manager holds no token set."""
        return self._tokens is None

    @property
    def signed_out_error(self) -> SignedOutError | None:
        """Why the manager is signed out (``None`` while signed in)."""
        return self._signed_out_error if self._tokens is None else None

    @property
    def tokens(self) -> TokenSet | None:
        """The held token set as it is, without refreshing."""
        return self._tokens

    def set_tokens(self, tokens: TokenSet) -> None:
        """Hold ``tokens`` (after a sign-in); a refresh in flight will not overwrite them."""
        self._generation += 1
        self._tokens = tokens
        self._signed_out_error = None

    def clear(self) -> None:
        """Forget the tokens (local sign-out); does not call ``on_signed_out``."""
        self._generation += 1
        self._tokens = None
        self._signed_out_error = SignedOutError("cleared")

    async def get_tokens(self, min_ttl: float | None = None) -> TokenSet:
        """Tokens with at least ``min_ttl`` seconds left (default :attr:`min_ttl`).

        Refreshes when fewer are left. Without a refresh token the held tokens are returned
        while they are unexpired, and the manager signs out once they expire. If a fresh set
        is itself shorter-lived than ``min_ttl`` it is still returned.

        Raises:
            SignedOutError: no session (never signed in, cleared, or the refresh token was
                refused).
            CognitoError: a transient refresh failure, unchanged.
        """
        tokens = self._require_tokens()
        ttl = self.min_ttl if min_ttl is None else min_ttl
        now = self._clock()
        if tokens.expires_at - now >= ttl:
            return tokens
        if self._inflight is None and not tokens.refresh_token:
            if not tokens.is_expired(now):
                return tokens
            self._sign_out(SignedOutError("no_refresh_token"))
            raise self._require_error()
        return await self._shared_refresh(tokens)

    async def force_refresh(self) -> TokenSet:
        """Refresh now whatever the expiry (joining a refresh already in flight).

        Raises:
            SignedOutError: as :meth:`get_tokens`, or when there is no refresh token.
        """
        tokens = self._require_tokens()
        if self._inflight is None and not tokens.refresh_token:
            raise SignedOutError("no_refresh_token", "no refresh token to refresh with")
        return await self._shared_refresh(tokens)

    def _require_tokens(self) -> TokenSet:
        if self._tokens is None:
            raise self._require_error()
        return self._tokens

    def _require_error(self) -> SignedOutError:
        return self._signed_out_error or SignedOutError("no_tokens")

    async def _shared_refresh(self, tokens: TokenSet) -> TokenSet:
        task = self._inflight
        if task is None:
            # The generation is taken now: a clear() or set_tokens() before the task runs
            # must win over its result.
            task = asyncio.get_running_loop().create_task(
                self._run_refresh(tokens, self._generation)
            )
            task.add_done_callback(_consume_exception)
            self._inflight = task
        return await asyncio.shield(task)

    async def _run_refresh(self, old: TokenSet, generation: int) -> TokenSet:
        try:
            try:
                new = await self._refresh(old)
            except _ENDS_SESSION as exc:
                reason = next((r for cls, r in _USER_GONE_ERRORS if isinstance(exc, cls)), None)
                if reason is None:
                    error = SignedOutError("revoked", "signed out: the refresh token was refused")
                else:
                    error = SignedOutError(reason, f"signed out: {reason.replace('_', ' ')}")
                error.__cause__ = exc
                if generation == self._generation:
                    self._sign_out(error)
                raise error from exc
            if not isinstance(new, TokenSet):
                raise ProtocolError("the refresh callable did not return a TokenSet")
            if not new.refresh_token and old.refresh_token:
                new = attrs.evolve(new, refresh_token=old.refresh_token)
            if not new.device_key and old.device_key:
                new = attrs.evolve(new, device_key=old.device_key)
            if generation != self._generation:
                # Cleared or replaced meanwhile: that wins over this refresh's result.
                if self._tokens is None:
                    raise self._require_error()
                return self._tokens
            self._tokens = new
            return new
        finally:
            if self._inflight is asyncio.current_task():
                self._inflight = None

    def _sign_out(self, error: SignedOutError) -> None:
        self._generation += 1
        self._tokens = None
        self._signed_out_error = error
        if self.on_signed_out is not None:
            try:
                self.on_signed_out(error)
            except Exception:
                _log.exception("on_signed_out callback failed")
