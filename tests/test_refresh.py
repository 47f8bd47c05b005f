"""Token refresh against the strict local Cognito: GetTokensFromRefreshToken, the
REFRESH_TOKEN_AUTH fallback, client secrets, devices, rotation, revocation, and single-flight
refresh proven by counting requests at the server.

The emulator has no request log; a zero-latency fault on an operation counts every request
for it that reaches the server (``Fault.fired``), which is what these tests use.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest

from cognito_flows import (
    NotAuthorizedError,
    RefreshTokenReuseError,
    SignedOutError,
    TokenRevokedError,
    TokenSet,
    TooManyRequestsError,
)
from cognito_flows.account import Account, refresh_tokens, token_manager

PoolFactory = Any
PASSWORD = "Corr3ct-Horse!"  # the conftest's default password
ROTATION = {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}
DEVICES = {
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": False,
        "DeviceOnlyRememberedOnUserPrompt": False,
    }
}


def _counters(pools: PoolFactory, latency: float = 0.0) -> dict[str, Any]:
    """Server-side request counters for the two refresh operations."""
    return {
        op: pools.local.faults.add(operation=op, kind="latency", latency=latency)
        for op in ("GetTokensFromRefreshToken", "InitiateAuth")
    }


def _near_expiry(pools: PoolFactory, tokens: TokenSet, left: float = 30.0) -> None:
    """Advance the emulator's clock until ``tokens`` have ``left`` seconds to live."""
    pools.local.clock.advance(tokens.expires_in(pools.local.clock.now()) - left)


def _without_get_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the emulator answer GetTokensFromRefreshToken with UnknownOperationException,
    like a Cognito-compatible server that predates the operation."""
    from cognito_local.params import OPERATIONS

    monkeypatch.delitem(OPERATIONS, "GetTokensFromRefreshToken")


def _record_calls(pool: Any) -> list[str]:
    """The operations ``pool`` calls from now on (client side)."""
    calls: list[str] = []
    original = pool.client.call

    async def call(operation: str, **params: Any) -> Any:
        calls.append(operation)
        return await original(operation, **params)

    pool.client.call = call
    return calls


async def test_refresh_with_get_tokens_from_refresh_token(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    tokens = await pool.sign_in("alice", PASSWORD)
    counters = _counters(pools)
    pools.local.clock.advance(5)
    new = await refresh_tokens(pool, tokens)
    assert counters["GetTokensFromRefreshToken"].fired == 1
    assert counters["InitiateAuth"].fired == 0
    assert new.access_token != tokens.access_token and new.id_token != tokens.id_token
    assert new.refresh_token == tokens.refresh_token  # no rotation: the old one is kept
    assert new.expires_at > tokens.expires_at
    assert new.username == "alice"
    assert (await Account(pool, new).get_user()).username == "alice"


@pytest.mark.parametrize("fallback", [False, True])
async def test_refresh_client_with_secret_and_email_username(
    pools: PoolFactory, monkeypatch: pytest.MonkeyPatch, fallback: bool
) -> None:
    # The Cognito user name is a UUID here: SECRET_HASH of the fallback must use it, not the
    # e-mail the user typed (the emulator refuses a hash of the e-mail).
    pool = await pools.pool(secret=True, pool_settings={"UsernameAttributes": ["email"]})
    await pools.user(pool, "bob@example.com", attributes={"email_verified": "true"})
    tokens = await pool.sign_in("bob@example.com", PASSWORD)
    assert tokens.username != "bob@example.com"
    if fallback:
        _without_get_tokens(monkeypatch)
    calls = _record_calls(pool)
    new = await refresh_tokens(pool, tokens)
    assert new.username == tokens.username
    again = await refresh_tokens(pool, new)
    assert again.refresh_token == tokens.refresh_token
    if fallback:
        # Asked once; from then on this pool goes straight to REFRESH_TOKEN_AUTH.
        assert calls == ["GetTokensFromRefreshToken", "InitiateAuth", "InitiateAuth"]
    else:
        assert calls == ["GetTokensFromRefreshToken"] * 2


async def test_refresh_fallback_with_alias_and_secret(
    pools: PoolFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = await pools.pool(secret=True, pool_settings={"AliasAttributes": ["email"]})
    await pools.user(
        pool, "carol", attributes={"email": "carol@example.com", "email_verified": "true"}
    )
    tokens = await pool.sign_in("carol@example.com", PASSWORD)
    _without_get_tokens(monkeypatch)
    counters = _counters(pools)
    new = await refresh_tokens(pool, tokens)
    assert counters["InitiateAuth"].fired == 1
    assert new.username == "carol"


async def test_refresh_keeps_the_device(
    pools: PoolFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = await pools.pool(pool_settings=DEVICES)
    await pools.user(pool, "dan")
    tokens = await pool.sign_in("dan", PASSWORD, remember_device=True)
    assert tokens.device_key
    # The emulator, like Cognito, refuses a device-bound refresh token without its device.
    with pytest.raises(NotAuthorizedError):
        await refresh_tokens(pool, attrs.evolve(tokens, device_key=None))
    new = await refresh_tokens(pool, tokens)
    assert new.device_key == tokens.device_key
    _without_get_tokens(monkeypatch)
    newer = await refresh_tokens(pool, new)
    assert newer.device_key == tokens.device_key


async def test_rotation_replaces_the_refresh_token(pools: PoolFactory) -> None:
    pool = await pools.pool(client_settings=ROTATION)
    await pools.user(pool, "eve")
    tokens = await pool.sign_in("eve", PASSWORD)
    manager = token_manager(pool, tokens)
    _near_expiry(pools, tokens)
    fresh = await manager.get_tokens()
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    assert manager.tokens is fresh
    pools.local.clock.advance(1)
    # The old refresh token is spent once its (zero) grace period is over.
    with pytest.raises(RefreshTokenReuseError):
        await refresh_tokens(pool, tokens)
    # The new one works, and rotates again.
    _near_expiry(pools, fresh)
    newer = await manager.get_tokens()
    assert newer.refresh_token not in (tokens.refresh_token, fresh.refresh_token)


async def test_reused_rotated_token_signs_the_manager_out(pools: PoolFactory) -> None:
    pool = await pools.pool(client_settings=ROTATION)
    await pools.user(pool, "fin")
    tokens = await pool.sign_in("fin", PASSWORD)
    await refresh_tokens(pool, tokens)  # someone else rotated it
    pools.local.clock.advance(1)
    manager = token_manager(pool, tokens)
    _near_expiry(pools, tokens)
    with pytest.raises(SignedOutError) as info:
        await manager.get_tokens()
    assert info.value.reason == "revoked"
    assert isinstance(info.value.__cause__, RefreshTokenReuseError)
    assert manager.state == "signed_out"


async def test_expired_refresh_token_signs_out(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "gil")
    tokens = await pool.sign_in("gil", PASSWORD)
    events: list[SignedOutError] = []
    manager = token_manager(pool, tokens, on_signed_out=events.append)
    pools.local.clock.advance(31 * 86400)
    with pytest.raises(SignedOutError):
        await manager.get_tokens()
    assert manager.state == "signed_out" and len(events) == 1
    assert isinstance(events[0].__cause__, TokenRevokedError)
    # Signed out: no further refresh is tried.
    counters = _counters(pools)
    with pytest.raises(SignedOutError):
        await Account(pool, manager).get_user()
    assert counters["GetTokensFromRefreshToken"].fired == 0


async def test_transient_failure_keeps_the_session(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "hap")
    tokens = await pool.sign_in("hap", PASSWORD)
    manager = token_manager(pool, tokens)
    _near_expiry(pools, tokens)
    pools.local.faults.add(operation="GetTokensFromRefreshToken", kind="throttle", count=10)
    with pytest.raises(TooManyRequestsError):
        await manager.get_tokens()
    assert manager.state == "signed_in"
    pools.local.faults.clear()
    assert (await manager.get_tokens()).access_token != tokens.access_token


async def test_no_refresh_token(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "ivy")
    tokens = attrs.evolve(await pool.sign_in("ivy", PASSWORD), refresh_token=None)
    with pytest.raises(SignedOutError) as info:
        await refresh_tokens(pool, tokens)
    assert info.value.reason == "no_refresh_token"


async def test_single_flight_refresh_counted_at_the_server(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "jay")
    tokens = await pool.sign_in("jay", PASSWORD)
    manager = token_manager(pool, tokens)
    # Each refresh request waits 0.2 s at the server, so all callers overlap with it.
    counters = _counters(pools, latency=0.2)
    _near_expiry(pools, tokens)
    results = await asyncio.gather(*(manager.get_tokens() for _ in range(1000)))
    assert counters["GetTokensFromRefreshToken"].fired == 1
    assert counters["InitiateAuth"].fired == 0
    assert len({id(r) for r in results}) == 1
    assert results[0].access_token != tokens.access_token
    # Fresh now: another burst refreshes nothing.
    await asyncio.gather(*(manager.get_tokens() for _ in range(100)))
    assert counters["GetTokensFromRefreshToken"].fired == 1


async def test_single_flight_through_account_calls(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "kai")
    tokens = await pool.sign_in("kai", PASSWORD)
    account = Account(pool, tokens)
    counters = _counters(pools, latency=0.1)
    get_user = pools.local.faults.add(operation="GetUser", kind="latency", latency=0.0)
    _near_expiry(pools, tokens)
    infos = await asyncio.gather(*(account.get_user() for _ in range(50)))
    assert {i.username for i in infos} == {"kai"}
    assert counters["GetTokensFromRefreshToken"].fired == 1
    assert get_user.fired == 50
    assert account.manager.tokens is not None
    assert account.manager.tokens.access_token != tokens.access_token
