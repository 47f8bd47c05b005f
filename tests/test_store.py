"""Suspended flows in the in-memory store: claim, compare-and-set, expiry, encryption, secrets.

Redis-backed and multi-process tests are in test_store_redis.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cognito_flows import FlowConflictError, FlowExpiredError, SnapshotError, UserPool
from cognito_flows.errors import FlowFinishedError
from cognito_flows.store import (
    FlowBusyError,
    FlowRepository,
    FlowStore,
    MemoryFlowStore,
    SnapshotCipher,
    SnapshotDecryptError,
    StaleFlowError,
    StoredFlowExpiredError,
    new_flow_id,
)

try:
    from .conftest import PASSWORD, PoolFactory
except ImportError:  # tests/ is not a package
    from conftest import PASSWORD, PoolFactory  # type: ignore[no-redef]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def totp_pool(pools: PoolFactory, **kwargs: Any) -> tuple[UserPool, str]:
    """A pool with MFA optional and alice enrolled in TOTP; returns (pool, TOTP secret)."""
    pool = await pools.pool(mfa="OPTIONAL", **kwargs)
    await pools.user(pool, "alice")
    return pool, await pools.enroll_totp(pool, "alice")


def wrong_code(right: str) -> str:
    return "000000" if right != "000000" else "111111"


# ------------------------------------------------------------------ the store itself


async def test_memory_store_claim_cas_and_lease() -> None:
    clock = FakeClock()
    store = MemoryFlowStore(clock=clock)
    assert isinstance(store, FlowStore)
    record = await store.create("f1", "data-1", ttl=100)
    assert (record.version, record.busy) == (1, False)
    with pytest.raises(FlowConflictError):
        await store.create("f1", "other", ttl=100)

    claimed = await store.claim("f1", lease=10)
    assert (claimed.version, claimed.busy, claimed.data) == (2, True, "data-1")
    with pytest.raises(FlowBusyError) as busy:
        await store.claim("f1", lease=10)
    assert isinstance(busy.value, FlowConflictError)
    assert (await store.get("f1")).busy

    assert await store.save("f1", "data-2", version=2, ttl=100) == 3
    with pytest.raises(StaleFlowError) as stale:
        await store.save("f1", "data-x", version=2, ttl=100)
    assert (stale.value.expected, stale.value.actual) == (2, 3)
    with pytest.raises(StaleFlowError):
        await store.claim("f1", lease=10, expected_version=2)
    assert (await store.claim("f1", lease=10, expected_version=3)).version == 4
    assert await store.release("f1", version=4) == 5
    got = await store.get("f1")
    assert (got.data, got.version, got.busy) == ("data-2", 5, False)

    # A crashed worker's lease ends by itself; its late save then loses.
    await store.claim("f1", lease=10)  # version 6, never saved
    clock.now += 11
    assert (await store.claim("f1", lease=10)).version == 7
    with pytest.raises(StaleFlowError):
        await store.save("f1", "late", version=6, ttl=100)
    assert await store.save("f1", "winner", version=7, ttl=100) == 8

    with pytest.raises(StaleFlowError):
        await store.delete("f1", version=3)
    assert await store.delete("f1", version=8)
    assert not await store.delete("f1")
    for call in (
        store.get("f1"),
        store.claim("f1", lease=1),
        store.save("f1", "x", version=9, ttl=1),
        store.release("f1", version=9),
    ):
        with pytest.raises(StoredFlowExpiredError):
            await call


async def test_memory_store_expiry_and_sweep() -> None:
    clock = FakeClock()
    store = MemoryFlowStore(clock=clock, sweep_interval=50)
    await store.create("a", "x", ttl=10)
    await store.create("b", "x", ttl=100)
    assert "a" in store and len(store) == 2
    clock.now += 11
    assert "a" not in store
    with pytest.raises(StoredFlowExpiredError) as gone:
        await store.get("a")
    assert isinstance(gone.value, FlowExpiredError)
    await store.create("c", "x", ttl=10)
    clock.now += 60
    await store.create("d", "x", ttl=10)  # triggers the sweep of b's and c's neighbours
    assert len(store) == 2  # b (ttl 100) and d
    # A claim keeps the record alive for the lease, so the holder can still save it.
    await store.claim("d", lease=30)
    clock.now += 20
    assert await store.save("d", "y", version=2, ttl=5) == 3


def test_flow_ids_are_unguessable() -> None:
    ids = {new_flow_id() for _ in range(2000)}
    assert len(ids) == 2000
    for flow_id in list(ids)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", flow_id)  # 256 bits


def test_cipher_roundtrip_rotation_and_binding() -> None:
    old, new = "o" * 32, "n" * 32
    sealed = SnapshotCipher(old).encrypt(b"snapshot", context=b"id-1")
    assert b"snapshot" not in sealed.encode() and SnapshotCipher.is_encrypted(sealed)
    rotated = SnapshotCipher([new, old])
    assert rotated.decrypt(sealed, context=b"id-1") == b"snapshot"
    assert SnapshotCipher(new).decrypt(rotated.encrypt(b"s", context=b"i"), context=b"i") == b"s"
    with pytest.raises(SnapshotDecryptError):
        SnapshotCipher(new).decrypt(sealed, context=b"id-1")  # unknown key
    with pytest.raises(SnapshotDecryptError):
        rotated.decrypt(sealed, context=b"id-2")  # copied under another id
    with pytest.raises(SnapshotDecryptError):
        rotated.decrypt(
            sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], context=b"id-1"
        )
    with pytest.raises(SnapshotDecryptError):
        rotated.decrypt("{}", context=b"id-1")
    with pytest.raises(ValueError):
        SnapshotCipher("short")
    assert isinstance(SnapshotDecryptError("x"), SnapshotError)


# ------------------------------------------------------------------ the repository


def assert_ttl(ttl: float | None, validity: float, *, since: float) -> None:
    """A stored flow's TTL is its session's validity less the time since the flow started,
    however slow the machine was (no fixed tolerance)."""
    assert ttl is not None
    assert validity - (time.monotonic() - since) - 0.001 <= ttl <= validity + 0.001


async def test_sign_in_with_totp_through_the_repository(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool)
    started = time.monotonic()
    flow_id, step = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None and step.state == "SOFTWARE_TOKEN_MFA"
    assert (await flows.get_step(flow_id)).state == "SOFTWARE_TOKEN_MFA"
    stored = await flows.get(flow_id)
    assert stored.version == 1 and not stored.busy
    assert_ttl(stored.ttl, pool.session_validity, since=started)

    code = pools.totp(secret)
    checkout = flows.checkout(flow_id)
    async with checkout as flow:
        assert checkout.version == 2  # claimed
        step = await flow.answer(wrong_code(code))
    assert step.state == "SOFTWARE_TOKEN_MFA" and step.retry
    assert checkout.version == 3 and not checkout.deleted
    assert (await flows.get_step(flow_id)).retry

    step = await flows.answer(flow_id, code, version=3)
    assert step.state == "DONE" and step.tokens is not None
    assert step.tokens.username == "alice"
    with pytest.raises(StoredFlowExpiredError):  # finished flows are not kept
        await flows.get_step(flow_id)
    assert len(flows.store) == 0  # type: ignore[arg-type]


async def test_keep_finished_flow_on_request(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    checkout = flows.checkout(flow_id, keep=True)
    async with checkout as flow:
        await flow.answer(pools.totp(secret))
    assert not checkout.deleted
    kept = await flows.get(flow_id)
    assert kept.flow.state == "DONE" and kept.flow.step.tokens is not None
    assert await flows.discard(flow_id)


async def test_two_workers_answer_at_once_exactly_one_wins(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    store = MemoryFlowStore(clock=pool.clock)
    worker_a = FlowRepository(pool, store)
    # The second worker has its own UserPool object (own connection), same store.
    pool_b = UserPool(
        pool.user_pool_id,
        pool.client_id,
        endpoint_url=pools.local.endpoint_url,
        region=pools.local.region,
        clock=pools.local.clock.now,
    )
    async with pool_b:
        worker_b = FlowRepository(pool_b, store)
        flow_id, _ = await worker_a.start(pool.sign_in_flow("alice", PASSWORD))
        assert flow_id is not None
        fault = pools.local.faults.add("RespondToAuthChallenge", kind="latency", latency=0.3)
        code = pools.totp(secret)
        results = await asyncio.gather(
            worker_a.answer(flow_id, code), worker_b.answer(flow_id, code), return_exceptions=True
        )
    steps = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(steps) == 1 and len(errors) == 1, results
    assert steps[0].state == "DONE"
    assert isinstance(errors[0], FlowBusyError) and isinstance(errors[0], FlowConflictError)
    assert fault.fired == 1  # Cognito saw one answer for the session


async def test_answer_pinned_to_a_version_fails_once_the_flow_moved(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    shown = (await flows.get(flow_id)).version
    await flows.answer(flow_id, wrong_code(pools.totp(secret)), version=shown)
    with pytest.raises(StaleFlowError) as stale:
        await flows.answer(flow_id, pools.totp(secret), version=shown)
    assert isinstance(stale.value, FlowConflictError)
    assert (await flows.get_step(flow_id)).state == "SOFTWARE_TOKEN_MFA"


async def test_crashed_worker_lease_expires(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    store = MemoryFlowStore(clock=pools.local.clock.now)
    flows = FlowRepository(pool, store, lease=5)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    await store.claim(flow_id, lease=5)  # a worker claims, then dies
    with pytest.raises(FlowBusyError):
        await flows.answer(flow_id, pools.totp(secret))
    pools.local.clock.advance(6)
    step = await flows.answer(flow_id, pools.totp(secret))
    assert step.state == "DONE"


async def test_stored_flow_expires_with_its_session(pools: PoolFactory) -> None:
    pool, _ = await totp_pool(pools)
    store = MemoryFlowStore(clock=pools.local.clock.now)
    flows = FlowRepository(pool, store)
    flow_id, step = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None and step.session_expires_at is not None
    pools.local.clock.advance(pool.session_validity + 1)
    for attempt in (flows.get_step(flow_id), flows.answer(flow_id, "123456")):
        with pytest.raises(StoredFlowExpiredError) as gone:
            await attempt
        assert isinstance(gone.value, FlowExpiredError)
    assert flow_id not in store and len(store) == 0
    with pytest.raises(StoredFlowExpiredError):
        await flows.get_step(new_flow_id())  # unknown ids look the same


async def test_session_validity_is_configurable(pools: PoolFactory) -> None:
    pool, _ = await totp_pool(pools, session_validity=60.0)
    flows = FlowRepository(pool)
    started = time.monotonic()
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    assert_ttl((await flows.get(flow_id)).ttl, 60, since=started)


async def test_flows_waiting_for_codes_live_as_long_as_their_codes(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings={"AutoVerifiedAttributes": ["email"]})
    store = MemoryFlowStore(clock=pools.local.clock.now)
    flows = FlowRepository(pool, store)
    assert flows.lease >= pool.session_validity  # a claim outlives any answer's session
    flow_id, step = await flows.start(
        pool.sign_up_flow("dora", PASSWORD, attributes={"email": "dora@example.com"})
    )
    assert flow_id is not None and step.state == "CONFIRM_SIGN_UP"
    assert (await flows.get(flow_id)).ttl == pytest.approx(24 * 3600, abs=5)
    pools.local.clock.advance(3600)  # the user reads the e-mail an hour later
    code = pools.local.outbox.last(username="dora").code
    assert (await flows.answer(flow_id, code)).state == "CONFIRMED"


async def test_error_inside_checkout_still_saves_and_releases(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    with pytest.raises(RuntimeError):
        async with flows.checkout(flow_id) as flow:
            await flow.answer(wrong_code(pools.totp(secret)))
            raise RuntimeError("host bug after the answer")
    stored = await flows.get(flow_id)
    assert not stored.busy and stored.flow.step.retry  # the wrong answer was recorded
    assert (await flows.answer(flow_id, pools.totp(secret))).state == "DONE"


async def test_misuse_is_refused(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    flows = FlowRepository(pool)
    done = pool.sign_in_flow("alice", PASSWORD)
    await done.start()
    await done.answer(pools.totp(secret))
    with pytest.raises(FlowFinishedError):
        await flows.add(done)

    from cognito_flows.drivers.sign_up import SignUpFlow

    pools.local.clock.advance(30)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None
    with pytest.raises(SnapshotError):
        async with flows.checkout(flow_id, SignUpFlow):
            pass
    assert not (await flows.get(flow_id)).busy  # the claim was given back

    other_pool = await pools.pool(mfa="OPTIONAL")
    stranger = FlowRepository(other_pool, flows.store)
    with pytest.raises(SnapshotError):
        await stranger.get_step(flow_id)


async def test_encrypted_snapshots(pools: PoolFactory) -> None:
    pool, secret = await totp_pool(pools)
    store = MemoryFlowStore()
    flows = FlowRepository(pool, store, encryption_key="host-key-" + "k" * 32)
    flow_id, _ = await flows.start(pool.sign_in_flow("alice", PASSWORD))
    assert flow_id is not None and flows.encrypted
    raw = (await store.get(flow_id)).data
    assert raw.startswith("cf1.") and "alice" not in raw and "SOFTWARE_TOKEN_MFA" not in raw
    with pytest.raises(SnapshotDecryptError):
        await FlowRepository(pool, store, encryption_key="another-key-" + "x" * 32).get(flow_id)
    with pytest.raises(SnapshotError):
        await FlowRepository(pool, store).get(flow_id)  # no key configured
    plain = FlowRepository(pool, store)
    plain_id, _ = await plain.start(pool.sign_in_flow("alice", PASSWORD))
    assert plain_id is not None
    with pytest.raises(SnapshotDecryptError):  # a key refuses unencrypted records
        await flows.get(plain_id)
    assert (await flows.answer(flow_id, pools.totp(secret))).state == "DONE"


# ------------------------------------------------------------------ no secrets anywhere

RawReader = Callable[[str], Awaitable[list[str]]]
THIRD_PARTY_WIRE_LOGGERS = ("botocore", "aiobotocore", "urllib3", "cognito_local", "aiohttp")


async def assert_no_secrets_in_a_full_flow(
    pools: PoolFactory, caplog: pytest.LogCaptureFixture, store: FlowStore, read_raw: RawReader
) -> None:
    """Sign in with TOTP through the store (a wrong code, then the right one) and grep every
    snapshot, stored record, log line and repr for the password, codes, tokens and client
    secret."""
    caplog.set_level(logging.DEBUG)
    pool, totp_secret = await totp_pool(pools, secret=True)
    client_secret = pool.client_secret_for_refresh
    assert client_secret
    flows = FlowRepository(pool, store)
    texts: list[str] = [repr(pool), repr(flows), repr(store)]

    flow = pool.sign_in_flow("alice", PASSWORD)
    texts += [repr(flow)]
    step = await flow.start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    snapshots = [flow.snapshot()]
    texts += [repr(flow), repr(step), repr(flow.data)]
    flow_id = await flows.add(flow)
    texts += await read_raw(flow_id)

    code = pools.totp(totp_secret)
    bad = wrong_code(code)
    checkout = flows.checkout(flow_id)
    async with checkout as resumed:
        texts += [repr(checkout), repr(resumed)]
        step = await resumed.answer(bad)
        snapshots.append(resumed.snapshot())
    texts += [repr(step), repr(step.error), str(step.error), repr(checkout)]
    texts += await read_raw(flow_id)
    stored = await flows.get(flow_id)
    texts += [repr(stored), repr(await store.get(flow_id))]
    snapshots.append(stored.flow.snapshot())

    checkout = flows.checkout(flow_id)
    async with checkout as resumed:
        step = await resumed.answer(code)
        final = resumed.snapshot()
    assert step.state == "DONE" and step.tokens is not None and checkout.deleted
    texts += [repr(step), repr(step.tokens), repr(checkout), repr(resumed)]
    assert await read_raw(flow_id) == []  # nothing of the finished flow is kept
    with pytest.raises(StoredFlowExpiredError) as gone:
        await flows.get_step(flow_id)
    texts += [repr(gone.value), str(gone.value)]

    tokens = step.tokens
    secrets = {
        "password": PASSWORD,
        "code": code,
        "wrong code": bad,
        "TOTP secret": totp_secret,
        "client secret": client_secret,
        "access token": tokens.access_token,
        "id token": tokens.id_token,
        "refresh token": tokens.refresh_token or "<missing>",
    }
    texts += [json.dumps(s) for s in snapshots]
    # Every log line at DEBUG except botocore's own wire dumps (it logs request and response
    # bodies at DEBUG; the library never does) and the emulator's (the server side).
    ours = [r for r in caplog.records if not r.name.startswith(THIRD_PARTY_WIRE_LOGGERS)]
    texts += [caplog.handler.format(record) for record in ours]
    assert {r.name for r in ours} >= {"cognito_flows.store", "cognito_flows.flows"}
    for what, secret in secrets.items():
        for text in texts:
            assert secret not in text, f"the {what} leaked into: {text[:200]}"
    # The finished flow's own snapshot holds the tokens only as its result.
    final_wo_result = dict(final)
    assert final_wo_result.pop("result")["tokens"]["access_token"] == tokens.access_token
    dumped = json.dumps(final_wo_result)
    for secret in secrets.values():
        assert secret not in dumped


async def test_no_secrets_in_snapshots_logs_or_reprs(
    pools: PoolFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryFlowStore()

    async def read_raw(flow_id: str) -> list[str]:
        return [(await store.get(flow_id)).data] if flow_id in store else []

    await assert_no_secrets_in_a_full_flow(pools, caplog, store, read_raw)
