"""A proxy on 127.0.0.1 that lets the local Cognito apply a call and then loses its answer.

Put it in front of a :class:`cognito_local.LocalCognito` and point a
:class:`~cognito_flows.UserPool` at :attr:`LostAnswerProxy.url`::

    async with LostAnswerProxy(local.endpoint_url) as proxy:
        proxy.lose("SignUp", "drop")          # the emulator applies SignUp, then the
        ...                                   # connection is closed without an answer
        assert proxy.applied["SignUp"] == 1   # how often the emulator saw it

Every request is forwarded to the emulator first, so Cognito's side of the call really
happens; then, for an operation with a loss queued, the answer is replaced by:

* ``"drop"``: the connection is aborted (the client sees it closed before any answer);
* ``"500"``: HTTP 500 ``InternalErrorException``, as Cognito answers an internal error;
* ``"hang"``: no answer until the proxy stops (the client's read timeout fires).

``refuse(operation)`` instead answers ``TooManyRequestsException`` *without* forwarding, a
call Cognito refused before applying it. The flow-level tests reuse this module.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict, deque
from typing import Literal

import aiohttp
from aiohttp import web

__all__ = ["LostAnswerProxy", "Loss"]

Loss = Literal["drop", "500", "hang"]
_TARGET = "AWSCognitoIdentityProviderService."
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


class _Dropped(Exception):
    """The answer is being dropped on purpose."""


class LostAnswerProxy:
    """See the module docstring. Use as ``async with LostAnswerProxy(upstream) as proxy``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._losses: dict[str, deque[Loss]] = defaultdict(deque)
        self._refusals: Counter[str] = Counter()
        #: Requests forwarded to (and so applied or refused by) the emulator, per operation.
        self.applied: Counter[str] = Counter()
        #: Answers this proxy lost, per operation.
        self.lost: Counter[str] = Counter()
        #: Requests refused here without forwarding, per operation.
        self.refused: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = asyncio.Event()
        self.url = ""

    def lose(self, operation: str, how: Loss = "drop", times: int = 1) -> None:
        """Lose the answer of the next ``times`` calls of ``operation``, after applying them."""
        self._losses[operation].extend([how] * times)

    def refuse(self, operation: str, times: int = 1) -> None:
        """Throttle the next ``times`` calls of ``operation`` before they reach the emulator."""
        self._refusals[operation] += times

    def pending(self) -> dict[str, int]:
        """Queued losses that did not fire yet (a test that expects none checks it is empty)."""
        return {op: len(q) for op, q in self._losses.items() if q}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        target = request.headers.get("X-Amz-Target", "")
        operation = target[len(_TARGET) :] if target.startswith(_TARGET) else ""
        body = await request.read()
        if self._refusals[operation] > 0:
            self._refusals[operation] -= 1
            self.refused[operation] += 1
            return _error(400, "TooManyRequestsException", "Rate exceeded")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        assert self._session is not None
        async with self._session.post(
            self.upstream + request.path_qs, data=body, headers=headers
        ) as upstream:
            status = upstream.status
            answer = await upstream.read()
            content_type = upstream.headers.get("Content-Type", "application/x-amz-json-1.1")
            request_id = upstream.headers.get("x-amzn-RequestId", "")
        self.applied[operation] += 1
        queue = self._losses.get(operation)
        if queue:
            how = queue.popleft()
            self.lost[operation] += 1
            if how == "500":
                return _error(500, "InternalErrorException", "An internal error occurred.")
            if how == "hang":
                await self._stopping.wait()
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise _Dropped
        response = web.Response(status=status, body=answer)
        response.headers["Content-Type"] = content_type
        if request_id:
            response.headers["x-amzn-RequestId"] = request_id
        return response

    async def _guard(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except _Dropped:
            # aiohttp treats a cancelled handler as a client that went away: no answer is
            # written and nothing is logged as an error.
            raise asyncio.CancelledError from None

    async def __aenter__(self) -> LostAnswerProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._guard)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()


def _error(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"__type": code, "message": message}),
        content_type="application/x-amz-json-1.1",
    )
