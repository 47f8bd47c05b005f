"""A small web app: sign in with a password, add a passkey, sign out, sign in with the passkey.

The browser does the WebAuthn part (``navigator.credentials.create`` / ``get``); the server
only relays JSON between Cognito and the page through cognito_flows:

* registration: :meth:`Account.start_passkey_registration` gives the creation options, the
  page hands them to ``navigator.credentials.create`` and posts ``credential.toJSON()``
  back to :meth:`Account.complete_passkey_registration`;
* sign-in: a USER_AUTH sign-in with ``preferred_challenge="WEB_AUTHN"`` stops in the
  ``WEB_AUTHN`` step, whose ``credential_request_options`` the page hands to
  ``navigator.credentials.get``; the posted ``credential.toJSON()`` is the step's answer.

Tokens stay on the server, in memory, under an unguessable session cookie (a real app keeps
them in its session store and its waiting flows in :class:`FlowRepository`, as
``web_backend.py`` shows). The relying party id of the pool must be the page's host:
``localhost`` for this demo (browsers treat ``http://localhost`` as a secure context).

Run against the local Cognito::

    python docs/examples/passkeys.py --port 8000    # then open http://localhost:8000/
"""

from __future__ import annotations

import argparse
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from cognito_flows import Account, CognitoFlowsError, SignInFlow, UserPool

__all__ = ["PAGE", "create_app", "main"]

COOKIE = "sid"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Passkeys with cognito_flows</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; }
input, button { font: inherit; padding: .4rem .6rem; margin: .2rem 0; }
input { width: 100%; box-sizing: border-box; }
#status { padding: .6rem; background: #eef; border-radius: .3rem; min-height: 1.5rem; }
.row { display: flex; gap: .5rem; flex-wrap: wrap; }
</style></head>
<body>
<h1>Passkeys</h1>
<p id="status">Signed out.</p>
<label>User name <input id="username" autocomplete="username webauthn"></label>
<label>Password <input id="password" type="password" autocomplete="current-password"></label>
<div class="row">
  <button id="password-sign-in">Sign in with password</button>
  <button id="add-passkey">Add a passkey</button>
  <button id="passkey-sign-in">Sign in with a passkey</button>
  <button id="sign-out">Sign out</button>
</div>
<script>
const status = (text) => { document.getElementById("status").textContent = text; };
async function post(path, body) {
  const response = await fetch(path, {method: "POST", headers: {"content-type":
    "application/json"}, body: JSON.stringify(body || {})});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}
const user = () => document.getElementById("username").value;
document.getElementById("password-sign-in").onclick = async () => {
  try {
    const data = await post("/sign-in", {username: user(),
      password: document.getElementById("password").value});
    status("Signed in as " + data.username + " (password).");
  } catch (e) { status("Error: " + e.message); }
};
document.getElementById("add-passkey").onclick = async () => {
  try {
    const options = await post("/passkeys/start");
    const credential = await navigator.credentials.create(
      {publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
    const data = await post("/passkeys/complete", {credential: credential.toJSON()});
    status("Passkey added (" + data.passkeys + " in all).");
  } catch (e) { status("Error: " + e.message); }
};
document.getElementById("passkey-sign-in").onclick = async () => {
  try {
    const started = await post("/passkey-sign-in", {username: user()});
    const credential = await navigator.credentials.get(
      {publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.options)});
    const data = await post("/passkey-sign-in/answer",
      {flow: started.flow, credential: credential.toJSON()});
    status("Signed in as " + data.username + " (passkey).");
  } catch (e) { status("Error: " + e.message); }
};
document.getElementById("sign-out").onclick = async () => {
  await post("/sign-out"); status("Signed out.");
};
</script>
</body></html>
"""


def create_app(pool: UserPool) -> Starlette:
    """The app for an opened ``pool`` (its sessions and waiting sign-ins live in memory)."""
    accounts: dict[str, Account] = {}
    waiting: dict[str, SignInFlow] = {}

    def signed_in(request: Request) -> Account | None:
        return accounts.get(request.cookies.get(COOKIE, ""))

    def start_session(account: Account) -> JSONResponse:
        sid = secrets.token_urlsafe(32)
        accounts[sid] = account
        response = JSONResponse({"username": account.username})
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict")
        return response

    def failed(error: CognitoFlowsError | None, status: int = 401) -> JSONResponse:
        name = getattr(error, "code", None) or type(error).__name__
        return JSONResponse({"error": name}, status_code=status)

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def sign_in(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        try:
            tokens = await pool.sign_in(str(body.get("username")), str(body.get("password")))
        except CognitoFlowsError as exc:
            return failed(exc)
        return start_session(Account(pool, tokens))

    async def passkeys_start(request: Request) -> Response:
        account = signed_in(request)
        if account is None:
            return JSONResponse({"error": "signed out"}, status_code=401)
        try:
            return JSONResponse(await account.start_passkey_registration())
        except CognitoFlowsError as exc:
            return failed(exc, 400)

    async def passkeys_complete(request: Request) -> Response:
        account = signed_in(request)
        if account is None:
            return JSONResponse({"error": "signed out"}, status_code=401)
        body: dict[str, Any] = await request.json()
        try:
            await account.complete_passkey_registration(body.get("credential"))
            count = len(await account.list_passkeys())
        except CognitoFlowsError as exc:
            return failed(exc, 400)
        return JSONResponse({"passkeys": count})

    async def passkey_sign_in(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        flow = pool.sign_in_flow(
            str(body.get("username")), flow="user-auth", preferred_challenge="WEB_AUTHN"
        )
        step = await flow.start()
        if step.state != "WEB_AUTHN" or step.credential_request_options is None:
            return (
                failed(step.error)
                if step.error
                else JSONResponse({"error": f"no passkey sign-in ({step.state})"}, status_code=400)
            )
        flow_id = secrets.token_urlsafe(32)
        waiting[flow_id] = flow
        return JSONResponse({"flow": flow_id, "options": step.credential_request_options})

    async def passkey_answer(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        flow = waiting.get(str(body.get("flow")))
        if flow is None:
            return JSONResponse({"error": "no such sign-in"}, status_code=410)
        try:
            step = await flow.answer(body.get("credential"))
        except CognitoFlowsError as exc:
            return failed(exc, 400)
        if not step.done:
            return JSONResponse({"error": "try again", "state": step.state}, status_code=400)
        waiting.pop(str(body.get("flow")), None)
        if not step.ok or step.tokens is None:
            return failed(step.error)
        return start_session(Account(pool, step.tokens))

    async def sign_out(request: Request) -> Response:
        account = accounts.pop(request.cookies.get(COOKIE, ""), None)
        if account is not None:
            await account.revoke()
        response = JSONResponse({"signed_out": True})
        response.delete_cookie(COOKIE)
        return response

    return Starlette(
        routes=[
            Route("/", page),
            Route("/sign-in", sign_in, methods=["POST"]),
            Route("/passkeys/start", passkeys_start, methods=["POST"]),
            Route("/passkeys/complete", passkeys_complete, methods=["POST"]),
            Route("/passkey-sign-in", passkey_sign_in, methods=["POST"]),
            Route("/passkey-sign-in/answer", passkey_answer, methods=["POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
        ]
    )


def main() -> None:  # pragma: no cover - an interactive demo
    """Serve the demo on 127.0.0.1 against a fresh local Cognito with user ``alice``."""
    import asyncio

    import uvicorn

    from cognito_local import LocalCognito

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    async def serve() -> None:
        async with LocalCognito() as local:
            pool_id, client_id = passkey_pool(local)
            local.pool(pool_id).create_user(
                "alice", "Passw0rd!x", attributes={"email": "alice@example.com"}
            )
            async with UserPool(
                pool_id, client_id, endpoint_url=local.endpoint_url, region=local.region
            ) as pool:
                config = uvicorn.Config(create_app(pool), host="127.0.0.1", port=args.port)
                print(f"open http://localhost:{args.port}/ and sign in as alice / Passw0rd!x")
                await uvicorn.Server(config).serve()

    asyncio.run(serve())


def passkey_pool(local: Any, rp_id: str = "localhost") -> tuple[str, str]:
    """A local Cognito pool whose users may sign in with passkeys made for ``rp_id``.

    Against AWS the same is UpdateUserPool's SignInPolicy and SetUserPoolMfaConfig's
    WebAuthnConfiguration. Returns ``(user_pool_id, client_id)``.
    """
    pool_id: str = local.create_pool(
        "passkeys",
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    local.pool(pool_id).webauthn_configuration = {
        "RelyingPartyId": rp_id,
        "UserVerification": "required",
    }
    client_id, _secret = local.create_client(pool_id)
    return pool_id, client_id


if __name__ == "__main__":  # pragma: no cover
    main()
