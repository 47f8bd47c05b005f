"""Tokens: the token set, JWT verification against the pool's JWKS, and single-flight refresh.

Rules of this package:

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

One module per job: ``_jwt`` decodes a JWT without verifying it, ``tokenset`` is
:class:`TokenSet`, ``jwks`` is :class:`JwksCache`, ``verifier`` is :class:`TokenVerifier`,
``manager`` is :class:`TokenManager`, and ``_tasks`` holds the single-flight helper. Import
the names from here; each module imports only :mod:`cognito_flows.errors` and the modules it
names (``tests/test_layers.py`` checks this table, as it does the library's)::

    _jwt, _tasks -> -
    tokenset -> _jwt
    jwks -> _jwt, _tasks
    verifier -> _jwt, jwks
    manager -> _tasks, tokenset
"""

from __future__ import annotations

from ..errors import (
    BadAlgorithmError,
    BadSignatureError,
    JwksFetchError,
    MalformedTokenError,
    SignedOutError,
    TokenExpiredError,
    TokenNotYetValidError,
    TokenRejectedError,
    TokenSetFormatError,
    UnknownKidError,
    WrongAudienceError,
    WrongIssuerError,
    WrongTokenUseError,
)
from ._jwt import MAX_TOKEN_CHARS, TokenUse

# isort: off
# In reading order, not sorted: docs/reference/tokens.md lists the classes in import order.
from .tokenset import TokenSet
from .jwks import DEFAULT_REFETCH_INTERVAL, JwksCache
from .verifier import DEFAULT_LEEWAY, TokenVerifier
from .manager import DEFAULT_MIN_TTL, TokenManager

# isort: on

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
