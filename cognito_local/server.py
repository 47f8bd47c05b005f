"""The HTTP side: the aiohttp application speaking cognito-idp's JSON 1.1 protocol.

* ``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>`` and a
  JSON body. Answers carry ``x-amzn-RequestId``; errors are ``{"__type", "message"}``
  with ``x-amzn-ErrorType`` (HTTP 400, or 500 for internal errors). Admin operations
  need a SigV4 ``Authorization`` header (never verified).
* ``GET /{user_pool_id}/.well-known/jwks.json`` and ``.../openid-configuration``.
* ``/domain/{prefix}/...``: a pool domain's managed login and OAuth 2.0 endpoints
  (:mod:`cognito_local.managed_login`).
* ``GET /_local/health``, ``GET|DELETE /_local/outbox`` (``?username=&purpose=&channel=``),
  ``GET|POST /_local/clock`` (``{"advance": seconds}`` or ``{"set": epoch}``).

Browsers: the Cognito API and the ``.well-known`` documents answer CORS (for the JS SDK
in a web page); ``/_local/*`` (codes, clock) does not, so no other web page can read or
drive it. Every request must name the emulator in its Host header (``127.0.0.1:PORT``,
``localhost:PORT`` or ``[::1]:PORT``), else 400: a DNS-rebinding page cannot reach it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import account as _account  # noqa: F401  (registers operations)
from . import admin as _admin  # noqa: F401
from . import auth as _auth  # noqa: F401
from . import devices as _devices  # noqa: F401
from . import mfa as _mfa  # noqa: F401
from . import oauth as _oauth  # noqa: F401
from . import webauthn as _webauthn  # noqa: F401
from .errors import ServiceError
from .managed_login import add_routes as _add_managed_login_routes
from .managed_login import discovery as _discovery
from .params import OPERATIONS, Params, RequestContext
from .shapes import check_request
from .state import Backend

__all__ = ["BACKEND_KEY", "TARGET_PREFIX", "error_response", "make_app"]

log = logging.getLogger("cognito_local")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_TYPE = "application/x-amz-json-1.1"
BACKEND_KEY: web.AppKey[Backend] = web.AppKey("backend", Backend)

_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType",
    "Access-Control-Max-Age": "86400",
}


def _json(
    body: dict[str, Any],
    status: int = 200,
    content_type: str = JSON_TYPE,
    headers: dict[str, str] | None = None,
) -> web.Response:
    response = web.Response(
        body=json.dumps(body).encode(), status=status, content_type=content_type
    )
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    if headers:
        response.headers.update(headers)
    return response


def error_response(code: str, message: str, status: int = 400) -> web.Response:
    """A cognito-idp error response."""
    return _json(
        {"__type": code, "message": message},
        status=status,
        headers={"x-amzn-ErrorType": f"{code}:{_ERROR_NAMESPACE}"},
    )


class _Dropped(Exception):
    """The connection was dropped on purpose (fault injection)."""


async def _api(request: web.Request) -> web.StreamResponse:
    backend = request.app[BACKEND_KEY]
    target = request.headers.get("X-Amz-Target", "")
    if not target.startswith(TARGET_PREFIX):
        return error_response(
            "UnknownOperationException",
            "Unknown operation: missing or invalid X-Amz-Target header.",
        )
    name = target[len(TARGET_PREFIX) :]
    op = OPERATIONS.get(name)
    if op is None:
        return error_response("UnknownOperationException", f"Unknown operation {name}.")
    delay, fault = backend.faults.draw(name)
    if delay:
        await asyncio.sleep(delay)
    if fault is not None:
        if fault.kind == "throttle":
            return error_response("TooManyRequestsException", "Rate exceeded")
        if fault.kind == "5xx":
            return error_response("InternalErrorException", "An internal error occurred.", 500)
        if fault.kind == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise _Dropped
    authorization = request.headers.get("Authorization", "")
    if op.signed and not authorization.startswith("AWS4-HMAC-SHA256"):
        return error_response("MissingAuthenticationTokenException", "Missing Authentication Token")
    raw = await request.read()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return error_response(
            "SerializationException",
            "Start of structure or map found where not expected."
            if raw[:1] == b"["
            else "Invalid JSON body.",
        )
    except RecursionError:
        return error_response("SerializationException", "The request body is nested too deeply.")
    if not isinstance(data, dict):
        return error_response("SerializationException", "The request body must be an object.")
    context = RequestContext(
        backend=backend,
        operation=name,
        source_ip=request.remote or "127.0.0.1",
        signed=bool(authorization),
    )
    error: str | None = None
    try:
        check_request(name, data)
        result = await op.handler(context, Params(data))
    except ServiceError as exc:
        error = exc.code
        return error_response(exc.code, exc.message, exc.status)
    except RecursionError:
        error = "SerializationException"
        return error_response(error, "The request body is nested too deeply.")
    except Exception:
        error = "InternalErrorException"
        log.exception("internal error in %s", name)
        return error_response(error, "An internal error occurred.", 500)
    finally:
        if backend.requests is not None:
            backend.requests.record(name, data, error)
    return _json(result)


async def _jwks(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    if request.match_info["pool_id"] not in backend.pools:
        return _json({"message": "User pool does not exist."}, 404, "application/json")
    return _json(backend.signer.jwks(), content_type="application/json")


async def _openid(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    pool_id = request.match_info["pool_id"]
    if pool_id not in backend.pools:
        return _json({"message": "User pool does not exist."}, 404, "application/json")
    return _json(_discovery(backend, pool_id), content_type="application/json")


async def _health(request: web.Request) -> web.Response:
    info = dict(request.app[BACKEND_KEY].info)
    info["status"] = "ok"
    info["now"] = request.app[BACKEND_KEY].clock.now()
    return _json(info, content_type="application/json")


async def _outbox(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    if request.method == "DELETE":
        backend.outbox.clear()
        return _json({"messages": []}, content_type="application/json")
    query = request.query
    messages = backend.outbox.all(query.get("username"), query.get("purpose"), query.get("channel"))
    return _json({"messages": [m.to_json() for m in messages]}, content_type="application/json")


async def _clock(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    if request.method == "POST":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _json({"message": "expected a JSON object"}, 400, "application/json")
        try:
            if "advance" in body:
                backend.clock.advance(float(body["advance"]))
            if "set" in body:
                backend.clock.set(float(body["set"]))
        except (TypeError, ValueError):
            return _json({"message": "advance/set must be numbers"}, 400, "application/json")
    return _json({"now": backend.clock.now()}, content_type="application/json")


async def _options(request: web.Request) -> web.Response:
    if _private(request):
        return _json({"message": "Forbidden"}, 403, "application/json")
    return web.Response(status=200)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_LOCAL_PREFIX = "/_local/"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def _private(request: web.Request) -> bool:
    """The emulator's own endpoints (codes, clock): never readable cross-origin."""
    return request.path == _LOCAL_PREFIX[:-1] or request.path.startswith(_LOCAL_PREFIX)


def _host_ok(request: web.Request) -> bool:
    """Whether the Host header names this server on a loopback name (no DNS rebinding)."""
    host = request.headers.get("Host", "").strip().lower()
    port: int | None = None
    transport = request.transport
    if transport is not None:
        sockname = transport.get_extra_info("sockname")
        if isinstance(sockname, tuple) and len(sockname) >= 2:
            port = int(sockname[1])
    if port is None:
        return False
    allowed = {f"{name}:{port}" for name in _LOOPBACK_NAMES}
    if port == 80:
        allowed.update(_LOOPBACK_NAMES)
    return host in allowed


def _foreign_origin(request: web.Request) -> bool:
    """Whether a browser sent the request from a page not served by the emulator itself
    (a cross-site "simple" POST needs no preflight, so its Origin is checked here)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    host = request.headers.get("Host", "").strip().lower()
    return origin.strip().lower() != f"http://{host}"


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _host_ok(request):
        return _json(
            {"message": "Invalid Host header: use 127.0.0.1:PORT, localhost:PORT or [::1]:PORT."},
            400,
            "application/json",
        )
    if _private(request) and _foreign_origin(request):
        return _json({"message": "Forbidden"}, 403, "application/json")
    try:
        response = await handler(request)
    except _Dropped:
        raise asyncio.CancelledError from None
    if not _private(request):
        response.headers.update(_CORS)
    return response


def make_app(backend: Backend, info: dict[str, Any] | None = None) -> web.Application:
    """The aiohttp application serving ``backend``."""
    app = web.Application(middlewares=[_guard], client_max_size=1024 * 1024)
    app[BACKEND_KEY] = backend
    backend.info.update(info or {})
    app.router.add_post("/", _api)
    app.router.add_get("/_local/health", _health)
    app.router.add_get("/_local/outbox", _outbox)
    app.router.add_delete("/_local/outbox", _outbox)
    app.router.add_get("/_local/clock", _clock)
    app.router.add_post("/_local/clock", _clock)
    app.router.add_get("/{pool_id}/.well-known/jwks.json", _jwks)
    app.router.add_get("/{pool_id}/.well-known/openid-configuration", _openid)
    _add_managed_login_routes(app)
    app.router.add_route("OPTIONS", "/{tail:.*}", _options)
    return app
