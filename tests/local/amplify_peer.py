"""Running Amplify JS v6 (``tests/amplify/amplify_flow.js``) against the emulator, and
reducing the requests a client sent to what the comparison with cognito_flows looks at.

The Node script and this module speak JSON lines (the protocol is described at the top of
the script): one Node process runs scenario after scenario (:class:`AmplifyNode`), the
script asks for codes and for test-side actions and waits for the answer, so no scenario
depends on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyotp

from cognito_local import LocalCognito, RecordedRequest, RequestLog, User
from cognito_local.recorder import MASK

AMPLIFY_DIR = Path(__file__).resolve().parent.parent / "amplify"
SCRIPT = AMPLIFY_DIR / "amplify_flow.js"

#: How long one scenario may run before its Node process is killed (a hang guard only).
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


class _NodeProcess:
    """One ``node amplify_flow.js``: its stdout lines and stderr are read by threads, so the
    process outlives the event loop of the test that started it (each test has its own)."""

    def __init__(self, modules: Path) -> None:
        self.proc = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NODE_PATH": str(modules)},
        )
        self._lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._stderr = bytearray()
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.scenarios = 0

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            with self._lock:
                self._stderr += chunk

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_since(self, mark: int) -> str:
        with self._lock:
            return self._stderr[mark:].decode(errors="replace")

    def stderr_mark(self) -> int:
        with self._lock:
            return len(self._stderr)

    async def readline(self) -> bytes:
        """The next line Node wrote; ``b""`` once its stdout is closed."""
        line = await asyncio.to_thread(self._lines.get)
        if not line:
            self._lines.put(b"")  # end of output stays the answer for any later read
        return line

    def exited(self) -> int:
        """Wait for the process to end (its output closed) and for its stderr to be read;
        its exit code."""
        code = self.proc.wait()
        for reader in self._readers:
            reader.join()
        return code

    def send(self, message: Mapping[str, Any]) -> None:
        assert self.proc.stdin is not None
        # When Node is gone, its closed stdout ends the conversation.
        with contextlib.suppress(OSError):
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()

    def close(self) -> None:
        """Kill the process (nothing in it needs a clean exit) and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.exited()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


class AmplifyNode:
    """The Node process that runs ``amplify_flow.js`` scenarios, one after another.

    One per test session (so one per pytest-xdist worker), started on demand: after a
    scenario that crashed, hung past :data:`NODE_GUARD_SECONDS` or left something running
    in the process (the script's ``leftovers``), the process is ended and the next scenario
    gets a new one. Before each scenario the script resets Amplify's state (a new
    ``Amplify.configure``, a new token store, core's storages cleared: ``fresh()`` there).
    """

    def __init__(self, modules: Path) -> None:
        self.modules = modules
        self._process: _NodeProcess | None = None
        #: Node processes started (the shared ones and those of ``fresh`` scenarios).
        self.started = 0
        #: Each scenario after which the shared process was ended, and why.
        self.ended: list[tuple[str, list[str]]] = []

    def _start(self) -> _NodeProcess:
        self.started += 1
        return _NodeProcess(self.modules)

    async def run(
        self,
        local: LocalCognito,
        config: Mapping[str, Any],
        hooks: Mapping[str, Hook],
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        """Run one scenario (``config`` as the script takes it); return its result object.
        ``fresh``: in a Node process of its own, ended afterwards."""
        if fresh:
            process = self._start()
        else:
            if self._process is None or not self._process.alive:
                self._discard()
                self._process = self._start()
            process = self._process
        mark = process.stderr_mark()
        leftovers: list[str] = ["(the scenario failed)"]
        try:
            result, leftovers = await asyncio.wait_for(
                _converse(process, local, config, hooks, mark), NODE_GUARD_SECONDS
            )
            return result
        except asyncio.TimeoutError:
            process.close()
            raise AssertionError(
                f"amplify scenario {config['scenario']} still running after "
                f"{NODE_GUARD_SECONDS} s: Node process killed\n{process.stderr_since(mark)}"
            ) from None
        finally:
            if fresh:
                process.close()
            elif leftovers:
                self.ended.append((str(config["scenario"]), leftovers))
                self._discard()

    def _discard(self) -> None:
        if self._process is not None:
            self._process.close()
            self._process = None

    def close(self) -> None:
        """End the shared process (at the end of the session)."""
        self._discard()


async def _converse(
    process: _NodeProcess,
    local: LocalCognito,
    config: Mapping[str, Any],
    hooks: Mapping[str, Hook],
    mark: int,
) -> tuple[dict[str, Any], list[str]]:
    """One scenario's conversation: its result, and what it left running in the process
    (nothing: the process may run the next scenario)."""
    scenario = config["scenario"]
    process.scenarios += 1
    ident = process.scenarios
    process.send({"scenario": dict(config), "id": ident})
    outcome: dict[str, Any] = {}
    while True:
        line = await process.readline()
        if not line:
            code = await asyncio.to_thread(process.exited)
            raise AssertionError(
                f"amplify scenario {scenario}: Node exited (code {code}) before the "
                f"scenario ended\n{process.stderr_since(mark)}"
            )
        try:
            message = json.loads(line)
        except ValueError:
            continue  # anything Amplify itself prints
        if not isinstance(message, dict):
            continue
        if "ask" in message:
            process.send({"value": await _answer(local, message, hooks)})
        elif "result" in message:
            outcome["result"] = message["result"]
        elif "crashed" in message:
            outcome["crashed"] = str(message["crashed"])
        elif "done" in message:
            assert message["done"] == ident, f"end of scenario {message['done']}, not {ident}"
            break
    crashed = outcome.get("crashed")
    assert crashed is None, (
        f"amplify scenario {scenario} failed: {crashed}\n{process.stderr_since(mark)}"
    )
    result = outcome.get("result")
    assert isinstance(result, dict), process.stderr_since(mark)
    return result, [str(item) for item in message["leftovers"]]


async def run_amplify(
    local: LocalCognito,
    node: AmplifyNode,
    scenario: str,
    args: Mapping[str, Any],
    *,
    pool_id: str,
    client_id: str,
    hooks: Mapping[str, Hook] | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    """Run one scenario of ``amplify_flow.js`` in ``node``; return its result object.
    ``fresh``: in a Node process of its own (for a scenario that leaves state behind that
    the script cannot reset)."""
    config = {
        "endpoint": local.endpoint_url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "scenario": scenario,
        "args": dict(args),
    }
    return await node.run(local, config, hooks or {}, fresh=fresh)


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
