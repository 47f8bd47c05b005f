"""A snapshot that says DONE without its result is refused on resume (issue 13, item 8)."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from cognito_flows import SnapshotError, UserPool
from cognito_flows.inputs import require_complete_snapshot
from cognito_flows.store import FlowRepository, MemoryFlowStore

from .conftest import PASSWORD, PoolFactory


def _damaged(done: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def edit(fn: Any) -> dict[str, Any]:
        snap = copy.deepcopy(done)
        fn(snap)
        return snap

    return {
        "no result": edit(lambda s: s.pop("result")),
        "result is null": edit(lambda s: s.update(result=None)),
        "result is a list": edit(lambda s: s.update(result=[1])),
        "no tokens": edit(lambda s: s.update(result={})),
        "tokens empty": edit(lambda s: s.update(result={"tokens": {}})),
        "tokens a string": edit(lambda s: s.update(result={"tokens": "x"})),
        "no access token": edit(lambda s: s["result"]["tokens"].pop("access_token")),
        "expires_at NaN": edit(lambda s: s["result"]["tokens"].update(expires_at=math.nan)),
        "remember_device without tokens": edit(
            lambda s: (s.pop("result"), s["data"].update(state="REMEMBER_DEVICE"))
        ),
    }


@pytest.fixture
async def done(pools: PoolFactory) -> tuple[UserPool, dict[str, Any]]:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    flow = pool.sign_in_flow("alice", PASSWORD, remember_device=False)
    step = await flow.start()
    assert step.state == "DONE" and step.tokens is not None
    snap = flow.snapshot()
    assert snap["result"]["tokens"]["access_token"] == step.tokens.access_token
    return pool, snap


async def test_the_complete_snapshot_resumes(done: tuple[UserPool, dict[str, Any]]) -> None:
    pool, snap = done
    require_complete_snapshot(snap)
    assert pool.resume(snap).step.tokens is not None


async def test_validator_refuses_every_damaged_done_snapshot(
    done: tuple[UserPool, dict[str, Any]],
) -> None:
    for name, snap in _damaged(done[1]).items():
        with pytest.raises(SnapshotError):
            require_complete_snapshot(snap)
        assert name  # for the traceback


@pytest.mark.parametrize("case", ["no result", "tokens empty", "expires_at NaN"])
async def test_flow_store_refuses_a_done_snapshot_without_result(
    done: tuple[UserPool, dict[str, Any]], case: str
) -> None:
    pool, snap = done
    store = MemoryFlowStore(clock=pool.clock)
    repo = FlowRepository(pool, store, keep_finished=True)
    await store.create("flow-1", json.dumps(_damaged(snap)[case]), ttl=60)
    with pytest.raises(SnapshotError):
        await repo.get("flow-1")
    with pytest.raises(SnapshotError):
        async with repo.checkout("flow-1"):
            pytest.fail("the block must not run")  # pragma: no cover
    assert not (await store.get("flow-1")).busy  # the claim was released


@pytest.mark.parametrize("case", ["no result", "tokens empty", "expires_at NaN"])
async def test_pool_resume_refuses_a_done_snapshot_without_result(
    done: tuple[UserPool, dict[str, Any]], case: str
) -> None:
    pool, snap = done
    with pytest.raises(SnapshotError):
        pool.resume(_damaged(snap)[case])
