"""The verifier: checks Cognito id and access tokens against the pool's JWKS, in the order
the package docstring (:mod:`cognito_flows.tokens`) gives. pyjwt checks only the signature;
every claim check is written here, so the failure's ``reason`` is exact."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
import jwt

from ..errors import (
    BadAlgorithmError,
    BadSignatureError,
    ConfigurationError,
    MalformedTokenError,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKidError,
    WrongAudienceError,
    WrongIssuerError,
    WrongTokenUseError,
)
from ._jwt import ALGORITHM, TokenUse, is_number, split_jws
from .jwks import DEFAULT_REFETCH_INTERVAL, FetchJson, JwksCache

__all__ = ["DEFAULT_LEEWAY", "TokenVerifier"]

#: Seconds of clock skew tolerated on ``exp`` and ``iat``.
DEFAULT_LEEWAY = 5.0


def _short(value: object) -> str:
    """A non-secret claim value for an error message, bounded in length (containers are
    named by type only: their repr could be huge or nested too deep to print)."""
    if not isinstance(value, (str, int, float, bool, type(None))):
        return f"a JSON {type(value).__name__}"
    if isinstance(value, int) and abs(value) > 10**30:
        return "a huge number"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


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
            header, _ = split_jws(token)
        except MalformedTokenError as exc:
            exc.token_use = token_use
            raise
        alg = header.get("alg")
        if alg != ALGORITHM:
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
            decoded = jwt.PyJWS().decode_complete(token, key=key, algorithms=[ALGORITHM])
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
        if not is_number(exp) or not is_number(iat):
            raise MalformedTokenError("token lacks numeric 'exp' and 'iat'", token_use=token_use)
        now = self._clock()
        if now > exp + self.leeway:
            raise TokenExpiredError("token has expired", token_use=token_use)
        nbf = claims.get("nbf")
        if nbf is not None and not is_number(nbf):
            raise MalformedTokenError("token 'nbf' is not a finite number", token_use=token_use)
        if iat > now + self.leeway or (nbf is not None and nbf > now + self.leeway):
            raise TokenNotYetValidError("token is not valid yet", token_use=token_use)
