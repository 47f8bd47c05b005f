"""Snapshots written by an earlier release still resume, show the same step and answer.

The fixtures in ``tests/snapshots/v1/`` were written by release 0.1.0's code
(``tests/snapshots/generate.py``) and are never regenerated to make this test pass: a change
that breaks them breaks every flow a user has stored in Redis.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import InvalidAnswerError, UserPool

from .scripted_cognito import ScriptedCognito, error
from .snapshots.generate import step_fields

FIXTURES = sorted((Path(__file__).parent / "snapshots" / "v1").glob("*.json"))
# The TOTP secret is never stored, so a resumed setup step cannot show it again.
NOT_RESUMED = {"totp"}
# Sign-in states answered with a code, and the ChallengeResponses key that carries it.
CODE_STATES = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "CUSTOM_CHALLENGE": "ANSWER",
}


def _load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return fixture


def _without_nulls(value: Any) -> Any:
    """``value`` without its null fields: what a snapshot is written as since 0.2."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _pool(snapshot: dict[str, Any], endpoint: str = "http://127.0.0.1:9") -> UserPool:
    return UserPool(
        snapshot["user_pool_id"], snapshot["client_id"], region="us-east-1", endpoint_url=endpoint
    )


def test_fixtures_cover_every_flow_type() -> None:
    flows = {_load(path)["snapshot"]["flow"] for path in FIXTURES}
    assert flows == {"sign_in", "sign_up", "forgot_password", "totp_setup", "verify_attribute"}
    assert len(FIXTURES) >= 15


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
async def test_old_snapshot_resumes_to_the_same_step(path: Path) -> None:
    fixture = _load(path)
    async with _pool(fixture["snapshot"]) as pool:
        flow = pool.resume(fixture["snapshot"])
        got = step_fields(flow.step)
        for key, expected in fixture["step"].items():
            if key in NOT_RESUMED:
                continue
            assert got[key] == expected, key
        # Taking a snapshot again writes what the old release wrote, minus its null fields.
        again = flow.snapshot()
        assert again == _without_nulls(fixture["snapshot"])
        assert None not in _values(again)


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in [item, *_values(item)]]
    return []


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
async def test_snapshot_with_and_without_nulls_resume_identically(path: Path) -> None:
    fixture = _load(path)
    with_nulls = fixture["snapshot"]
    without = _without_nulls(with_nulls)
    assert without != with_nulls  # 0.1.0 wrote null fields: the two really differ
    async with _pool(with_nulls) as pool:
        a, b = pool.resume(with_nulls), pool.resume(without)
        assert type(a) is type(b)
        assert a.data == b.data
        assert step_fields(a.step) == step_fields(b.step)
        assert a.snapshot() == b.snapshot()


@pytest.mark.parametrize(
    "path",
    [p for p in FIXTURES if _load(p)["step"]["state"] in CODE_STATES],
    ids=lambda p: p.stem,
)
async def test_old_snapshot_refuses_a_bad_answer_without_a_call(path: Path) -> None:
    fixture = _load(path)
    async with _pool(fixture["snapshot"]) as pool:
        flow = pool.resume(fixture["snapshot"])
        with pytest.raises(InvalidAnswerError):
            await flow.answer(["not", "a", "code"])
        assert flow.snapshot() == _without_nulls(fixture["snapshot"])


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[ScriptedCognito, str]]:
    """Records each request and answers every one "session expired"."""
    expired = error("NotAuthorizedException", "Invalid session for the user, session is expired.")
    async with ScriptedCognito(default=expired) as server:
        yield server, server.url


@pytest.mark.parametrize(
    "path",
    [p for p in FIXTURES if _load(p)["step"]["state"] in CODE_STATES],
    ids=lambda p: p.stem,
)
async def test_old_sign_in_snapshot_answers_with_its_session(
    path: Path, recorder: tuple[ScriptedCognito, str]
) -> None:
    server, endpoint = recorder
    fixture = _load(path)
    snapshot = fixture["snapshot"]
    async with _pool(snapshot, endpoint) as pool:
        flow = pool.resume(snapshot)
        step = await flow.answer("123456")
    [request] = server.requests
    operation, body = request.operation, request.body
    state = fixture["step"]["state"]
    assert operation == "RespondToAuthChallenge"
    assert body["ChallengeName"] == state
    assert body["Session"] == snapshot["data"]["session"]
    assert body["ChallengeResponses"][CODE_STATES[state]] == "123456"
    assert body["ChallengeResponses"]["USERNAME"] == snapshot["data"]["cognito_username"]
    # Cognito's answer for a dead session ends the flow in a state that says so.
    assert step.done and step.state == "EXPIRED"
