"""Devices, MFA_SETUP and refresh against canned AWS-shaped answers (issue 11 items 1, 2, 7).

A scripted JSON 1.1 server (``tests/scripted_cognito.py``) answers as AWS's documentation
shows, over real HTTP through aiobotocore; each test checks what the library sends and where
the flow ends. Sources are named at each answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from cognito_flows import InvalidAnswerError, PhoneNumberRequiredError, UserPool

from .scripted_cognito import Reply, ScriptedCognito, error

PASSWORD = "Not-Logged-Passw0rd!"
#: The shape of a JWT is all TokenSet needs here (it never verifies the signature).
TOKEN = "eyJraWQiOiJleGFtcGxlIn0.eyJzdWIiOiJleGFtcGxlIn0.c2ln"
DEVICE_KEY = "us-east-1_a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
#: API reference, AuthenticationResultType / NewDeviceMetadataType (DeviceKey, DeviceGroupKey).
RESULT = {
    "AccessToken": TOKEN,
    "IdToken": TOKEN,
    "RefreshToken": "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.EXAMPLE",
    "ExpiresIn": 3600,
    "TokenType": "Bearer",
    "NewDeviceMetadata": {"DeviceKey": DEVICE_KEY, "DeviceGroupKey": "-wt2ha1Zd"},
}


def ok(body: dict[str, Any]) -> Reply:
    return 200, body


@pytest.fixture
async def aws() -> AsyncIterator[tuple[ScriptedCognito, str]]:
    async with ScriptedCognito() as server:
        yield server, server.url


def _pool(endpoint: str) -> UserPool:
    return UserPool("us-east-1_Example1", "client", endpoint_url=endpoint)


# ------------------------------------------------------------------ item 1: devices


async def test_new_device_is_confirmed_even_when_not_remembered(aws: Any) -> None:
    """API reference ConfirmDevice answers ``{"UserConfirmationNecessary": true}`` in a pool
    that asks the user; amplify-js getNewDeviceMetadata.ts confirms every new device."""
    server, endpoint = aws
    server.on("InitiateAuth", ok({"ChallengeParameters": {}, "AuthenticationResult": RESULT}))
    server.on("ConfirmDevice", ok({"UserConfirmationNecessary": True}))
    async with _pool(endpoint) as pool:
        tokens = await pool.sign_in("alice", PASSWORD, flow="password", remember_device=False)
    assert tokens.device_key == DEVICE_KEY
    [confirm] = server.sent("ConfirmDevice")
    assert confirm["DeviceKey"] == DEVICE_KEY and confirm["AccessToken"] == TOKEN
    assert set(confirm["DeviceSecretVerifierConfig"]) == {"PasswordVerifier", "Salt"}
    assert server.sent("UpdateDeviceStatus") == []  # already not remembered


async def test_not_remembering_in_an_always_pool_is_not_remembered(aws: Any) -> None:
    """``UserConfirmationNecessary: false``: ConfirmDevice remembered it; not remembering it
    is UpdateDeviceStatus not_remembered (API reference UpdateDeviceStatus)."""
    server, endpoint = aws
    server.on("InitiateAuth", ok({"ChallengeParameters": {}, "AuthenticationResult": RESULT}))
    server.on("ConfirmDevice", ok({"UserConfirmationNecessary": False}))
    server.on("UpdateDeviceStatus", ok({}))
    async with _pool(endpoint) as pool:
        await pool.sign_in("alice", PASSWORD, flow="password", remember_device=False)
        assert await pool.device_store.get(pool.user_pool_id, "alice") is None
    [update] = server.sent("UpdateDeviceStatus")
    assert update["DeviceRememberedStatus"] == "not_remembered"


async def test_lost_confirm_device_answer_retried_with_the_same_verifier(aws: Any) -> None:
    """A ConfirmDevice answered HTTP 500 (applied or not) is sent again with the same
    verifier; ``DeviceKeyExistsException`` (API reference ConfirmDevice errors) proves the
    first one was applied."""
    server, endpoint = aws
    server.on("InitiateAuth", ok({"ChallengeParameters": {}, "AuthenticationResult": RESULT}))
    server.on(
        "ConfirmDevice",
        error("InternalErrorException", "Internal error", 500),
        error("DeviceKeyExistsException", "Device already exists"),
    )
    server.on("UpdateDeviceStatus", ok({}))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
        assert step.state == "REMEMBER_DEVICE" and step.tokens is not None
        step = await flow.answer(True)
        assert step.state == "DONE"
        stored = await pool.device_store.get(pool.user_pool_id, "alice")
    first, second = server.sent("ConfirmDevice")
    assert first["DeviceSecretVerifierConfig"] == second["DeviceSecretVerifierConfig"]
    [update] = server.sent("UpdateDeviceStatus")
    assert update["DeviceRememberedStatus"] == "remembered"
    assert stored is not None and stored.device_key == DEVICE_KEY


# ------------------------------------------------------------------ item 2: MFA_SETUP


def _mfa_setup(types: str) -> Reply:
    # amplify-js __tests__/providers/cognito/testUtils/authApiTestParams.ts: MFA_SETUP with
    # MFAS_CAN_SETUP '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'.
    return ok(
        {
            "ChallengeName": "MFA_SETUP",
            "Session": "s" * 40,
            "ChallengeParameters": {"MFAS_CAN_SETUP": types, "USER_ID_FOR_SRP": "alice"},
        }
    )


async def test_mfa_setup_with_sms_and_totp_sets_up_totp(aws: Any) -> None:
    server, endpoint = aws
    server.on("InitiateAuth", _mfa_setup('["SMS_MFA","SOFTWARE_TOKEN_MFA"]'))
    # API reference AssociateSoftwareToken: SecretCode and a new Session.
    server.on("AssociateSoftwareToken", ok({"SecretCode": "A" * 32, "Session": "t" * 40}))
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", PASSWORD, flow="password").start()
    assert step.state == "MFA_SETUP_SOFTWARE_TOKEN"
    assert server.operations == ["InitiateAuth", "AssociateSoftwareToken"]


async def test_mfa_setup_choice_never_includes_sms(aws: Any) -> None:
    server, endpoint = aws
    server.on("InitiateAuth", _mfa_setup('["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]'))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
        assert step.state == "MFA_SETUP" and step.options == ("SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
        with pytest.raises(InvalidAnswerError):
            await flow.answer("SMS")


async def test_mfa_setup_with_only_sms_asks_for_a_phone_number(aws: Any) -> None:
    """Only SMS left: the flow ends in PHONE_NUMBER_REQUIRED with a typed error (amplify-js:
    "Cannot initiate MFA setup from available types"), not an exception from start()."""
    server, endpoint = aws
    server.on("InitiateAuth", _mfa_setup('["SMS_MFA"]'))
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", PASSWORD, flow="password").start()
        assert step.state == "PHONE_NUMBER_REQUIRED" and step.done
        assert isinstance(step.error, PhoneNumberRequiredError)
        with pytest.raises(PhoneNumberRequiredError):
            await pool.sign_in("alice", PASSWORD, flow="password")
    assert PASSWORD not in str(step.error)


# ------------------------------------------------------------------ item 7


async def test_stale_device_in_an_mfa_state_is_forgotten_and_the_answer_sent_again(
    aws: Any,
) -> None:
    """ "Device does not exist." while answering SMS_MFA: the device is forgotten and the same
    answer goes again without DEVICE_KEY (amplify-js retryOnResourceNotFoundException.ts),
    not a ProtocolError."""
    from cognito_flows.devices import RememberedDevice

    server, endpoint = aws
    server.on(
        "InitiateAuth",
        ok(
            {
                "ChallengeName": "SMS_MFA",
                "Session": "s" * 40,
                # API reference, CodeDeliveryDetailsType-style SMS_MFA parameters.
                "ChallengeParameters": {
                    "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                    "CODE_DELIVERY_DESTINATION": "+*******1234",
                    "USER_ID_FOR_SRP": "alice",
                },
            }
        ),
    )
    result = {k: v for k, v in RESULT.items() if k != "NewDeviceMetadata"}
    server.on(
        "RespondToAuthChallenge",
        error("ResourceNotFoundException", "Device does not exist."),
        ok({"ChallengeParameters": {}, "AuthenticationResult": result}),
    )
    async with _pool(endpoint) as pool:
        await pool.device_store.put(
            pool.user_pool_id, "alice", RememberedDevice(DEVICE_KEY, "-wt2ha1Zd", "pw")
        )
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
        assert step.state == "SMS_MFA"
        step = await flow.answer("123456")
        assert step.state == "DONE", step
        assert await pool.device_store.get(pool.user_pool_id, "alice") is None
    first, second = server.sent("RespondToAuthChallenge")
    assert first["ChallengeResponses"]["DEVICE_KEY"] == DEVICE_KEY
    assert "DEVICE_KEY" not in second["ChallengeResponses"]
    assert second["ChallengeResponses"]["SMS_MFA_CODE"] == "123456"
    assert second["Session"] == first["Session"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("UserNotFoundException", "user_not_found"),
        ("PasswordResetRequiredException", "password_reset_required"),
        ("UserNotConfirmedException", "user_not_confirmed"),
    ],
)
async def test_refresh_errors_meaning_the_user_is_gone_sign_out(
    aws: Any, code: str, reason: str
) -> None:
    """amplify-js TokenOrchestrator.isAuthenticationError clears the session on these; the
    botocore model lists them for GetTokensFromRefreshToken / InitiateAuth."""
    from cognito_flows import SignedOutError, TokenManager, TokenSet

    server, endpoint = aws
    server.on("GetTokensFromRefreshToken", error(code, "User does not exist."))
    async with _pool(endpoint) as pool:
        tokens = TokenSet.from_authentication_result(RESULT, now=0.0)  # long expired
        signed_out: list[SignedOutError] = []
        manager = TokenManager(tokens, pool.refresh_tokens, on_signed_out=signed_out.append)
        with pytest.raises(SignedOutError) as info:
            await manager.get_tokens()
        assert info.value.reason == reason
        assert signed_out and signed_out[0].reason == reason
        with pytest.raises(SignedOutError):
            await manager.get_tokens()
    assert len(server.sent("GetTokensFromRefreshToken")) == 1


async def test_software_token_mfa_shows_the_friendly_device_name(aws: Any) -> None:
    """Knowledge Center cognito-user-pool-totp-mfa: SOFTWARE_TOKEN_MFA's ChallengeParameters
    are {"FRIENDLY_DEVICE_NAME": "ExampleDevice", "USER_ID_FOR_SRP": "ExampleName"}."""
    server, endpoint = aws
    server.on(
        "InitiateAuth",
        ok(
            {
                "ChallengeName": "SOFTWARE_TOKEN_MFA",
                "Session": "s" * 40,
                "ChallengeParameters": {
                    "FRIENDLY_DEVICE_NAME": "ExampleDevice",
                    "USER_ID_FOR_SRP": "ExampleName",
                },
            }
        ),
    )
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("ExampleName", PASSWORD, flow="password").start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    assert step.friendly_device_name == "ExampleDevice"
