"""Token refresh: :func:`refresh_tokens` and :func:`token_manager`.

* :func:`refresh_tokens` refreshes a :class:`~cognito_flows.tokens.TokenSet`:
  GetTokensFromRefreshToken, or ``InitiateAuth`` ``REFRESH_TOKEN_AUTH`` where that operation
  is not available (older Cognito-compatible servers such as moto). Rotation aware: a new
  refresh token replaces the old one; without rotation the old one is kept.
* :func:`token_manager` wires it into a :class:`~cognito_flows.tokens.TokenManager`
  (single-flight refresh; a refused refresh token signs the manager out).

Both take a :class:`~cognito_flows.drivers.context.FlowContext` or anything that carries one
(a :class:`~cognito_flows.UserPool`). The client secret never passes through here: the
client adds ``ClientSecret`` and SECRET_HASH itself.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from .drivers.context import FlowContext, HasContext, context_of
from .errors import CognitoError, ProtocolError
from .tokens import DEFAULT_MIN_TTL, SignedOutError, TokenManager, TokenSet

__all__ = ["refresh_tokens", "token_manager"]

log = logging.getLogger("cognito_flows.account")

#: Error codes meaning "this server does not have GetTokensFromRefreshToken".
_UNAVAILABLE_CODES = frozenset(
    {
        "UnknownOperationException",
        "UnknownOperation",
        "InvalidAction",
        "UnsupportedOperationException",
        "NotImplemented",
    }
)

#: Contexts (one per pool) whose server lacks GetTokensFromRefreshToken (asked once each).
_NO_GET_TOKENS: weakref.WeakSet[FlowContext] = weakref.WeakSet()


def _operation_unavailable(exc: CognitoError) -> bool:
    # moto answers unknown operations with an HTML 500 page: no Cognito error code at all.
    return exc.code in _UNAVAILABLE_CODES or exc.code.isdigit()


async def refresh_tokens(pool: FlowContext | HasContext, tokens: TokenSet) -> TokenSet:
    """New tokens from ``tokens.refresh_token``.

    Calls GetTokensFromRefreshToken (with the client secret and the device key when there
    are ones). When the server does not offer that operation, falls back to InitiateAuth
    ``REFRESH_TOKEN_AUTH`` with SECRET_HASH computed from the access token's ``username``
    claim (the Cognito user name, never an alias), and remembers to go there directly for
    this pool from then on.

    Returns:
        the new token set; it keeps the old refresh token unless Cognito rotated it, and
        the device key.

    Raises:
        SignedOutError: ``tokens`` has no refresh token.
        NotAuthorizedError: (``TokenRevokedError`` and friends) the refresh token was
            refused: revoked, expired, or the user was deleted or disabled.
        RefreshTokenReuseError: a rotated refresh token was used after its grace period.
        CognitoError: another Cognito error (throttling after retries...).
    """
    ctx = context_of(pool)
    refresh = tokens.refresh_token
    if not refresh:
        raise SignedOutError("no_refresh_token", "no refresh token to refresh with")
    response: Mapping[str, Any] | None = None
    if ctx not in _NO_GET_TOKENS:
        try:
            response = await ctx.call(
                "GetTokensFromRefreshToken", RefreshToken=refresh, DeviceKey=tokens.device_key
            )
        except CognitoError as exc:
            if not _operation_unavailable(exc):
                raise
            log.info(
                "GetTokensFromRefreshToken is not available (%s); using REFRESH_TOKEN_AUTH",
                exc.code,
            )
            _NO_GET_TOKENS.add(ctx)
        except AttributeError:  # a botocore too old to know the operation
            log.info("this botocore lacks GetTokensFromRefreshToken; using REFRESH_TOKEN_AUTH")
            _NO_GET_TOKENS.add(ctx)
    if response is None:
        auth: dict[str, str] = {"REFRESH_TOKEN": refresh}
        if tokens.device_key:
            auth["DEVICE_KEY"] = tokens.device_key
        username: str | None = None
        if ctx.has_secret:
            username = tokens.username or tokens.sub
            if not username:
                raise ProtocolError("the access token has no username claim for SECRET_HASH")
        response = await ctx.call(
            "InitiateAuth",
            secret_hash_for=username,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters=auth,
        )
    result = response.get("AuthenticationResult")
    if not isinstance(result, Mapping):
        raise ProtocolError("the refresh answered without an AuthenticationResult")
    return TokenSet.from_authentication_result(result, now=ctx.clock(), previous=tokens)


def token_manager(
    pool: FlowContext | HasContext,
    tokens: TokenSet | None,
    *,
    min_ttl: float = DEFAULT_MIN_TTL,
    on_signed_out: Callable[[SignedOutError], object] | None = None,
) -> TokenManager:
    """A :class:`TokenManager` that refreshes with :func:`refresh_tokens` on the pool's clock.

    A refresh refused as revoked or expired signs the manager out (``state`` becomes
    ``"signed_out"`` and :meth:`TokenManager.get_tokens` raises :class:`SignedOutError`).
    """
    ctx = context_of(pool)

    async def refresh(old: TokenSet) -> TokenSet:
        return await refresh_tokens(ctx, old)

    return TokenManager(
        tokens, refresh, min_ttl=min_ttl, clock=ctx.clock, on_signed_out=on_signed_out
    )
