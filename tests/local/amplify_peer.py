"""Running Amplify JS v6 (``tests/amplify/amplify_flow.js``) against the emulator, and
reducing the requests a client sent to what the comparison with cognito_flows looks at.

The Node script and this module speak JSON lines (the protocol is described at the top of
the script): the script asks for codes and for test-side actions and waits for the answer,
so no scenario depends on timing.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyotp

from cognito_local import LocalCognito, RecordedRequest, RequestLog, User
from cognito_local.recorder import MASK

AMPLIFY_DIR = Path(__file__).resolve().parent.parent / "amplify"
SCRIPT = AMPLIFY_DIR / "amplify_flow.js"

#: How long one scenario's Node process may run before it is killed (a hang guard).
NODE_GUARD_SECONDS = 300

Hook = Callable[[], Awaitable[Any] | Any]


def newest_code(local: LocalCognito, username: str, purpose: str | None) -> str:
    """The newest code the outbox holds for ``username`` (and ``purpose``)."""
    return str(local.outbox.last(username=username, purpose=purpose).code)


def totp_now(local: LocalCognito, secret: str) -> str:
    """The TOTP code at the emulator's clock; the clock then moves to the next window
    (a TOTP code is single-use)."""
    code = pyotp.TOTP(secret).at(local.clock.now())
    local.clock.advance(30)
    return code


async def run_amplify(
    local: LocalCognito,
    modules: Path,
    scenario: str,
    args: Mapping[str, Any],
    *,
    pool_id: str,
    client_id: str,
    hooks: Mapping[str, Hook] | None = None,
) -> dict[str, Any]:
    """Run one scenario of ``amplify_flow.js`` in Node; return its result object."""
    config = {
        "endpoint": local.endpoint_url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "scenario": scenario,
        "args": dict(args),
    }
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout = proc.stdin, proc.stdout
    stderr_task = asyncio.ensure_future(proc.stderr.read())
    outcome: dict[str, Any] = {}

    async def converse() -> None:
        while True:
            line = await stdout.readline()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue  # anything Amplify itself prints
            if not isinstance(message, dict):
                continue
            if "ask" in message:
                value = await _answer(local, message, hooks or {})
                stdin.write(json.dumps({"value": value}).encode() + b"\n")
                await stdin.drain()
            elif "result" in message:
                outcome["result"] = message["result"]
            elif "crashed" in message:
                outcome["crashed"] = str(message["crashed"])
        stdin.close()
        await proc.wait()

    try:
        # A guard against a hung Node process only; no scenario waits on time.
        await asyncio.wait_for(converse(), NODE_GUARD_SECONDS)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stderr = (await stderr_task).decode(errors="replace")
    crashed = outcome.get("crashed")
    assert crashed is None, f"amplify scenario {scenario} failed: {crashed}\n{stderr}"
    result = outcome.get("result")
    assert proc.returncode == 0 and isinstance(result, dict), stderr
    return result


async def _answer(
    local: LocalCognito, message: Mapping[str, Any], hooks: Mapping[str, Hook]
) -> Any:
    kind = message["ask"]
    if kind == "code":
        return newest_code(local, message["username"], message.get("purpose"))
    if kind == "totp":
        return totp_now(local, message["secret"])
    if kind == "hook":
        hook = hooks.get(message["name"])
        if hook is None:
            return None
        value = hook()
        if asyncio.iscoroutine(value):
            value = await value
        return value
    raise AssertionError(f"unknown ask {kind!r}")


class Recording:
    """Installs a :class:`RequestLog` on the emulator and cuts it into named parts."""

    def __init__(self, local: LocalCognito) -> None:
        self.log = RequestLog()
        local.backend.requests = self.log
        self._local = local

    def take(self) -> list[RecordedRequest]:
        """The requests since the last ``take`` (and forget them)."""
        taken = list(self.log.requests)
        self.log.clear()
        return taken

    def stop(self) -> None:
        self._local.backend.requests = None


def identity_kinds(users: Iterable[User]) -> dict[str, str]:
    """What each identifier of ``users`` is: ``name`` (the user name), ``sub``, ``alias``."""
    kinds: dict[str, str] = {}
    for user in users:
        for attribute in ("email", "phone_number", "preferred_username"):
            value = user.attr(attribute)
            if value:
                kinds[value] = "alias"
        kinds[user.sub] = "sub"
        kinds.setdefault(user.username, "name")
    return kinds


#: Members whose presence (not value) is compared.
_IGNORED_MEMBERS = {"ClientId"}


def request_shape(request: RecordedRequest, kinds: Mapping[str, str]) -> dict[str, Any]:
    """What the comparison looks at in one request: operation, AuthFlow / ChallengeName,
    which members and which AuthParameters / ChallengeResponses keys are present, what
    kind of identifier ``USERNAME`` / ``Username`` carries, non-secret ``ANSWER`` values
    (choices) and the error the emulator answered."""
    body = request.body
    shape: dict[str, Any] = {"op": request.operation}
    for member in ("AuthFlow", "ChallengeName"):
        if member in body:
            shape[member] = body[member]
    shape["members"] = sorted(k for k in body if k not in _IGNORED_MEMBERS)
    if "Username" in body:
        shape["Username"] = kinds.get(body["Username"], "other")
    params = body.get("AuthParameters") or body.get("ChallengeResponses")
    if isinstance(params, Mapping):
        shape["keys"] = sorted(params)
        if "USERNAME" in params:
            shape["USERNAME"] = kinds.get(params["USERNAME"], "other")
        if params.get("ANSWER") not in (None, MASK):
            shape["ANSWER"] = params["ANSWER"]
        for key in ("PREFERRED_CHALLENGE", "CHALLENGE_NAME"):
            if key in params:
                shape[key] = params[key]
    if request.error is not None:
        shape["error"] = request.error
    return shape


def shapes(
    requests: Sequence[RecordedRequest],
    kinds: Mapping[str, str],
    operations: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """:func:`request_shape` of each request (only ``operations`` when given)."""
    wanted = set(operations) if operations is not None else None
    return [request_shape(r, kinds) for r in requests if wanted is None or r.operation in wanted]
