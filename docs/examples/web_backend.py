"""A web backend where one sign-in spans several HTTP requests, served by many workers.

The browser posts the user name and password, then answers each challenge (an MFA code, a
choice, a new password) in later requests. Any worker may serve any request: the flow waits
in Redis between requests, keyed by an unguessable ``flow_id``. Two workers receiving the
same answer at once (a double click, a retry) cannot both send it to Cognito: one gets
``409``. Tokens are returned only when the sign-in is done.

API::

    POST /sign-in                    {"username": "...", "password": "..."}
      -> 200 {"flow_id": "...", "version": 1, "step": {"state": "SOFTWARE_TOKEN_MFA", ...}}
      -> 200 {"done": true, "tokens": {...}}          (no challenge)
    POST /sign-in/{flow_id}/answer   {"answer": "123456", "version": 1 (optional)}
      -> 200 {"flow_id": ..., "version": 3, "step": {...}}    (next step, or a retry)
      -> 200 {"done": true, "tokens": {...}}
      -> 400 invalid answer, 401 sign-in failed, 409 answered elsewhere, 410 expired
    GET  /sign-in/{flow_id}          -> the current step (to show it again)

Run two workers sharing one Redis (each binds 127.0.0.1)::

    export COGNITO_USER_POOL_ID=... COGNITO_CLIENT_ID=... REDIS_URL=redis://127.0.0.1:6379/0
    export FLOW_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    python docs/examples/web_backend.py --port 8001 &
    python docs/examples/web_backend.py --port 8002 &

Optional: ``COGNITO_CLIENT_SECRET``, ``COGNITO_ENDPOINT_URL`` (the local Cognito),
``COGNITO_REGION``. In tests, :func:`create_app` takes an opened pool and a store.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_flows import FlowConflictError, InvalidAnswerError, Step, UserPool
from cognito_flows.errors import FlowFinishedError
from cognito_flows.store import FlowRepository, FlowStore, StoredFlowExpiredError

__all__ = ["app_from_env", "create_app", "main", "public_step"]


def public_step(step: Step) -> dict[str, Any]:
    """What the browser needs to show a step (never a password, code or token)."""
    shown: dict[str, Any] = {
        "state": step.state,
        "retry": step.retry,
        "error": getattr(step.error, "code", None)
        or (type(step.error).__name__ if step.error else None),
        "options": list(step.options),
        "expires_at": step.session_expires_at,
    }
    if step.delivery is not None:
        shown["delivery"] = {
            "medium": step.delivery.medium,
            "destination": step.delivery.destination,
        }
    if step.totp is not None:  # MFA setup: the user must see the secret to enrol it
        shown["totp_uri"] = step.totp.uri
    if step.required_attributes:
        shown["required_attributes"] = list(step.required_attributes)
    return shown


def _error(status: int, error: str, message: str | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


def _respond(flow_id: str | None, version: int | None, step: Step) -> JSONResponse:
    if step.done:
        if step.ok and step.tokens is not None:
            tokens = step.tokens
            return JSONResponse(
                {
                    "done": True,
                    "tokens": {
                        "access_token": tokens.access_token,
                        "id_token": tokens.id_token,
                        "refresh_token": tokens.refresh_token,
                        "expires_at": tokens.expires_at,
                    },
                }
            )
        return JSONResponse({"done": True, "step": public_step(step)}, status_code=401)
    return JSONResponse({"flow_id": flow_id, "version": version, "step": public_step(step)})


def create_app(
    pool: UserPool, store: FlowStore, *, encryption_key: str | bytes | None = None
) -> Starlette:
    """The ASGI app for an opened ``pool`` and a shared ``store``."""
    flows = FlowRepository(pool, store, encryption_key=encryption_key)

    async def sign_in(request: Request) -> JSONResponse:
        """POST /sign-in: start the sign-in; store it if it waits for the user."""
        body = await request.json()
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return _error(400, "invalid_request", "username and password are required")
        try:
            # remember_device=False: no REMEMBER_DEVICE step (its snapshot would hold tokens)
            flow = pool.sign_in_flow(username, password, remember_device=False)
            flow_id, step = await flows.start(flow)
        except InvalidAnswerError as exc:
            return _error(400, "invalid_request", str(exc))
        return _respond(flow_id, 1 if flow_id else None, step)

    async def answer(request: Request) -> JSONResponse:
        """POST /sign-in/{flow_id}/answer: claim the flow, answer it, save or delete it."""
        flow_id = request.path_params["flow_id"]
        body = await request.json()
        version = body.get("version")
        if version is not None and not isinstance(version, int):
            return _error(400, "invalid_request", "version must be an integer")
        checkout = flows.checkout(flow_id, version=version)
        try:
            async with checkout as flow:
                step = await flow.answer(body.get("answer"))
        except StoredFlowExpiredError:
            return _error(410, "expired", "start the sign-in again")
        except FlowFinishedError:
            return _error(410, "finished", "start the sign-in again")
        except FlowConflictError:
            return _error(409, "conflict", "this step was answered by another request")
        except InvalidAnswerError as exc:
            return _error(400, "invalid_answer", str(exc))
        return _respond(None if checkout.deleted else flow_id, checkout.version, step)

    async def current_step(request: Request) -> JSONResponse:
        """GET /sign-in/{flow_id}: the step to show again (nothing is claimed)."""
        flow_id = request.path_params["flow_id"]
        try:
            stored = await flows.get(flow_id)
        except StoredFlowExpiredError:
            return _error(410, "expired", "start the sign-in again")
        return _respond(flow_id, stored.version, stored.flow.step)

    return Starlette(
        routes=[
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/sign-in/{flow_id}", current_step, methods=["GET"]),
            Route("/sign-in/{flow_id}/answer", answer, methods=["POST"]),
        ]
    )


def app_from_env() -> Starlette:
    """The app configured from the environment (see the module docstring), for uvicorn."""
    from cognito_flows.store import RedisFlowStore

    pool = UserPool(
        os.environ["COGNITO_USER_POOL_ID"],
        os.environ["COGNITO_CLIENT_ID"],
        client_secret=os.environ.get("COGNITO_CLIENT_SECRET") or None,
        endpoint_url=os.environ.get("COGNITO_ENDPOINT_URL") or None,
        region=os.environ.get("COGNITO_REGION") or None,
    )
    store = RedisFlowStore(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    inner = create_app(pool, store, encryption_key=os.environ.get("FLOW_KEY") or None)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with pool:
            try:
                yield
            finally:
                await store.aclose()

    return Starlette(routes=inner.routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    """Serve :func:`app_from_env` with uvicorn on 127.0.0.1."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(app_from_env(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
