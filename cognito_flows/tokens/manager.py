"""The token manager: holds a session's :class:`~cognito_flows.tokens.TokenSet` and keeps it
fresh, one refresh shared by every coroutine that needs it; a refused refresh signs it out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import attrs

from ..errors import (
    NotAuthorizedError,
    PasswordResetRequiredError,
    ProtocolError,
    RefreshTokenReuseError,
    SignedOutError,
    TokenRevokedError,
    UserNotConfirmedError,
    UserNotFoundError,
)
from ._tasks import consume_exception
from .tokenset import TokenSet

__all__ = ["DEFAULT_MIN_TTL", "RefreshFn", "TokenManager"]

# The logger of the module before it became a package; logging set up for it still applies.
_log = logging.getLogger("cognito_flows.tokens")

#: :meth:`TokenManager.get_tokens` refreshes when fewer seconds than this are left.
#: 60 s covers a request that starts with the token, its network time and the verifier's
#: 5 s leeway, and is far below Cognito's shortest access-token validity (5 minutes), so a
#: token set is refreshed once per lifetime, not on every call.
DEFAULT_MIN_TTL = 60.0

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
            task.add_done_callback(consume_exception)
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
