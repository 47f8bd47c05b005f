"""The Redis flow store and refresh coordinator against a real redis-server.

Includes the multi-process tests: a sign-in started in one process and finished in another,
and two processes answering the same flow at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from cognito_flows import (
    FlowConflictError,
    FlowExpiredError,
    NotAuthorizedError,
    SignedOutError,
    TokenManager,
    TokenSet,
    UserPool,
)
from cognito_flows.store import (
    FlowBusyError,
    FlowRepository,
    FlowStore,
    RedisFlowStore,
    RedisRefreshCoordinator,
    RefreshBusyError,
    StaleFlowError,
    StoredFlowExpiredError,
)

try:
    from .conftest import PASSWORD, PoolFactory
    from .redis_server import redis_url
    from .test_store import assert_no_secrets_in_a_full_flow, totp_pool
except ImportError:  # tests/ is not a package
    from conftest import PASSWORD, PoolFactory  # type: ignore[no-redef]
    from redis_server import redis_url  # type: ignore[no-redef]  # noqa: F401
    from test_store import (  # type: ignore[no-redef]
        assert_no_secrets_in_a_full_flow,
        totp_pool,
    )

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisFlowStore]:
    flow_store = RedisFlowStore(redis_url)
    yield flow_store
    await flow_store.aclose()


# ------------------------------------------------------------------ the store itself


async def test_redis_store_claim_cas_and_lease(
    store: RedisFlowStore, redis_client: aioredis.Redis
) -> None:
    assert isinstance(store, FlowStore)
    created_at = time.monotonic()
    record = await store.create("f1", "data-1", ttl=100)
    assert record.version == 1
    with pytest.raises(FlowConflictError):
        await store.create("f1", "other", ttl=100)
    got = await store.get("f1")
    assert (got.data, got.version, got.busy) == ("data-1", 1, False)
    # The TTL left is what was set less the time since (however slow the machine is).
    assert got.ttl is not None and 100 - (time.monotonic() - created_at) - 0.01 <= got.ttl <= 100

    claimed = await store.claim("f1", lease=10)
    assert (claimed.version, claimed.busy, claimed.data) == (2, True, "data-1")
    with pytest.raises(FlowBusyError):
        await store.claim("f1", lease=10)
    assert (await store.get("f1")).busy
    saved_at = time.monotonic()
    assert await store.save("f1", "data-2", version=2, ttl=50) == 3
    with pytest.raises(StaleFlowError) as stale:
        await store.save("f1", "data-x", version=2, ttl=50)
    assert (stale.value.expected, stale.value.actual) == (2, 3)
    with pytest.raises(StaleFlowError):
        await store.claim("f1", lease=10, expected_version=2)
    assert (await store.claim("f1", lease=10, expected_version=3)).version == 4
    assert await store.release("f1", version=4) == 5
    got = await store.get("f1")
    assert (got.data, got.version, got.busy) == ("data-2", 5, False)
    assert got.ttl is not None and 50 - (time.monotonic() - saved_at) - 0.01 <= got.ttl <= 50

    # A crashed worker's lease (a PX key) ends by itself; its late save then loses.
    await store.claim("f1", lease=0.15)
    await asyncio.sleep(0.25)
    assert (await store.claim("f1", lease=10)).version == 7
    with pytest.raises(StaleFlowError):
        await store.save("f1", "late", version=6, ttl=50)
    assert await store.save("f1", "winner", version=7, ttl=50) == 8

    with pytest.raises(StaleFlowError):
        await store.delete("f1", version=3)
    assert await store.delete("f1", version=8)
    assert not await store.delete("f1")
    assert await redis_client.keys("*") == []
    for call in (
        store.get("f1"),
        store.claim("f1", lease=1),
        store.save("f1", "x", version=9, ttl=1),
        store.release("f1", version=9),
    ):
        with pytest.raises(StoredFlowExpiredError):
            await call


async def test_redis_store_accepts_a_client_and_keeps_it_open(redis_client: aioredis.Redis) -> None:
    flow_store = RedisFlowStore(redis_client, prefix="app1:")
    await flow_store.create("x", "d", ttl=5)
    assert await redis_client.exists("app1:{x}") == 1
    await flow_store.aclose()
    assert await redis_client.ping()


async def test_claim_keeps_the_record_for_the_lease(store: RedisFlowStore) -> None:
    await store.create("f", "d", ttl=0.2)
    await store.claim("f", lease=600)
    await asyncio.sleep(0.4)
    assert await store.save("f", "d2", version=2, ttl=5) == 3


# ------------------------------------------------------------------ with the emulator


async def test_expired_flow_is_gone_from_redis(
    pools: PoolFactory, store: RedisFlowStore, redis_client: aioredis.Redis
) -> None:
    # A short AuthSessionValidity: the record's Redis TTL follows it.
    pool, _ = await totp_pool(pools, session_validity=1.5)
    flows = FlowRepository(pool, store)
    flow_id, step = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None and step.state == "SOFTWARE_TOKEN_MFA"
    pttl = await redis_client.pttl(store.key(flow_id))
    assert 0 < pttl <= 1500
    await asyncio.sleep(1.7)
    assert await redis_client.exists(store.key(flow_id)) == 0
    for attempt in (flows.get_step(flow_id), flows.answer(flow_id, "123456")):
        with pytest.raises(StoredFlowExpiredError) as gone:
            await attempt
        assert isinstance(gone.value, FlowExpiredError)


async def test_two_workers_with_own_connections(pools: PoolFactory, redis_url: str) -> None:
    pool, secret = await totp_pool(pools)
    store_a, store_b = RedisFlowStore(redis_url), RedisFlowStore(redis_url)
    worker_a, worker_b = FlowRepository(pool, store_a), FlowRepository(pool, store_b)
    flow_id, _ = await worker_a.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    fault = pools.local.faults.add("RespondToAuthChallenge", kind="latency", latency=0.3)
    code = pools.totp(secret)
    results = await asyncio.gather(
        worker_a.answer(flow_id, code), worker_b.answer(flow_id, code), return_exceptions=True
    )
    await store_a.aclose()
    await store_b.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    steps = [r for r in results if not isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], FlowBusyError), results
    assert steps[0].state == "DONE"
    assert fault.fired == 1


async def test_no_secrets_with_redis(
    pools: PoolFactory,
    caplog: pytest.LogCaptureFixture,
    store: RedisFlowStore,
    redis_client: aioredis.Redis,
) -> None:
    async def read_raw(flow_id: str) -> list[str]:
        texts = []
        for key in await redis_client.keys("*"):
            value = (
                await redis_client.hgetall(key)
                if await redis_client.type(key) == b"hash"
                else await redis_client.get(key)
            )
            texts.append(repr(key) + repr(value))
        return texts

    await assert_no_secrets_in_a_full_flow(pools, caplog, store, read_raw)


async def test_encrypted_records_in_redis(
    pools: PoolFactory, store: RedisFlowStore, redis_client: aioredis.Redis
) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool, store, encryption_key="k" * 32)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    raw = await redis_client.hget(store.key(flow_id), "d")
    assert raw is not None and raw.startswith(b"cf1.") and b"alice" not in raw
    assert (await flows.answer(flow_id, pools.totp(secret))).state == "DONE"


# ------------------------------------------------------------------ across processes

WORKER = r"""
import asyncio, json, sys
from cognito_flows import FlowConflictError, UserPool
from cognito_flows.store import FlowRepository, RedisFlowStore

async def main(cfg):
    pool = UserPool(cfg["user_pool_id"], cfg["client_id"], endpoint_url=cfg["endpoint_url"],
                    region=cfg["region"])
    async with pool:
        flows = FlowRepository(pool, RedisFlowStore(cfg["redis_url"]),
                               encryption_key=cfg["key"])
        try:
            if cfg["action"] == "start":
                flow_id, step = await flows.start(pool.sign_in_flow(cfg["username"],
                                                                    cfg["password"]))
                out = {"flow_id": flow_id, "state": step.state}
            else:
                step = await flows.get_step(cfg["flow_id"])  # warm up, then wait for "go"
                print(json.dumps({"ready": step.state}), flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                try:
                    step = await flows.answer(cfg["flow_id"], cfg["code"])
                    out = {"state": step.state, "username": step.tokens.username
                           if step.tokens else None}
                except FlowConflictError as exc:
                    out = {"conflict": type(exc).__name__}
        finally:
            await flows.aclose()
    print(json.dumps(out), flush=True)

asyncio.run(main(json.loads(sys.stdin.readline())))
"""


class Worker:
    """A Python process running WORKER; the config (with the password) goes over stdin."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def spawn(cls, config: dict[str, Any]) -> Worker:
        env = dict(
            os.environ,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_EC2_METADATA_DISABLED="true",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        worker = cls(process)
        await worker.send(json.dumps(config))
        return worker

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), 600)  # a hang guard only
        if not raw:
            assert self.process.stderr is not None
            err = await self.process.stderr.read()
            raise AssertionError(f"worker died: {err.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(raw)
        return result

    async def finish(self) -> dict[str, Any]:
        result = await self.line()
        assert await asyncio.wait_for(self.process.wait(), 600) == 0
        return result


def worker_config(
    pool: UserPool, pools: PoolFactory, redis_url: str, **extra: Any
) -> dict[str, Any]:
    return {
        "user_pool_id": pool.user_pool_id,
        "client_id": pool.client_id,
        "endpoint_url": pools.local.endpoint_url,
        "region": pools.local.region,
        "redis_url": redis_url,
        "key": "shared-host-key-" + "x" * 24,
        **extra,
    }


async def test_sign_in_started_in_one_process_finished_in_another(
    pools: PoolFactory, redis_url: str, redis_client: aioredis.Redis
) -> None:
    pool, secret = await totp_pool(pools)
    config = worker_config(pool, pools, redis_url)
    first = await Worker.spawn(
        {**config, "action": "start", "username": "alice", "password": PASSWORD}
    )
    started = await first.finish()
    assert started["state"] == "SOFTWARE_TOKEN_MFA"
    flow_id = started["flow_id"]
    assert await redis_client.exists(f"cognito_flows:flow:{{{flow_id}}}") == 1

    second = await Worker.spawn(
        {**config, "action": "answer", "flow_id": flow_id, "code": pools.totp(secret)}
    )
    assert (await second.line()) == {"ready": "SOFTWARE_TOKEN_MFA"}
    await second.send("go")
    assert await second.finish() == {"state": "DONE", "username": "alice"}
    assert await redis_client.keys("*") == []  # the finished flow is gone


async def test_two_processes_answer_at_once_exactly_one_wins(
    pools: PoolFactory, redis_url: str
) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(
        pool, RedisFlowStore(redis_url), encryption_key=worker_config(pool, pools, redis_url)["key"]
    )
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    # Cognito answers slowly, so both processes are surely inside answer() together.
    fault = pools.local.faults.add("RespondToAuthChallenge", kind="latency", latency=1.0)
    config = worker_config(
        pool, pools, redis_url, action="answer", flow_id=flow_id, code=pools.totp(secret)
    )
    workers = [await Worker.spawn(config), await Worker.spawn(config)]
    for worker in workers:
        assert (await worker.line()) == {"ready": "SOFTWARE_TOKEN_MFA"}
    for worker in workers:
        await worker.send("go")
    results = [await worker.finish() for worker in workers]
    assert sorted(map(json.dumps, results)) == sorted(
        map(json.dumps, [{"state": "DONE", "username": "alice"}, {"conflict": "FlowBusyError"}])
    ), results
    assert fault.fired == 1  # the emulator saw ONE RespondToAuthChallenge for the session
    with pytest.raises(StoredFlowExpiredError):
        await flows.get_step(flow_id)
    await flows.aclose()


# ------------------------------------------------------------------ refresh single-flight


def fake_tokens(tag: str, *, refresh: str = "refresh-token-1") -> TokenSet:
    return TokenSet(
        access_token=f"access-{tag}",
        id_token=f"id-{tag}",
        expires_at=time.time() + 3600,
        refresh_token=refresh,
    )


async def test_refresh_runs_once_across_workers(redis_url: str) -> None:
    calls: list[str] = []

    async def refresh(old: TokenSet) -> TokenSet:
        calls.append(old.access_token)
        await asyncio.sleep(0.2)
        return fake_tokens("new")

    # Eight "workers", each with its own Redis connection, coordinator and TokenManager.
    coordinators = [RedisRefreshCoordinator(redis_url, refresh=refresh) for _ in range(8)]
    managers = [TokenManager(fake_tokens("old"), refresh=c) for c in coordinators]
    results = await asyncio.gather(*(m.force_refresh() for m in managers))
    assert len(calls) == 1
    assert {r.access_token for r in results} == {"access-new"}
    assert sum(c.refreshes for c in coordinators) == 1
    raw = await coordinators[0]._redis.keys("*")
    assert len(raw) == 1  # the result key; the lock is released
    value = await coordinators[0]._redis.get(raw[0])
    assert b"access-new" not in value and b"refresh-token-1" not in raw[0] + value
    for c in coordinators:
        await c.aclose()


async def test_refresh_refusal_is_shared(redis_url: str) -> None:
    calls = 0

    async def refresh(old: TokenSet) -> TokenSet:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.1)
        raise NotAuthorizedError("Refresh Token has been revoked")

    coordinators = [RedisRefreshCoordinator(redis_url, refresh=refresh) for _ in range(4)]
    managers = [TokenManager(fake_tokens("old"), refresh=c) for c in coordinators]
    results = await asyncio.gather(*(m.force_refresh() for m in managers), return_exceptions=True)
    assert calls == 1
    assert all(isinstance(r, SignedOutError) for r in results), results
    assert all(m.signed_out for m in managers)
    for c in coordinators:
        await c.aclose()


async def test_refresh_waiter_takes_over_from_a_crashed_worker(
    redis_url: str, redis_client: aioredis.Redis
) -> None:
    async def refresh(old: TokenSet) -> TokenSet:
        return fake_tokens("mine")

    coordinator = RedisRefreshCoordinator(redis_client, refresh=refresh, lock_ttl=0.3)
    name = coordinator._name("refresh-token-1")
    # A dead worker's lock: it expires by itself, then this worker refreshes.
    started = time.monotonic()  # before the lock is set: the wait is at least its 300 ms
    await redis_client.set(f"cognito_flows:refresh:{{{name}}}:lock", "dead", px=300)
    assert (await coordinator(fake_tokens("old"))).access_token == "access-mine"
    assert time.monotonic() - started >= 0.25
    # A lock that outlives wait_timeout gives a typed conflict error.
    impatient = RedisRefreshCoordinator(redis_client, refresh=refresh, wait_timeout=0.2)
    await redis_client.set(
        f"cognito_flows:refresh:{{{impatient._name('r2')}}}:lock", "x", px=600_000
    )
    with pytest.raises(RefreshBusyError) as busy:
        await impatient(fake_tokens("old", refresh="r2"))
    assert isinstance(busy.value, FlowConflictError)


async def test_refresh_against_the_emulator_once(pools: PoolFactory, redis_url: str) -> None:
    pool = await pools.pool(secret=True)
    await pools.user(pool, "alice")
    tokens = await pool.sign_in("alice", PASSWORD)
    calls = 0

    async def refresh(old: TokenSet) -> TokenSet:
        nonlocal calls
        calls += 1
        params = {"REFRESH_TOKEN": old.refresh_token or ""}
        hashed = pool.secret_hash(old.username or "")
        if hashed:
            params["SECRET_HASH"] = hashed
        response = await pool.client.call(
            "InitiateAuth",
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=pool.client_id,
            AuthParameters=params,
        )
        return TokenSet.from_authentication_result(
            response["AuthenticationResult"], now=pool.clock(), previous=old
        )

    coordinators = [
        RedisRefreshCoordinator(redis_url, refresh=refresh, encryption_key="host-" + "k" * 20)
        for _ in range(5)
    ]
    managers = [TokenManager(tokens, refresh=c, clock=pool.clock) for c in coordinators]
    results = await asyncio.gather(*(m.force_refresh() for m in managers))
    assert calls == 1
    assert len({r.access_token for r in results}) == 1
    assert results[0].access_token != tokens.access_token
    assert results[0].refresh_token == tokens.refresh_token
    for c in coordinators:
        await c.aclose()
