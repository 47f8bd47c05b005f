"""The emulator's opt-in request log: off by default, keeps operation + body + error, and
never keeps a secret's value."""

from __future__ import annotations

import json
from typing import Any

from cognito_flows import UserPool
from cognito_local import LocalCognito, RequestLog
from cognito_local.recorder import MASK, mask_secrets

from .conftest import PASSWORD


async def test_records_requests_with_secrets_masked(local: LocalCognito) -> None:
    local.pool().create_user("rec", PASSWORD)
    assert local.backend.requests is None  # off by default
    log = RequestLog()
    local.backend.requests = log
    async with UserPool(
        local.user_pool_id,
        local.secret_client_id,
        client_secret=local.client_secret,
        endpoint_url=local.endpoint_url,
        region=local.region,
        clock=local.clock.now,
    ) as pool:
        tokens = await pool.sign_in("rec", PASSWORD)
        await pool.account(tokens).change_password(PASSWORD, PASSWORD + "2")
        step = await pool.sign_in_flow("rec", "Wrong-Passw0rd!", flow="password").start()
        assert step.state == "FAILED"
        ops = [r.operation for r in log.requests]
        assert ops == [
            "InitiateAuth",
            "RespondToAuthChallenge",
            "ChangePassword",
            "InitiateAuth",
        ]
        first, verifier, change, wrong = log.requests
        assert first.body["AuthParameters"] == {
            "USERNAME": "rec",
            "SRP_A": MASK,
            "SECRET_HASH": MASK,
        }
        assert set(verifier.body["ChallengeResponses"]) >= {
            "PASSWORD_CLAIM_SIGNATURE",
            "PASSWORD_CLAIM_SECRET_BLOCK",
            "TIMESTAMP",
        }
        assert verifier.body["ChallengeResponses"]["PASSWORD_CLAIM_SIGNATURE"] == MASK
        assert change.body["AccessToken"] == MASK and change.body["ProposedPassword"] == MASK
        assert (first.error, wrong.error) == (None, "NotAuthorizedException")
        dump = json.dumps([r.body for r in log.requests])
        for secret in (PASSWORD, tokens.access_token, local.client_secret):
            assert secret not in dump
    local.backend.requests = None
    log.clear()
    assert len(log) == 0


def test_mask_secrets_keeps_choices_and_masks_answers() -> None:
    body: dict[str, Any] = {
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": "s" * 30,
        "ChallengeResponses": {"USERNAME": "u", "ANSWER": "EMAIL_OTP"},
        "UserAttributes": [{"Name": "email", "Value": "e@example.com"}],
    }
    masked = mask_secrets(body)
    assert masked["Session"] == MASK
    assert masked["ChallengeResponses"] == {"USERNAME": "u", "ANSWER": "EMAIL_OTP"}
    assert masked["UserAttributes"] == body["UserAttributes"]
    custom = mask_secrets({"ChallengeResponses": {"USERNAME": "u", "ANSWER": "123456"}})
    assert custom["ChallengeResponses"]["ANSWER"] == MASK
