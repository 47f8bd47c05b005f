"""A scripted Cognito: an HTTP server on 127.0.0.1 that answers botocore's JSON 1.1 calls with
canned answers and records every request.

For tests that need answers the local emulator never gives (AWS-shaped edge cases, errors,
malformed bodies) or an exact record of what the library sent::

    async with ScriptedCognito() as cognito:
        cognito.on("InitiateAuth", (200, {"ChallengeName": "SMS_MFA", "Session": "s"}))
        cognito.on("ConfirmDevice", error("InternalErrorException", "Boom", 500), (200, {}))
        async with UserPool("us-east-1_Example1", "client", endpoint_url=cognito.url) as pool:
            ...
        [confirm, again] = cognito.sent("ConfirmDevice")

An :data:`Answer` is a :data:`Reply` ``(status, body)``, whose body goes out JSON-encoded, or
as it is when it is ``bytes`` (for malformed answers); or a callable that takes the
:class:`Request` and returns a Reply or an awaitable of one. :meth:`ScriptedCognito.on` queues
answers for an operation: each call takes the next one and the last one repeats. An operation
with nothing queued gets the ``default`` answer; without one its handler raises, which aiohttp
answers HTTP 500 with a plain-text body (so does a request that is not a cognito-idp JSON 1.1
call: another ``X-Amz-Target`` service or ``Content-Type``; it is not recorded). Every scripted
answer carries ``x-amzn-RequestId: req-<Operation>-<n>`` (the header Cognito names a request
by).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

__all__ = ["Answer", "Reply", "Request", "ScriptedCognito", "error"]

JSON = "application/x-amz-json-1.1"
_SERVICE = "AWSCognitoIdentityProviderService"

#: An HTTP status and a body: ``bytes`` are sent as they are, anything else as JSON.
Reply = tuple[int, Any]


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    #: The operation named by ``X-Amz-Target``, e.g. ``"InitiateAuth"``.
    operation: str
    #: The parsed JSON body (``{}`` for an empty one).
    body: dict[str, Any]
    #: The HTTP headers as sent.
    headers: dict[str, str]
    #: 1 for the first call of this operation since the record was last cleared, 2 next...
    attempt: int


Answer = Reply | Callable[[Request], Reply | Awaitable[Reply]]


def error(code: str, message: str, status: int = 400) -> Reply:
    """A Cognito error answer, as the JSON 1.1 protocol writes it (``__type`` and ``message``)."""
    return status, {"__type": code, "message": message}


class ScriptedCognito:
    """See the module docstring. Use as ``async with ScriptedCognito() as cognito``."""

    def __init__(self, *, default: Answer | None = None) -> None:
        #: Every request received, in order (a test may clear it).
        self.requests: list[Request] = []
        #: The endpoint URL, once started.
        self.url = ""
        self._default = default
        self._script: dict[str, list[Answer]] = {}
        self._runner: web.AppRunner | None = None

    def on(self, operation: str, *answers: Answer) -> None:
        """Answer the next calls of ``operation`` with ``answers`` in turn, the last one from
        then on; this replaces what was scripted for ``operation`` before."""
        if not answers:
            raise ValueError("on() needs at least one answer")
        self._script[operation] = list(answers)

    @property
    def operations(self) -> list[str]:
        """The operation of each request received, in order."""
        return [request.operation for request in self.requests]

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """The bodies of the requests of ``operation``, in order."""
        return [request.body for request in self.requests if request.operation == operation]

    def count(self, operation: str) -> int:
        """How many requests of ``operation`` were received."""
        return len(self.sent(operation))

    async def _handle(self, request: web.Request) -> web.Response:
        service, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        assert service == _SERVICE, service
        assert request.content_type == JSON, request.content_type
        received = Request(
            operation=operation,
            body=json.loads(await request.read() or b"{}"),
            headers=dict(request.headers),
            attempt=self.count(operation) + 1,
        )
        self.requests.append(received)
        queue = self._script.get(operation)
        if queue:
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        elif self._default is not None:
            answer = self._default
        else:
            raise LookupError(f"no answer scripted for {operation}")
        if callable(answer):
            reply = answer(received)
            status, body = await reply if inspect.isawaitable(reply) else reply
        else:
            status, body = answer
        return web.Response(
            status=status,
            body=body if isinstance(body, bytes) else json.dumps(body).encode(),
            headers={
                "Content-Type": JSON,
                "x-amzn-RequestId": f"req-{operation}-{received.attempt}",
            },
        )

    async def __aenter__(self) -> ScriptedCognito:
        # Room for request bodies larger than aiohttp's 1 MiB default.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/", self._handle)
        # handler_cancellation: a client that gives up (a read timeout) cancels its answer.
        self._runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, access_log=None
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        assert host == "127.0.0.1", host
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
