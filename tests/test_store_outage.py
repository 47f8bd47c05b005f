"""Redis going down (issue 13, item 4), against a real redis-server stopped mid-test.

While Redis is down the store and the refresh coordinator raise StoreUnavailableError (a
CognitoFlowsError), never a raw redis exception; a DONE answer Cognito gave survives a
store that died after it; a CancelledError is never replaced by the store's failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from cognito_flows import CognitoFlowsError, TokenSet
from cognito_flows.errors import StoreUnavailableError
from cognito_flows.store import FlowRepository, RedisFlowStore, RedisRefreshCoordinator

from .conftest import PASSWORD, PoolFactory
from .redis_server import RedisServer, start_redis
from .test_store import totp_pool

pytestmark = pytest.mark.redis


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop."""
    try:
        srv = start_redis()
    except FileNotFoundError:
        import os

        if os.environ.get("CF_REQUIRE_REDIS", "") not in ("", "0"):
            raise
        pytest.skip("redis-server is not installed")
    yield srv
    if srv.process.poll() is None:
        srv.stop()


def _stop(server: RedisServer) -> None:
    server.process.kill()
    server.process.wait(timeout=10)


@pytest.fixture
async def store(server: RedisServer) -> AsyncIterator[RedisFlowStore]:
    s = RedisFlowStore(server.url)
    yield s
    with contextlib.suppress(StoreUnavailableError):
        await s.aclose()


async def test_every_store_operation_is_typed_while_redis_is_down(
    server: RedisServer, store: RedisFlowStore
) -> None:
    await store.create("f1", "data", ttl=60)
    claimed = await store.claim("f1", lease=10)
    _stop(server)
    calls: dict[str, Any] = {
        "create": store.create("f2", "data", ttl=60),
        "get": store.get("f1"),
        "claim": store.claim("f1", lease=10),
        "save": store.save("f1", "new", version=claimed.version, ttl=60),
        "release": store.release("f1", version=claimed.version),
        "delete": store.delete("f1"),
    }
    for name, call in calls.items():
        with pytest.raises(StoreUnavailableError) as caught:
            await call
        assert caught.value.operation == name
        assert isinstance(caught.value, CognitoFlowsError)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def _stored_sign_in(
    pools: PoolFactory, store: RedisFlowStore
) -> tuple[FlowRepository, str, str]:
    pool, secret = await totp_pool(pools)
    repo = FlowRepository(pool, store)
    flow_id, step = await repo.start(pool.sign_in_flow("alice", PASSWORD, remember_device=False))
    assert flow_id is not None and step.state == "SOFTWARE_TOKEN_MFA"
    return repo, flow_id, pools.totp(secret)


async def test_done_step_survives_redis_dying_after_cognito_answered(
    pools: PoolFactory, server: RedisServer, store: RedisFlowStore
) -> None:
    repo, flow_id, code = await _stored_sign_in(pools, store)
    checkout = repo.checkout(flow_id)
    async with checkout as flow:
        step = await flow.answer(code)  # Cognito signs alice in
        _stop(server)  # ... and Redis dies before the checkout deletes the finished flow
    assert step.done and step.state == "DONE"
    assert isinstance(step.tokens, TokenSet) and step.tokens.access_token
    assert isinstance(checkout.save_error, StoreUnavailableError)
    assert checkout.save_error.operation == "delete"


async def test_repository_answer_returns_the_tokens_when_redis_dies(
    pools: PoolFactory, server: RedisServer, store: RedisFlowStore
) -> None:
    repo, flow_id, code = await _stored_sign_in(pools, store)
    real_call = repo.pool.client.call

    async def call_then_kill_redis(operation: str, **params: Any) -> Any:
        answer = await real_call(operation, **params)
        if operation == "RespondToAuthChallenge":
            _stop(server)
        return answer

    repo.pool.client.call = call_then_kill_redis  # type: ignore[method-assign]
    step = await repo.answer(flow_id, code)
    assert step.state == "DONE" and isinstance(step.tokens, TokenSet)


async def test_waiting_step_whose_save_fails_is_a_typed_error(
    pools: PoolFactory, server: RedisServer, store: RedisFlowStore
) -> None:
    repo, flow_id, code = await _stored_sign_in(pools, store)
    with pytest.raises(StoreUnavailableError):
        async with repo.checkout(flow_id) as flow:
            step = await flow.answer("000000" if code != "000000" else "111111")
            assert step.retry  # a wrong code: the flow waits again and must be saved
            _stop(server)


async def test_claim_while_redis_is_down(
    pools: PoolFactory, server: RedisServer, store: RedisFlowStore
) -> None:
    repo, flow_id, _ = await _stored_sign_in(pools, store)
    _stop(server)
    with pytest.raises(StoreUnavailableError):
        async with repo.checkout(flow_id):
            pytest.fail("the block must not run")  # pragma: no cover


async def test_cancelled_error_is_not_swallowed_when_the_save_fails(
    pools: PoolFactory, server: RedisServer, store: RedisFlowStore
) -> None:
    repo, flow_id, _ = await _stored_sign_in(pools, store)
    checkout = repo.checkout(flow_id)
    with pytest.raises(asyncio.CancelledError):
        async with checkout:
            _stop(server)
            raise asyncio.CancelledError
    assert isinstance(checkout.save_error, StoreUnavailableError)


def _tokens(refresh: str = "refresh-token-1") -> TokenSet:
    return TokenSet(access_token="a.b.c", id_token="a.b.c", expires_at=0, refresh_token=refresh)


async def test_refresh_coordinator_is_typed_while_redis_is_down(server: RedisServer) -> None:
    calls: list[TokenSet] = []

    async def refresh(old: TokenSet) -> TokenSet:
        calls.append(old)
        return _tokens("refresh-token-2")

    coordinator = RedisRefreshCoordinator(server.url, refresh=refresh)
    _stop(server)
    with pytest.raises(StoreUnavailableError):
        await coordinator(_tokens())
    assert calls == []  # nothing reached Cognito
    await coordinator.aclose()


async def test_refresh_result_survives_redis_dying_during_the_refresh(
    server: RedisServer,
) -> None:
    async def refresh(old: TokenSet) -> TokenSet:
        _stop(server)  # Cognito answered; Redis is gone before the result is shared
        return _tokens("refresh-token-2")

    coordinator = RedisRefreshCoordinator(server.url, refresh=refresh)
    new = await coordinator(_tokens())
    assert new.refresh_token == "refresh-token-2"
    assert coordinator.refreshes == 1
