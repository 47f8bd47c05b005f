"""The JWKS cache: the user pool's signing keys, fetched once, re-fetched for an unknown
``kid`` (key rotation) at most once per interval, one fetch shared by all who need it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import jwt

from ..errors import JwksFetchError, UnknownKidError
from ._jwt import ALGORITHM
from ._tasks import consume_exception

__all__ = ["DEFAULT_REFETCH_INTERVAL", "FetchJson", "JwksCache"]

# The logger of the module before it became a package; logging set up for it still applies.
_log = logging.getLogger("cognito_flows.tokens")

#: At most one JWKS re-fetch for an unknown ``kid`` per this many seconds.
DEFAULT_REFETCH_INTERVAL = 60.0

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
            or entry.get("alg", ALGORITHM) != ALGORITHM
        ):
            continue
        try:
            keys[kid] = jwt.PyJWK(dict(entry), algorithm=ALGORITHM).key
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
        task.add_done_callback(consume_exception)
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
