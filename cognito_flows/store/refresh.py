"""Token refresh once per user across processes: :class:`RedisRefreshCoordinator`.

:class:`~cognito_flows.TokenManager` makes the coroutines of one process share a refresh.
Several workers holding the same user's tokens (a web app's processes, a fleet of bots)
would still each call Cognito; with refresh-token rotation all but the first may even be
refused. Wrap the refresh callable::

    refresh = RedisRefreshCoordinator(redis, refresh=partial(refresh_tokens, pool))
    manager = TokenManager(tokens, refresh=refresh)

Theory of operation. The keys are named after a hash of the refresh token, so only holders
of that refresh token find them. The first worker takes a lock (``SET NX PX``: it expires if
the worker dies), refreshes, writes the new token set under a short-lived result key and
releases the lock. The others poll the result key and use it. The result is encrypted with
AES-256-GCM under a key derived from the refresh token (and the host key when one is
given): Redis never holds a usable token, and only workers that already hold the refresh
token can read it. A refusal (the refresh token was revoked) is shared the same way, so
every worker signs out; a transient error is not shared: the next worker tries again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import (
    CognitoError,
    NotAuthorizedError,
    RefreshBusyError,
    RefreshTokenReuseError,
    from_cognito,
)
from ..tokens import TokenSet
from .crypto import KeyMaterial, derive_key
from .redis_store import client_for

__all__ = ["RedisRefreshCoordinator", "RefreshBusyError", "RefreshFn"]

log = logging.getLogger("cognito_flows.store")

RefreshFn = Callable[[TokenSet], Awaitable[TokenSet]]

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_SHARED_ERRORS = (NotAuthorizedError, RefreshTokenReuseError)


class RedisRefreshCoordinator:
    """A refresh callable that refreshes once across processes (see the module docstring).

    Use it as the ``refresh`` of :class:`~cognito_flows.TokenManager`.

    Args:
        client: a ``redis.asyncio.Redis`` client or a URL.
        refresh: the real refresh, ``async (old TokenSet) -> new TokenSet``.
        encryption_key: a host key mixed into the result's encryption key.
        lock_ttl: seconds the lock lasts: longer than one refresh with its retries
            (botocore's 3 attempts of up to 5 s to connect and 15 s to read, plus backoff).
        result_ttl: seconds the new token set stays readable for the other workers.
        wait_timeout: seconds a worker waits for another's result before
            :class:`RefreshBusyError` (default ``2 * lock_ttl``: after a crash the lock
            expires and a waiter takes over).
        poll_interval: seconds between checks while waiting.
        prefix: the key prefix.
        max_connections: with a URL, the connection pool's size.
    """

    def __init__(
        self,
        client: aioredis.Redis | str,
        refresh: RefreshFn,
        *,
        encryption_key: KeyMaterial | None = None,
        lock_ttl: float = 90.0,
        result_ttl: float = 30.0,
        wait_timeout: float | None = None,
        poll_interval: float = 0.05,
        prefix: str = "cognito_flows:refresh:",
        max_connections: int = 50,
    ) -> None:
        self._redis, self._owned = client_for(client, max_connections)
        self._refresh = refresh
        self._host_key = (
            encryption_key.encode() if isinstance(encryption_key, str) else encryption_key
        )
        self.lock_ttl = lock_ttl
        self.result_ttl = result_ttl
        self.wait_timeout = 2 * lock_ttl if wait_timeout is None else wait_timeout
        self.poll_interval = poll_interval
        self.prefix = prefix
        self._unlock = self._redis.register_script(_UNLOCK)
        #: How many refreshes this coordinator ran itself (the others were read).
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"RedisRefreshCoordinator(prefix={self.prefix!r}, refreshes={self.refreshes})"

    async def aclose(self) -> None:
        """Close the client if it was opened from a URL."""
        if self._owned:
            await self._redis.aclose()

    def _name(self, refresh_token: str) -> str:
        digest = hashlib.sha256(b"cognito_flows refresh key\0" + refresh_token.encode())
        return digest.hexdigest()[:40]

    def _aead(self, refresh_token: str) -> AESGCM:
        return AESGCM(
            derive_key(refresh_token, b"cognito_flows refresh result v1", salt=self._host_key)
        )

    def _seal(self, aead: AESGCM, name: str, payload: dict[str, object]) -> str:
        nonce = secrets.token_bytes(12)
        sealed = nonce + aead.encrypt(nonce, json.dumps(payload).encode(), name.encode())
        return base64.b64encode(sealed).decode()

    def _open(self, aead: AESGCM, name: str, stored: bytes | str) -> TokenSet | None:
        try:
            blob = base64.b64decode(stored)
            payload = json.loads(aead.decrypt(blob[:12], blob[12:], name.encode()))
        except (InvalidTag, ValueError):
            log.warning("ignoring an unreadable shared refresh result")
            return None
        error = payload.get("error")
        if isinstance(error, dict):
            raise from_cognito(str(error.get("code")), str(error.get("message") or ""))
        return TokenSet.from_dict(payload["tokens"])

    async def __call__(self, tokens: TokenSet) -> TokenSet:
        """Refresh ``tokens``, or wait for another worker's refresh of the same tokens.

        Raises:
            RefreshBusyError: the lock holder neither finished nor died in time.
            CognitoError: the refresh failed (refusals are shared with the waiters).
        """
        refresh_token = tokens.refresh_token
        if not refresh_token:
            return await self._refresh(tokens)
        name = self._name(refresh_token)
        lock_key = f"{self.prefix}{{{name}}}:lock"
        result_key = f"{self.prefix}{{{name}}}:result"
        aead = self._aead(refresh_token)
        deadline = time.monotonic() + self.wait_timeout
        while True:
            blob = await self._redis.get(result_key)
            if blob is not None:
                shared = self._open(aead, name, blob)
                if shared is not None:
                    return shared
            owner = secrets.token_hex(16)
            if await self._redis.set(
                lock_key, owner, nx=True, px=max(1, int(self.lock_ttl * 1000))
            ):
                try:
                    return await self._run(tokens, aead, name, result_key)
                finally:
                    await self._unlock(keys=[lock_key], args=[owner])
            if time.monotonic() >= deadline:
                raise RefreshBusyError(
                    "another worker is refreshing these tokens and did not finish in time"
                )
            await asyncio.sleep(self.poll_interval)

    async def _run(self, tokens: TokenSet, aead: AESGCM, name: str, result_key: str) -> TokenSet:
        blob = await self._redis.get(result_key)  # finished between our GET and SET?
        if blob is not None:
            shared = self._open(aead, name, blob)
            if shared is not None:
                return shared
        px = max(1, int(self.result_ttl * 1000))
        self.refreshes += 1
        try:
            new = await self._refresh(tokens)
        except _SHARED_ERRORS as exc:
            assert isinstance(exc, CognitoError)
            await self._redis.set(
                result_key,
                self._seal(aead, name, {"error": {"code": exc.code, "message": exc.message}}),
                px=px,
            )
            raise
        await self._redis.set(result_key, self._seal(aead, name, {"tokens": new.to_dict()}), px=px)
        log.debug("refreshed tokens and shared the result")
        return new
