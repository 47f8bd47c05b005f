"""The examples in docs/examples run against the local Cognito and a real Redis."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pyotp
import pytest
import redis.asyncio as aioredis

from cognito_flows import UserPool
from cognito_flows.store import MemoryFlowStore, RedisFlowStore, redis_store

try:
    from .conftest import PASSWORD, PoolFactory
    from .redis_server import redis_url
except ImportError:  # tests/ is not a package
    from conftest import PASSWORD, PoolFactory  # type: ignore[no-redef]
    from redis_server import redis_url  # type: ignore[no-redef]  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
FLOW_KEY = "example-host-key-" + "z" * 24


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


web_backend = load_example("web_backend")
bot = load_example("bot")


async def totp_user(pools: PoolFactory, **pool_kwargs: Any) -> tuple[UserPool, str]:
    pool = await pools.pool(mfa="OPTIONAL", **pool_kwargs)
    await pools.user(pool, "alice")
    return pool, await pools.enroll_totp(pool, "alice")


# ------------------------------------------------------------------ web backend


class TwoWorkers:
    """Two app instances (own UserPool, own RedisFlowStore), requests alternate."""

    def __init__(self, clients: list[httpx.AsyncClient]) -> None:
        self.clients = clients
        self.turn = 0

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        client = self.clients[self.turn % 2]
        self.turn += 1
        return await client.post(path, json=body)


@pytest.fixture
async def two_workers(pools: PoolFactory, redis_url: str) -> AsyncIterator[tuple[TwoWorkers, str]]:
    pool, secret = await totp_user(pools, secret=True)
    clients, stores, extra_pools = [], [], []
    for _ in range(2):
        worker_pool = UserPool(
            pool.user_pool_id,
            pool.client_id,
            client_secret=pool.client_secret_for_refresh,
            endpoint_url=pools.local.endpoint_url,
            region=pools.local.region,
            clock=pools.local.clock.now,
        )
        await worker_pool.__aenter__()
        extra_pools.append(worker_pool)
        store = RedisFlowStore(redis_url)
        stores.append(store)
        app = web_backend.create_app(worker_pool, store, encryption_key=FLOW_KEY)
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://worker")
        )
    yield TwoWorkers(clients), secret
    for client in clients:
        await client.aclose()
    for store in stores:
        await store.aclose()
    for worker_pool in extra_pools:
        await worker_pool.aclose()


async def test_web_sign_in_with_mfa_across_two_workers(
    two_workers: tuple[TwoWorkers, str], pools: PoolFactory, redis_url: str
) -> None:
    web, secret = two_workers
    started = await web.post("/sign-in", {"username": "alice", "password": PASSWORD})
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["step"]["state"] == "SOFTWARE_TOKEN_MFA" and "tokens" not in body
    flow_id = body["flow_id"]

    wrong = await web.post(f"/sign-in/{flow_id}/answer", {"answer": "000000"})
    assert wrong.status_code == 200
    assert wrong.json()["step"] | {"expires_at": None} == {
        "state": "SOFTWARE_TOKEN_MFA",
        "retry": True,
        "error": "CodeMismatchException",
        "options": [],
        "expires_at": None,
    }
    bad = await web.post(f"/sign-in/{flow_id}/answer", {"answer": "not a code"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_answer"

    done = await web.post(f"/sign-in/{flow_id}/answer", {"answer": pools.totp(secret)})
    assert done.status_code == 200, done.text
    tokens = done.json()["tokens"]
    assert tokens["access_token"] and tokens["refresh_token"]
    assert web.turn == 4  # both workers took part
    again = await web.post(f"/sign-in/{flow_id}/answer", {"answer": pools.totp(secret)})
    assert again.status_code == 410
    client = aioredis.Redis.from_url(redis_url)
    assert await client.keys("*") == []
    await client.aclose()


async def test_web_double_submit_gets_409(
    two_workers: tuple[TwoWorkers, str], pools: PoolFactory
) -> None:
    web, secret = two_workers
    started = await web.post("/sign-in", {"username": "alice", "password": PASSWORD})
    flow_id = started.json()["flow_id"]
    pools.local.faults.add("RespondToAuthChallenge", kind="latency", latency=0.3)
    code = pools.totp(secret)
    first, second = await asyncio.gather(
        web.post(f"/sign-in/{flow_id}/answer", {"answer": code}),
        web.post(f"/sign-in/{flow_id}/answer", {"answer": code}),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]


async def test_web_expired_and_stale_version(
    two_workers: tuple[TwoWorkers, str], pools: PoolFactory
) -> None:
    web, secret = two_workers
    started = (await web.post("/sign-in", {"username": "alice", "password": PASSWORD})).json()
    flow_id, version = started["flow_id"], started["version"]
    await web.post(f"/sign-in/{flow_id}/answer", {"answer": "000000", "version": version})
    stale = await web.post(
        f"/sign-in/{flow_id}/answer", {"answer": pools.totp(secret), "version": version}
    )
    assert stale.status_code == 409
    gone = await web.post("/sign-in/not-a-flow/answer", {"answer": "123456"})
    assert gone.status_code == 410


async def test_web_mfa_setup_spans_requests(pools: PoolFactory, redis_url: str) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "bob")
    store = RedisFlowStore(redis_url)
    app = web_backend.create_app(pool, store, encryption_key=FLOW_KEY)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://worker"
    ) as web:
        body = (await web.post("/sign-in", json={"username": "bob", "password": PASSWORD})).json()
        flow_id = body["flow_id"]
        step = body["step"]
        if step["state"] == "MFA_SETUP":
            assert "SOFTWARE_TOKEN_MFA" in step["options"]
            step = (await web.post(f"/sign-in/{flow_id}/answer", json={"answer": "TOTP"})).json()[
                "step"
            ]
        assert step["state"] == "MFA_SETUP_SOFTWARE_TOKEN"
        secret = pyotp.parse_uri(step["totp_uri"]).secret
        done = await web.post(f"/sign-in/{flow_id}/answer", json={"answer": pools.totp(secret)})
        assert done.status_code == 200, done.text
        assert done.json()["tokens"]["access_token"]
    await store.aclose()


#: Seconds after which a process that neither answers nor exits is taken to hang.
HANG_GUARD_S = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_web_two_uvicorn_processes(pools: PoolFactory, redis_url: str) -> None:
    pool, secret = await totp_user(pools)
    env = dict(
        os.environ,
        COGNITO_USER_POOL_ID=pool.user_pool_id,
        COGNITO_CLIENT_ID=pool.client_id,
        COGNITO_ENDPOINT_URL=pools.local.endpoint_url,
        COGNITO_REGION=pools.local.region,
        REDIS_URL=redis_url,
        FLOW_KEY=FLOW_KEY,
    )
    ports = [_free_port(), _free_port()]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLES / "web_backend.py"),
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        # Guards against a hung process only: on a loaded machine start-up (an interpreter,
        # uvicorn, the library) has taken more than 30 s.
        async with httpx.AsyncClient(timeout=HANG_GUARD_S) as http:
            for port, process in zip(ports, processes, strict=True):
                deadline = time.monotonic() + HANG_GUARD_S
                while True:
                    if process.returncode is not None:
                        assert process.stderr is not None
                        raise AssertionError((await process.stderr.read()).decode())
                    try:
                        await http.get(f"http://127.0.0.1:{port}/sign-in/x")
                        break
                    except httpx.TransportError:
                        assert time.monotonic() < deadline, "uvicorn did not start"
                        await asyncio.sleep(0.1)
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            started = await http.post(
                f"{urls[0]}/sign-in", json={"username": "alice", "password": PASSWORD}
            )
            flow_id = started.json()["flow_id"]
            shown = await http.get(f"{urls[1]}/sign-in/{flow_id}")
            assert shown.json()["step"]["state"] == "SOFTWARE_TOKEN_MFA"
            done = await http.post(
                f"{urls[1]}/sign-in/{flow_id}/answer", json={"answer": pools.totp(secret)}
            )
            assert done.status_code == 200, done.text
            assert done.json()["tokens"]["id_token"]
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()


# ------------------------------------------------------------------ chat bot


def make_users(pools: PoolFactory, pool: UserPool, count: int) -> list[Any]:
    model = pools.local.pool(pool.user_pool_id)
    users = []
    for i in range(count):
        user = bot.SimulatedUser(f"user{i}", PASSWORD, pyotp.random_base32())
        model.create_user(
            user.username, user.password, mfa="SOFTWARE_TOKEN_MFA", totp_secret=user.totp_secret
        )
        users.append(user)
    return users


async def test_bot_200_users_waiting_at_once_in_redis(pools: PoolFactory, redis_url: str) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    users = make_users(pools, pool, 200)
    # The pool waits for a free connection as long as it takes (the library's default gives
    # up after 20 s): 200 flows share 50 connections, and a loaded CI machine is slow.
    patient = redis_store.connect(redis_url, timeout=None)
    store = RedisFlowStore(patient)
    client = aioredis.Redis.from_url(redis_url)

    async def count_stored() -> int:
        return len([k for k in await client.keys("*") if not k.endswith(b":lease")])

    report = await bot.simulate(
        pool, store, users, totp=pools.totp, seed=7, count_stored=count_stored
    )
    assert report.signed_in == 200
    assert report.peak_pending == 200 and report.peak_stored == 200
    assert report.retries > 0 and report.conflicts > 0 and report.expired == 0
    assert await client.keys("*") == []  # every finished flow was deleted
    await client.aclose()
    await store.aclose()
    await patient.aclose()


async def test_bot_with_the_memory_store_and_a_conversation(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    users = make_users(pools, pool, 3)
    replies: list[tuple[str, str]] = []

    async def send(chat: str, text: str) -> None:
        replies.append((chat, text))

    store = MemoryFlowStore(clock=pools.local.clock.now)
    login_bot = bot.LoginBot(pool, store, send)
    await login_bot.on_message("c1", "hello")
    await login_bot.on_message("c1", f"/login user0 {PASSWORD}")
    assert list(login_bot.pending) == ["c1"] and len(store) == 1
    await login_bot.on_message("c1", "12ab")
    await login_bot.on_message("c1", "000000")
    await login_bot.on_message("c1", pools.totp(users[0].totp_secret))
    await login_bot.on_message("c2", f"/login user1 {PASSWORD}")
    pools.local.clock.advance(181)
    await login_bot.on_message("c2", pools.totp(users[1].totp_secret))
    assert [text for _, text in replies] == [
        "Say /login <user> <password> first.",
        "Enter the 6-digit code from your authenticator app.",
        "That does not look like a code.",
        "Wrong code, try again.",
        "Welcome, user0!",
        "Enter the 6-digit code from your authenticator app.",
        "That sign-in expired. Say /login again.",
    ]
    assert login_bot.pending == {} and len(store) == 0


# ------------------------------------------------------------------ chat bot, handler mode


class Chat:
    """The bot's replies, awaited one by one: the test answers only after the bot asked."""

    def __init__(self) -> None:
        self.replies: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def send(self, chat: str, text: str) -> None:
        self.replies.put_nowait((chat, text))

    async def reply(self) -> tuple[str, str]:
        return await self.replies.get()


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_handler_bot_awaits_each_users_next_message(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    users = make_users(pools, pool, 2)
    chat = Chat()
    handler_bot = bot.HandlerBot(pool, chat.send, answer_timeout=600)
    prompt = "Enter the 6-digit code from your authenticator app."
    try:
        await handler_bot.on_message("c1", "hello")
        assert await chat.reply() == ("c1", "Say /login <user> <password> first.")
        await handler_bot.on_message("c1", f"/login user0 {PASSWORD}")
        assert await chat.reply() == ("c1", prompt)
        await handler_bot.on_message("c2", f"/login user1 {PASSWORD}")  # both wait at once
        assert await chat.reply() == ("c2", prompt)
        assert set(handler_bot.inboxes) == {"c1", "c2"}
        await handler_bot.on_message("c1", "12ab")
        assert await chat.reply() == ("c1", "That does not look like a code.")
        await handler_bot.on_message("c1", _wrong(pools.totp(users[0].totp_secret)))
        assert await chat.reply() == ("c1", "Wrong code, try again.")  # the same handler, again
        await handler_bot.on_message("c2", pools.totp(users[1].totp_secret))
        assert await chat.reply() == ("c2", "Welcome, user1!")
        await handler_bot.on_message("c1", pools.totp(users[0].totp_secret))
        assert await chat.reply() == ("c1", "Welcome, user0!")
        assert handler_bot.signed_in == {"c1": "user0", "c2": "user1"}
        assert handler_bot.inboxes == {} and handler_bot.tasks == {}
    finally:
        await handler_bot.aclose()


async def test_handler_bot_gives_up_on_a_silent_user(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    make_users(pools, pool, 1)
    chat = Chat()
    handler_bot = bot.HandlerBot(pool, chat.send, answer_timeout=0.01)  # the user never answers
    try:
        await handler_bot.on_message("c1", f"/login user0 {PASSWORD}")
        assert await chat.reply() == ("c1", "Enter the 6-digit code from your authenticator app.")
        assert await chat.reply() == ("c1", "No answer in time. Say /login again.")
        assert handler_bot.inboxes == {} and handler_bot.signed_in == {}
    finally:
        await handler_bot.aclose()


async def test_chat_handlers_never_wait_past_the_cognito_session() -> None:
    inbox: asyncio.Queue[str] = asyncio.Queue()
    inbox.put_nowait("123456")  # even a message already there: Cognito would refuse it now
    chat = Chat()
    now = 1_000_000.0
    handlers = bot.ChatHandlers("c1", chat.send, inbox, timeout=600, clock=lambda: now)
    from cognito_flows import SignInStep

    expired = SignInStep(
        flow="sign_in",
        state="SOFTWARE_TOKEN_MFA",
        handler="software_token_mfa",
        session_expires_at=now - 1,
    )
    with pytest.raises(bot.AnswerTimeoutError):
        await handlers.software_token_mfa(expired)
    live = attrs.evolve(expired, session_expires_at=now + 180)
    assert await handlers.software_token_mfa(live) == "123456"
