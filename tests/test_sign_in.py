"""The sign-in flow end to end: aiobotocore over HTTP against the strict local Cognito.

Every ChallengeName, in step mode and handler mode, chains, recoveries and bad input.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from cognito_flows import (
    CodeMismatchError,
    HandlerError,
    IncorrectCredentialsError,
    InvalidAnswerError,
    MissingHandlerError,
    NewPassword,
    PasswordResetRequiredError,
    Step,
    TokenVerifier,
    UserNotConfirmedError,
    srp,
)

from .conftest import PASSWORD, PoolFactory, device_tracking


async def _admin_mfa(pools: PoolFactory, pool: Any, username: str, **settings: Any) -> None:
    await pools.admin.admin_set_user_mfa_preference(
        UserPoolId=pool.user_pool_id, Username=username, **settings
    )


# ------------------------------------------------------------------ plain sign-in


@pytest.mark.parametrize("flow", ["srp", "password", "admin-srp", "admin-password", "admin-no-srp"])
async def test_sign_in_without_challenges(pools: PoolFactory, flow: str) -> None:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    step = await pool.sign_in_flow("alice", PASSWORD, flow=flow).start()
    assert step.state == "DONE", step
    assert step.done and step.ok
    assert step.tokens is not None
    assert step.tokens.username == "alice"
    verifier = TokenVerifier(
        user_pool_id=pool.user_pool_id,
        client_id=pool.client_id,
        endpoint_url=pools.local.endpoint_url,
        clock=pools.local.clock.now,
    )
    claims = await verifier.verify_access_token(step.tokens.access_token)
    assert claims["username"] == "alice"
    id_claims = await verifier.verify_id_token(step.tokens.id_token)
    assert id_claims["cognito:username"] == "alice"


async def test_handler_mode_returns_tokens(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    tokens = await pool.sign_in("alice", PASSWORD)
    assert tokens.refresh_token


async def test_client_with_secret(pools: PoolFactory) -> None:
    pool = await pools.pool(secret=True)
    assert pool.has_secret
    await pools.user(pool, "alice")
    for flow in ("srp", "password", "admin-password"):
        tokens = await pool.sign_in("alice", PASSWORD, flow=flow)
        assert tokens.username == "alice"
    assert "client_secret=<hidden>" in repr(pool)


async def test_sign_in_by_email_alias(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings={"AliasAttributes": ["email"]}, secret=True)
    await pools.user(
        pool, "alice", attributes={"email": "alice@example.com", "email_verified": "true"}
    )
    sign_in = pool.sign_in_flow("alice@example.com", PASSWORD)
    step = await sign_in.start()
    assert step.state == "DONE", step
    assert step.tokens is not None and step.tokens.username == "alice"
    assert sign_in.data.user_id_for_srp == "alice"


async def test_sign_in_with_email_as_username(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings={"UsernameAttributes": ["email"]}, secret=True)
    await pools.user(pool, "bob@example.com", attributes={"email_verified": "true"})
    sign_in = pool.sign_in_flow("bob@example.com", PASSWORD)
    step = await sign_in.start()
    assert step.state == "DONE", step
    # Cognito's user name is a UUID here; SRP and SECRET_HASH used it, not the e-mail.
    assert sign_in.data.user_id_for_srp != "bob@example.com"


# ------------------------------------------------------------------ failures as states


async def test_wrong_password(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    for flow in ("srp", "password"):
        step = await pool.sign_in_flow("alice", "wrong-Passw0rd", flow=flow).start()
        assert step.state == "FAILED"
        assert isinstance(step.error, IncorrectCredentialsError)
        assert "wrong-Passw0rd" not in str(step.error) + repr(step.error)
    with pytest.raises(IncorrectCredentialsError):
        await pool.sign_in("alice", "wrong-Passw0rd")


@pytest.mark.parametrize("prevent", ["ENABLED", "LEGACY"])
async def test_unknown_user(pools: PoolFactory, prevent: str) -> None:
    from cognito_flows import NotAuthorizedError, UserNotFoundError

    pool = await pools.pool(prevent_user_existence_errors=prevent)
    step = await pool.sign_in_flow("nobody", PASSWORD).start()
    assert step.state == "FAILED"
    expected = NotAuthorizedError if prevent == "ENABLED" else UserNotFoundError
    assert isinstance(step.error, expected)


async def test_unconfirmed_user_ends_in_confirm_sign_up(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pool.client.call("SignUp", ClientId=pool.client_id, Username="carol", Password=PASSWORD)
    step = await pool.sign_in_flow("carol", PASSWORD).start()
    assert step.state == "CONFIRM_SIGN_UP"
    assert step.next_flow == "confirm_sign_up"
    assert step.done
    assert isinstance(step.error, UserNotConfirmedError)
    with pytest.raises(UserNotConfirmedError):
        await pool.sign_in("carol", PASSWORD)


async def test_reset_password_required(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "dave", attributes={"email": "d@example.com", "email_verified": "true"})
    await pools.admin.admin_reset_user_password(UserPoolId=pool.user_pool_id, Username="dave")
    step = await pool.sign_in_flow("dave", PASSWORD).start()
    assert step.state == "RESET_PASSWORD"
    assert step.next_flow == "forgot_password"
    assert isinstance(step.error, PasswordResetRequiredError)


# ------------------------------------------------------------------ MFA challenges


async def test_software_token_mfa_with_wrong_then_right_code(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "erin")
    secret = await pools.enroll_totp(pool, "erin")
    sign_in = pool.sign_in_flow("erin", PASSWORD)
    step = await sign_in.start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    assert step.handler == "software_token_mfa"
    assert step.session_expires_at is not None
    wrong = "000000" if pools.totp(secret) != "000000" else "111111"
    step = await sign_in.answer(wrong)
    assert step.state == "SOFTWARE_TOKEN_MFA"
    assert step.retry and isinstance(step.error, CodeMismatchError)
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE", step
    assert step.error is None


async def test_software_token_mfa_handler_mode_retries(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "erin")
    secret = await pools.enroll_totp(pool, "erin")
    calls: list[bool] = []

    async def totp(step: Step) -> str:
        calls.append(step.retry)
        return (
            "123456" if len(calls) == 1 and pools.totp(secret) != "123456" else pools.totp(secret)
        )

    tokens = await pool.sign_in("erin", PASSWORD, handlers={"SOFTWARE_TOKEN_MFA": totp})
    assert tokens.username == "erin"
    assert calls == [False, True]


async def test_sms_mfa(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(
        pool, "fay", attributes={"phone_number": "+15555550100", "phone_number_verified": "true"}
    )
    await _admin_mfa(pools, pool, "fay", SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    sign_in = pool.sign_in_flow("fay", PASSWORD)
    step = await sign_in.start()
    assert step.state == "SMS_MFA"
    assert step.delivery is not None and step.delivery.medium == "SMS"
    assert step.delivery.destination and "0100" in step.delivery.destination
    step = await sign_in.answer(await outbox_code("fay"))
    assert step.state == "DONE", step


async def test_email_otp_mfa(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "gus", attributes={"email": "gus@example.com", "email_verified": "true"})
    await _admin_mfa(pools, pool, "gus", EmailMfaSettings={"Enabled": True, "PreferredMfa": True})

    class Handlers:
        async def email_otp(self, step: Step) -> str:
            assert step.delivery is not None and step.delivery.medium == "EMAIL"
            return await outbox_code("gus")

    tokens = await pool.sign_in("gus", PASSWORD, handlers=Handlers())
    assert tokens.username == "gus"


async def test_select_mfa_type(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(
        pool, "hal", attributes={"phone_number": "+15555550101", "phone_number_verified": "true"}
    )
    secret = await pools.enroll_totp(pool, "hal")
    # Both SMS and TOTP enabled, neither preferred: Cognito asks which one.
    await _admin_mfa(
        pools,
        pool,
        "hal",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    sign_in = pool.sign_in_flow("hal", PASSWORD)
    step = await sign_in.start()
    assert step.state == "SELECT_MFA_TYPE"
    assert set(step.options) >= {"SMS_MFA", "SOFTWARE_TOKEN_MFA"}
    with pytest.raises(InvalidAnswerError):
        await sign_in.answer("CARRIER_PIGEON")
    step = await sign_in.answer("TOTP")  # friendly alias of SOFTWARE_TOKEN_MFA
    assert step.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE", step


async def test_mfa_setup_totp(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "ivy")
    sign_in = pool.sign_in_flow("ivy", PASSWORD)
    step = await sign_in.start()
    assert step.state in ("MFA_SETUP", "MFA_SETUP_SOFTWARE_TOKEN")
    if step.state == "MFA_SETUP":
        assert "SOFTWARE_TOKEN_MFA" in step.options
        step = await sign_in.answer("SOFTWARE_TOKEN_MFA")
    assert step.state == "MFA_SETUP_SOFTWARE_TOKEN"
    assert step.totp is not None
    assert step.totp.secret not in repr(step)
    assert step.totp.uri.startswith("otpauth://totp/")
    with pytest.raises(InvalidAnswerError):
        await sign_in.answer("12345")  # not six digits: refused before any call
    step = await sign_in.answer(pools.totp(step.totp.secret))
    assert step.state == "DONE", step


async def test_mfa_setup_email(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "jay")
    sign_in = pool.sign_in_flow("jay", PASSWORD)
    step = await sign_in.start()
    if step.state == "MFA_SETUP_SOFTWARE_TOKEN":
        pytest.skip("the pool offers only TOTP setup")
    assert step.state == "MFA_SETUP" and "EMAIL_OTP" in step.options
    step = await sign_in.answer("EMAIL")
    assert step.state == "MFA_SETUP_EMAIL"
    with pytest.raises(InvalidAnswerError):
        await sign_in.answer("not-an-address")
    step = await sign_in.answer("jay@example.com")
    assert step.state == "EMAIL_OTP"
    step = await sign_in.answer(await outbox_code("jay"))
    assert step.state == "DONE", step


# ------------------------------------------------------------------ NEW_PASSWORD_REQUIRED


async def test_new_password_required_then_mfa_setup(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "kim", "Temp-Passw0rd!", permanent=False)
    seen: list[str] = []

    class Handlers:
        async def new_password_required(self, step: Step) -> NewPassword:
            seen.append(step.state)
            return NewPassword("N3w-Passw0rd!!")

        async def mfa_setup(self, step: Step) -> str:
            seen.append(step.state)
            if step.state == "MFA_SETUP":
                return "SOFTWARE_TOKEN_MFA"
            assert step.totp is not None
            return pools.totp(step.totp.secret)

    tokens = await pool.sign_in("kim", "Temp-Passw0rd!", handlers=Handlers())
    assert tokens.username == "kim"
    assert seen[0] == "NEW_PASSWORD_REQUIRED"
    assert seen[-1] == "MFA_SETUP_SOFTWARE_TOKEN"


async def test_new_password_required_attributes_and_policy(pools: PoolFactory) -> None:
    pool = await pools.pool(
        pool_settings={
            "Schema": [
                {
                    "Name": "given_name",
                    "AttributeDataType": "String",
                    "Required": True,
                    "Mutable": True,
                },
            ]
        }
    )
    await pools.user(pool, "lee", "Temp-Passw0rd!", permanent=False)
    sign_in = pool.sign_in_flow("lee", "Temp-Passw0rd!")
    step = await sign_in.start()
    assert step.state == "NEW_PASSWORD_REQUIRED"
    if "given_name" in step.required_attributes:
        with pytest.raises(InvalidAnswerError, match="given_name"):
            await sign_in.answer("N3w-Passw0rd!!")
    step = await sign_in.answer(NewPassword("short", {"given_name": "Lee"}))
    assert step.state == "NEW_PASSWORD_REQUIRED" and step.retry
    step = await sign_in.answer(NewPassword("N3w-Passw0rd!!", {"given_name": "Lee"}))
    assert step.state == "DONE", step


# ------------------------------------------------------------------ custom auth


def _email_code_triggers(local: Any, pool_id: str) -> None:
    from cognito_local import TriggerSet

    local.pool(pool_id).set_triggers(TriggerSet.email_code())


async def test_custom_challenge(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool()
    await pools.user(pool, "max", attributes={"email": "max@example.com", "email_verified": "true"})
    _email_code_triggers(pools.local, pool.user_pool_id)
    sign_in = pool.sign_in_flow("max", flow="custom")
    step = await sign_in.start()
    assert step.state == "CUSTOM_CHALLENGE"
    assert step.handler == "custom_challenge"
    step = await sign_in.answer("999999" if await outbox_code("max") != "999999" else "888888")
    assert step.state == "CUSTOM_CHALLENGE"  # the trigger allows another attempt
    step = await sign_in.answer(await outbox_code("max"))
    assert step.state == "DONE", step


async def test_custom_srp_then_custom_challenge_then_totp(
    pools: PoolFactory, outbox_code: Any
) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "ned", attributes={"email": "ned@example.com", "email_verified": "true"})
    secret = await pools.enroll_totp(pool, "ned")
    _email_code_triggers(pools.local, pool.user_pool_id)
    states: list[str] = []
    sign_in = pool.sign_in_flow(
        "ned", PASSWORD, flow="custom-srp", on_transition=lambda ev, src, dst: states.append(dst)
    )
    step = await sign_in.start()
    assert states[0] == "PASSWORD_VERIFIER"
    assert step.state == "CUSTOM_CHALLENGE"
    step = await sign_in.answer(await outbox_code("ned"))
    assert step.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE", step


# ------------------------------------------------------------------ USER_AUTH


async def test_user_auth_email_otp_first_factor(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(
        pool_settings={
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
        }
    )
    await pools.user(pool, "ora", attributes={"email": "ora@example.com", "email_verified": "true"})
    sign_in = pool.sign_in_flow("ora", flow="user-auth", preferred_challenge="EMAIL_OTP")
    step = await sign_in.start()
    assert step.state == "EMAIL_OTP"
    step = await sign_in.answer(await outbox_code("ora"))
    assert step.state == "DONE", step


async def test_user_auth_select_challenge_then_password(pools: PoolFactory) -> None:
    pool = await pools.pool(
        pool_settings={
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
        }
    )
    await pools.user(pool, "pat", attributes={"email": "pat@example.com", "email_verified": "true"})
    sign_in = pool.sign_in_flow("pat", flow="user-auth")
    step = await sign_in.start()
    assert step.state == "SELECT_CHALLENGE"
    assert "PASSWORD" in step.options
    step = await sign_in.answer("PASSWORD")
    assert step.state == "PASSWORD"
    assert step.handler == "password"
    step = await sign_in.answer(PASSWORD)
    assert step.state == "DONE", step


async def test_user_auth_password_srp(pools: PoolFactory) -> None:
    pool = await pools.pool(
        pool_settings={
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
        }
    )
    await pools.user(pool, "quinn")
    step = await pool.sign_in_flow(
        "quinn", PASSWORD, flow="user-auth", preferred_challenge="PASSWORD_SRP"
    ).start()
    assert step.state == "DONE", step


# ------------------------------------------------------------------ devices


async def test_remembered_device_skips_mfa(pools: PoolFactory) -> None:
    pool = await pools.pool(
        mfa="OPTIONAL",
        pool_settings=device_tracking(challenge_new=True, on_prompt=True),
    )
    await pools.user(pool, "rae")
    secret = await pools.enroll_totp(pool, "rae")
    await pool.device_store.delete(pool.user_pool_id, "rae")

    class Handlers:
        async def software_token_mfa(self, step: Step) -> str:
            return pools.totp(secret)

        async def remember_device(self, step: Step) -> bool:
            assert step.tokens is not None
            return True

    tokens = await pool.sign_in("rae", PASSWORD, handlers=Handlers())
    assert tokens.device_key
    device = await pool.device_store.get(pool.user_pool_id, "rae")
    assert device is not None and device.device_key == tokens.device_key
    assert device.device_password not in repr(device)

    states: list[str] = []
    step = await pool.sign_in_flow(
        "rae", PASSWORD, on_transition=lambda ev, src, dst: states.append(dst)
    ).start()
    assert step.state == "DONE", step
    assert "DEVICE_SRP_AUTH" in states and "DEVICE_PASSWORD_VERIFIER" in states
    assert "SOFTWARE_TOKEN_MFA" not in states


async def test_forgotten_device_is_dropped_and_sign_in_retried(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=device_tracking(challenge_new=True, on_prompt=False))
    await pools.user(pool, "sam")
    tokens = await pool.sign_in("sam", PASSWORD, remember_device=True)
    assert tokens.device_key
    await pool.client.call(
        "ForgetDevice", AccessToken=tokens.access_token, DeviceKey=tokens.device_key
    )
    step = await pool.sign_in_flow("sam", PASSWORD, remember_device=False).start()
    assert step.state == "DONE", step
    assert await pool.device_store.get(pool.user_pool_id, "sam") is None


@pytest.mark.parametrize("prompt", [False, True])
async def test_a_device_not_remembered_is_confirmed_and_refresh_works(
    pools: PoolFactory, prompt: bool
) -> None:
    """Issue 11 item 1: NewDeviceMetadata is always confirmed (amplify-js
    getNewDeviceMetadata.ts); not remembering it is UpdateDeviceStatus not_remembered (or
    nothing, when the pool asks the user). Without ConfirmDevice the first refresh fails
    with "Invalid Refresh Token" (Knowledge Center cognito-invalid-refresh-token-error)."""
    pool = await pools.pool(pool_settings=device_tracking(challenge_new=True, on_prompt=prompt))
    await pools.user(pool, "nia")
    tokens = await pool.sign_in("nia", PASSWORD)  # remember_device defaults to False
    assert tokens.device_key
    user = pools.local.pool(pool.user_pool_id).user("nia")
    device = user.devices[tokens.device_key]
    assert device.confirmed and not device.remembered
    assert await pool.device_store.get(pool.user_pool_id, "nia") is None
    refreshed = await pool.refresh_tokens(tokens)
    assert refreshed.access_token and refreshed.device_key == tokens.device_key


async def test_remembering_later_is_update_device_status(pools: PoolFactory) -> None:
    """The flow confirms the device before it asks; answering True remembers it."""
    pool = await pools.pool(pool_settings=device_tracking(challenge_new=True, on_prompt=True))
    await pools.user(pool, "ona")
    flow = pool.sign_in_flow("ona", PASSWORD)
    step = await flow.start()
    assert step.state == "REMEMBER_DEVICE" and step.tokens is not None
    key = str(step.device_key)
    device = pools.local.pool(pool.user_pool_id).user("ona").devices[key]
    assert device.confirmed and not device.remembered  # confirmed before the host answers
    assert (await pool.refresh_tokens(step.tokens)).access_token
    step = await flow.answer(True)
    assert step.state == "DONE" and device.remembered
    stored = await pool.device_store.get(pool.user_pool_id, "ona")
    assert stored is not None and stored.device_key == key


async def test_mfa_setup_never_offers_sms_it_cannot_finish(pools: PoolFactory) -> None:
    """Issue 11 item 2: MFA_SETUP lists SMS_MFA for a user without a phone number (as AWS
    does); the library filters it as amplify-js' getAllowedMfaSetupTypes does, so TOTP,
    the one choice left, is set up without asking."""
    pool = await pools.pool()
    await pools.admin.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        SmsMfaConfiguration={"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/x"}},
        MfaConfiguration="ON",
    )
    await pools.user(pool, "sia")
    states: list[str] = []
    flow = pool.sign_in_flow("sia", PASSWORD, on_transition=lambda e, s, d: states.append(d))
    step = await flow.start()
    assert "MFA_SETUP" in states
    assert step.state == "MFA_SETUP_SOFTWARE_TOKEN", step
    assert step.totp is not None


async def test_software_token_mfa_step_shows_the_friendly_device_name(
    pools: PoolFactory,
) -> None:
    """Issue 11 item 7: SOFTWARE_TOKEN_MFA carries FRIENDLY_DEVICE_NAME, the name given to
    VerifySoftwareToken (Knowledge Center cognito-user-pool-totp-mfa); the step shows it."""
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "fay")
    tokens = await pool.sign_in("fay", PASSWORD)
    call = pool.client.call
    secret = (await call("AssociateSoftwareToken", AccessToken=tokens.access_token))["SecretCode"]
    await call(
        "VerifySoftwareToken",
        AccessToken=tokens.access_token,
        UserCode=pools.totp(secret),
        FriendlyDeviceName="fay's phone",
    )
    await call(
        "SetUserMFAPreference",
        AccessToken=tokens.access_token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    pools.local.clock.advance(30)
    flow = pool.sign_in_flow("fay", PASSWORD)
    step = await flow.start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    assert step.friendly_device_name == "fay's phone"
    step = await flow.answer(pools.totp(secret))
    assert step.state == "DONE" and step.friendly_device_name is None


# ------------------------------------------------------------------ sessions


async def test_expired_session_ends_flow_and_restart(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "tom")
    secret = await pools.enroll_totp(pool, "tom")
    sign_in = pool.sign_in_flow("tom", PASSWORD)
    step = await sign_in.start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    pools.local.clock.advance(10 * 60)
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "EXPIRED"
    assert step.done and step.error is not None
    step = await sign_in.restart(PASSWORD)
    assert step.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE", step


async def test_snapshot_resume_in_another_pool_object(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "uma")
    secret = await pools.enroll_totp(pool, "uma")
    sign_in = pool.sign_in_flow("uma", PASSWORD)
    await sign_in.start()
    snap = sign_in.snapshot()
    text = repr(snap)
    assert PASSWORD not in text
    from cognito_flows import UserPool

    async with UserPool(
        pool.user_pool_id,
        pool.client_id,
        endpoint_url=pool.endpoint_url,
        region=pool.region,
        clock=pools.local.clock.now,
    ) as other:
        resumed = other.resume(snap)
        assert resumed.state == "SOFTWARE_TOKEN_MFA"
        step = await resumed.answer(pools.totp(secret))
        assert step.state == "DONE", step


# ------------------------------------------------------------------ host misbehaviour


async def test_bad_answers_leave_flow_unchanged(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "vic")
    secret = await pools.enroll_totp(pool, "vic")
    sign_in = pool.sign_in_flow("vic", PASSWORD)
    await sign_in.start()
    for bad in ("", "   ", "abc123", "12 34 5x", None, 12.5, True, ["123456"]):
        with pytest.raises(InvalidAnswerError):
            await sign_in.answer(bad)
        assert sign_in.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE"


async def test_missing_handler_names_the_challenge(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "wes")
    await pools.enroll_totp(pool, "wes")
    with pytest.raises(MissingHandlerError) as info:
        await pool.sign_in("wes", PASSWORD, handlers=object())
    assert info.value.challenge == "SOFTWARE_TOKEN_MFA"


async def test_handler_raising_or_returning_wrong_type(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "xia")
    await pools.enroll_totp(pool, "xia")

    async def boom(step: Step) -> str:
        raise RuntimeError("handler bug")

    with pytest.raises(HandlerError) as info:
        await pool.sign_in("xia", PASSWORD, handlers={"software_token_mfa": boom})
    assert isinstance(info.value.__cause__, RuntimeError)

    async def wrong_type(step: Step) -> object:
        return {"code": 1}

    with pytest.raises(InvalidAnswerError):
        await pool.sign_in("xia", PASSWORD, handlers={"software_token_mfa": wrong_type})


async def test_cancelling_a_handler_keeps_the_flow_answerable(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "yan")
    secret = await pools.enroll_totp(pool, "yan")
    sign_in = pool.sign_in_flow("yan", PASSWORD)
    waiting = asyncio.Event()

    async def slow(step: Step) -> str:
        waiting.set()
        await asyncio.sleep(3600)
        return "000000"

    from cognito_flows import run_with_handlers

    task = asyncio.create_task(run_with_handlers(sign_in, {"software_token_mfa": slow}))
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sign_in.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE"


async def test_cancelling_a_cognito_call_keeps_state(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "zed")
    secret = await pools.enroll_totp(pool, "zed")
    sign_in = pool.sign_in_flow("zed", PASSWORD)
    await sign_in.start()
    fault = pools.local.faults.add(
        operation="RespondToAuthChallenge", kind="latency", latency=3600, count=1
    )
    task = asyncio.create_task(sign_in.answer(pools.totp(secret)))
    for _ in range(60_000):  # until the call is in flight at the server: cancel it there
        if fault.fired:
            break
        await asyncio.sleep(0.01)
    # asyncio.wait_for with timeout 0 is the 3.10-compatible asyncio.timeout: it cancels the
    # awaited call and raises TimeoutError (asyncio.TimeoutError before 3.11).
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(task, 0)
    assert sign_in.state == "SOFTWARE_TOKEN_MFA"


async def test_timeout_around_sign_in(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "abe")
    await pools.enroll_totp(pool, "abe")
    asked = asyncio.Event()

    async def never(step: Step) -> str:
        asked.set()
        await asyncio.sleep(3600)
        return ""

    task = asyncio.create_task(
        pool.sign_in("abe", PASSWORD, handlers={"software_token_mfa": never})
    )
    await asked.wait()  # the timeout fires while the handler waits for its user
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(task, 0)


async def test_throttling_is_retried_by_the_client_layer(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "ben")
    pools.local.faults.add(operation="InitiateAuth", kind="throttle", count=2)
    tokens = await pool.sign_in("ben", PASSWORD)
    assert tokens.username == "ben"


async def test_no_secret_in_debug_logs_or_reprs(pools: PoolFactory, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    pool = await pools.pool(secret=True, mfa="OPTIONAL")
    await pools.user(pool, "cy")
    secret = await pools.enroll_totp(pool, "cy")
    sign_in = pool.sign_in_flow("cy", PASSWORD)
    step1 = await sign_in.start()
    code = pools.totp(secret)
    step2 = await sign_in.answer(code)
    assert step2.tokens is not None
    # Every log record, botocore's DEBUG bodies included (they are redacted).
    ours = "\n".join(r.getMessage() for r in caplog.records)
    assert "sign_in" in ours and "withheld by cognito_flows" in ours
    texts = [
        ours,
        repr(sign_in),
        repr(sign_in.data),
        repr(step1),
        repr(step2),
        repr(step2.tokens),
        repr(pool),
        str(sign_in.snapshot()),
    ]
    secrets = [
        PASSWORD,
        code,
        secret,
        step2.tokens.access_token,
        step2.tokens.id_token,
        str(step2.tokens.refresh_token),
    ]
    client_secret = pool.client_secret_for_refresh
    assert client_secret
    secrets.append(client_secret)
    for text in texts[:-1]:
        for s in secrets:
            assert s not in text
    # a finished sign-in's snapshot holds its tokens as the result, nothing else secret
    for s in (PASSWORD, code, secret, client_secret):
        assert s not in texts[-1]


# ------------------------------------------------------------------ handler mode, every step


class AllHandlers:
    """Answers every sign-in step from the emulator's outbox and clock."""

    def __init__(
        self,
        pools: PoolFactory,
        outbox_code: Any,
        username: str,
        secret: str | None = None,
        choice: str = "SOFTWARE_TOKEN_MFA",
        first_factor: str = "PASSWORD",
    ) -> None:
        self.pools, self.outbox_code, self.username = pools, outbox_code, username
        self.secret, self.choice, self.first_factor = secret, choice, first_factor
        self.seen: list[str] = []

    async def _code(self, step: Step) -> str:
        self.seen.append(step.state)
        return await self.outbox_code(self.username)

    sms_mfa = email_otp = sms_otp = custom_challenge = _code

    async def software_token_mfa(self, step: Step) -> str:
        self.seen.append(step.state)
        assert self.secret
        return self.pools.totp(self.secret)

    async def select_mfa_type(self, step: Step) -> str:
        self.seen.append(step.state)
        return self.choice

    async def select_challenge(self, step: Step) -> str:
        self.seen.append(step.state)
        return self.first_factor

    async def password(self, step: Step) -> str:
        self.seen.append(step.state)
        return PASSWORD

    async def new_password_required(self, step: Step) -> NewPassword:
        self.seen.append(step.state)
        return NewPassword("Another-Passw0rd!")

    async def mfa_setup(self, step: Step) -> str:
        self.seen.append(step.state)
        if step.state == "MFA_SETUP":
            return "SOFTWARE_TOKEN_MFA"
        assert step.totp is not None
        return self.pools.totp(step.totp.secret)


_FIRST_FACTORS = {
    "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}}
}


@pytest.mark.parametrize("mode", ["step", "handler"])
async def test_sms_otp_first_factor(pools: PoolFactory, outbox_code: Any, mode: str) -> None:
    pool = await pools.pool(pool_settings=_FIRST_FACTORS)
    await pools.user(
        pool, "otto", attributes={"phone_number": "+15555550199", "phone_number_verified": "true"}
    )
    if mode == "step":
        sign_in = pool.sign_in_flow("otto", flow="user-auth", preferred_challenge="SMS_OTP")
        step = await sign_in.start()
        assert step.state == "SMS_OTP" and step.handler == "sms_otp"
        assert step.delivery is not None and step.delivery.medium == "SMS"
        step = await sign_in.answer(await outbox_code("otto"))
        assert step.state == "DONE", step
    else:
        handlers = AllHandlers(pools, outbox_code, "otto", first_factor="SMS_OTP")
        tokens = await pool.sign_in("otto", flow="user-auth", handlers=handlers)
        assert tokens.username == "otto"
        assert handlers.seen == ["SELECT_CHALLENGE", "SMS_OTP"]


async def test_handler_mode_select_challenge_password(pools: PoolFactory, outbox_code: Any) -> None:
    pool = await pools.pool(pool_settings=_FIRST_FACTORS)
    await pools.user(pool, "pia")
    handlers = AllHandlers(pools, outbox_code, "pia")
    tokens = await pool.sign_in("pia", flow="user-auth", handlers=handlers)
    assert tokens.username == "pia"
    assert handlers.seen == ["SELECT_CHALLENGE", "PASSWORD"]


async def test_handler_mode_select_mfa_type_and_custom(
    pools: PoolFactory, outbox_code: Any
) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(
        pool,
        "quin",
        attributes={
            "phone_number": "+15555550188",
            "phone_number_verified": "true",
            "email": "quin@example.com",
            "email_verified": "true",
        },
    )
    secret = await pools.enroll_totp(pool, "quin")
    await _admin_mfa(
        pools,
        pool,
        "quin",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    handlers = AllHandlers(pools, outbox_code, "quin", secret=secret, choice="SMS")
    await pool.sign_in("quin", PASSWORD, handlers=handlers)
    assert handlers.seen == ["SELECT_MFA_TYPE", "SMS_MFA"]

    _email_code_triggers(pools.local, pool.user_pool_id)
    handlers = AllHandlers(pools, outbox_code, "quin")
    await pool.sign_in("quin", flow="custom", handlers=handlers)
    assert handlers.seen == ["CUSTOM_CHALLENGE"]


async def test_handler_mode_new_password_then_mfa_setup(
    pools: PoolFactory, outbox_code: Any
) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "ray", PASSWORD, permanent=False)
    handlers = AllHandlers(pools, outbox_code, "ray")
    await pool.sign_in("ray", PASSWORD, handlers=handlers)
    assert handlers.seen[0] == "NEW_PASSWORD_REQUIRED"
    assert handlers.seen[-1] == "MFA_SETUP_SOFTWARE_TOKEN"


async def test_two_answers_to_one_flow_never_interleave(pools: PoolFactory) -> None:
    from cognito_flows import FlowFinishedError

    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "sid")
    secret = await pools.enroll_totp(pool, "sid")
    sign_in = pool.sign_in_flow("sid", PASSWORD)
    await sign_in.start()
    code = pools.totp(secret)
    results = await asyncio.gather(
        sign_in.answer(code), sign_in.answer(code), return_exceptions=True
    )
    done = [r for r in results if isinstance(r, Step)]
    assert len(done) == 1 and done[0].state == "DONE"
    assert [type(r) for r in results if not isinstance(r, Step)] == [FlowFinishedError]


# ------------------------------------------------------------------ review regressions


async def test_reused_totp_code_keeps_the_challenge(pools: PoolFactory) -> None:
    from cognito_flows import ExpiredCodeError

    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "tia")
    secret = await pools.enroll_totp(pool, "tia")
    code = pools.totp(secret)
    first = pool.sign_in_flow("tia", PASSWORD)
    await first.start()
    assert (await first.answer(code)).state == "DONE"
    second = pool.sign_in_flow("tia", PASSWORD)
    await second.start()
    step = await second.answer(code)  # "Your software token has already been used once."
    assert step.state == "SOFTWARE_TOKEN_MFA" and step.retry
    assert isinstance(step.error, ExpiredCodeError)
    pools.local.clock.advance(30)
    assert (await second.answer(pools.totp(secret))).state == "DONE"


async def test_totp_secret_is_not_in_snapshots(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "uri")
    sign_in = pool.sign_in_flow("uri", PASSWORD)
    step = await sign_in.start()
    if step.state == "MFA_SETUP":
        step = await sign_in.answer("SOFTWARE_TOKEN_MFA")
    assert step.totp is not None
    secret = step.totp.secret
    snap = sign_in.snapshot()
    assert secret not in str(snap)
    resumed = pool.resume(snap)
    assert resumed.step.state == "MFA_SETUP_SOFTWARE_TOKEN"
    assert resumed.step.totp is None  # shown once, to the request that enrolled
    assert (await resumed.answer(pools.totp(secret))).state == "DONE"


async def test_restart_without_password_changes_nothing(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "val")
    secret = await pools.enroll_totp(pool, "val")
    sign_in = pool.sign_in_flow("val", PASSWORD)
    await sign_in.start()
    pools.local.clock.advance(600)
    assert (await sign_in.answer(pools.totp(secret))).state == "EXPIRED"
    with pytest.raises(InvalidAnswerError):
        await sign_in.restart()
    assert sign_in.state == "EXPIRED"


async def test_mapping_handlers_keyed_by_challenge_name(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "wen")

    async def setup(step: Step) -> str:
        assert step.challenge == "MFA_SETUP"
        if step.state == "MFA_SETUP":
            return "SOFTWARE_TOKEN_MFA"
        assert step.totp is not None
        return pools.totp(step.totp.secret)

    tokens = await pool.sign_in("wen", PASSWORD, handlers={"MFA_SETUP": setup})
    assert tokens.username == "wen"


async def test_untypable_inputs_are_typed_errors(pools: PoolFactory) -> None:
    pool = await pools.pool()
    with pytest.raises(InvalidAnswerError) as info:
        pool.sign_in_flow("x", "bad\ud800password")
    assert "\ud800" not in str(info.value)
    with pytest.raises(InvalidAnswerError):
        pool.sign_in_flow("x", PASSWORD, client_metadata="abc")  # type: ignore[arg-type]
    await pools.user(pool, "xan", "Temp-Passw0rd!", permanent=False)
    sign_in = pool.sign_in_flow("xan", "Temp-Passw0rd!")
    assert (await sign_in.start()).state == "NEW_PASSWORD_REQUIRED"
    for bad in (NewPassword("N3w-Passw0rd!!", None), NewPassword("N3w-Passw0rd!!", ["a"])):  # type: ignore[arg-type]
        with pytest.raises(InvalidAnswerError):
            await sign_in.answer(bad)
    assert sign_in.state == "NEW_PASSWORD_REQUIRED"


async def test_corrupt_device_store_is_a_configuration_error(tmp_path: Any) -> None:
    from cognito_flows import ConfigurationError, FileDeviceStore

    path = tmp_path / "devices.json"
    path.write_text("{not json")
    with pytest.raises(ConfigurationError):
        await FileDeviceStore(path).get("us-east-1_X", "alice")
    path.write_text('{"us-east-1_X/alice": {"device_key": "k"}}')
    assert await FileDeviceStore(path).get("us-east-1_X", "alice") is None


async def test_client_metadata_reaches_the_triggers_on_every_call(
    pools: PoolFactory, outbox_code: Any
) -> None:
    from cognito_local import TriggerSet

    pool = await pools.pool()
    await pools.user(pool, "yul", attributes={"email": "yul@example.com", "email_verified": "true"})
    base = TriggerSet.email_code()
    seen: list[dict[str, str]] = []

    def define(event: dict[str, Any]) -> Any:
        seen.append(dict(event["request"]["clientMetadata"]))
        assert base.define_auth_challenge is not None
        return base.define_auth_challenge(event)

    pools.local.pool(pool.user_pool_id).set_triggers(base, define_auth_challenge=define)
    sign_in = pool.sign_in_flow("yul", flow="custom", client_metadata={"app": "web"})
    await sign_in.start()
    step = await sign_in.answer(await outbox_code("yul"))
    assert step.state == "DONE"
    assert seen == [{"app": "web"}, {"app": "web"}]  # InitiateAuth and the answer


@pytest.mark.parametrize("flow", ["srp", "password"])
async def test_a_flow_waiting_for_mfa_keeps_no_spent_secret(pools: PoolFactory, flow: str) -> None:
    """Thousands of flows may wait for their MFA code: none keeps the SRP ephemeral or the
    password (both spent by then), nor the USERNAME it already recorded; the snapshot has
    no null fields; the flow still signs in."""
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "mia")
    secret = await pools.enroll_totp(pool, "mia")
    sign_in = pool.sign_in_flow("mia", PASSWORD, flow=flow)
    assert (await sign_in.start()).state == "SOFTWARE_TOKEN_MFA"
    assert sign_in.rt.ephemeral is None and sign_in.rt.password is None
    assert sign_in._lock is None  # no lock object while nothing runs
    assert "USER_ID_FOR_SRP" not in sign_in.data.challenge_parameters
    assert sign_in.data.answer_username == "mia"
    snap = sign_in.snapshot()
    assert None not in snap.values() and None not in snap["data"].values()
    resumed = pool.resume(snap)
    assert (await resumed.answer(pools.totp(secret))).state == "DONE"


async def test_an_srp_executor_assigned_to_the_pool_is_the_one_flows_use(
    pools: PoolFactory,
) -> None:
    """``pool.srp = ...`` after the pool is built reaches the flows (it once changed only
    the attribute: flows kept the executor the pool was built with)."""
    pool = await pools.pool()
    await pools.user(pool, "alice")
    ran: list[str] = []

    class Recording(srp.SrpExecutor):
        async def run(self, func: Any, /, *args: Any, **kwargs: Any) -> Any:
            ran.append(func.__name__)
            return await super().run(func, *args, **kwargs)

    recording = Recording()
    pool.srp = recording
    assert pool.srp is recording
    tokens = await pool.sign_in("alice", PASSWORD)
    assert tokens.access_token
    assert "password_verifier_response" in ran


async def test_remember_device_resumed_in_another_process_is_not_remembered(
    pools: PoolFactory,
) -> None:
    """A snapshot never holds the device password: a sign-in resumed at REMEMBER_DEVICE in
    another process cannot store the device, so it does not mark it remembered at Cognito
    (a remembered device no one can answer DEVICE_PASSWORD_VERIFIER for); it signs in."""
    pool = await pools.pool(pool_settings=device_tracking(challenge_new=True, on_prompt=True))
    await pools.user(pool, "uma")
    first = pool.sign_in_flow("uma", PASSWORD)
    step = await first.start()
    assert step.state == "REMEMBER_DEVICE"
    flow = pool.resume(first.snapshot())  # what another worker gets: no runtime secrets
    step = await flow.answer(True)
    assert step.state == "DONE" and step.tokens is not None
    device = pools.local.pool(pool.user_pool_id).user("uma").devices[str(step.device_key)]
    assert device.confirmed and not device.remembered
    assert await pool.device_store.get(pool.user_pool_id, "uma") is None
    assert (await pool.refresh_tokens(step.tokens)).access_token
