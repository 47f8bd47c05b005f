"""Flows and Account operations reconcile a lost answer (issue 13, item 1, flow level).

Every test runs end to end over real HTTP through :class:`~tests.lost_answers.LostAnswerProxy`:
the emulator applies the call, the proxy drops its answer or answers 500, and the flow or
Account result must say what Cognito did, never that the call failed. Each test checks,
straight at the emulator, that the call was applied exactly once.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cognito_flows import ResetPassword
from cognito_flows.errors import CognitoFlowsError, OutcomeUnknownError
from cognito_flows.tokens import TokenSet

from . import test_lost_answers as lost
from .conftest import PASSWORD
from .lost_answers import Loss
from .test_lost_answers import NEW_PASSWORD, World

# The lossy world and its proxy: the fixtures of tests/test_lost_answers.py.
world = lost.world
proxy = lost.proxy

HOWS: list[Loss] = ["drop", "500"]
EMAIL = {"email": "alice@example.com"}


async def _signed_in(w: World, *, remember: bool = False, **user: Any) -> TokenSet:
    await w.user(attributes={**EMAIL, "email_verified": "true"}, **user)
    return await w.lossy.sign_in("alice", PASSWORD, remember_device=remember)


# ------------------------------------------------------------------ sign-up


@pytest.mark.parametrize("how", HOWS)
async def test_sign_up_lost_waits_for_the_code(world: World, how: Loss) -> None:
    flow = world.lossy.sign_up_flow("alice", PASSWORD, attributes=EMAIL)
    world.proxy.lose("SignUp", how)
    step = await flow.start()
    assert step.state == "CONFIRM_SIGN_UP", "a user who may exist is not FAILED"
    assert isinstance(step.error, OutcomeUnknownError)
    assert step.error.operation == "SignUp"
    assert world.proxy.applied["SignUp"] == 1
    assert await world.status() == "UNCONFIRMED"
    assert world.sent() == 1
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "CONFIRMED" and step.error is None


@pytest.mark.parametrize("how", HOWS)
async def test_confirm_sign_up_lost_is_confirmed(world: World, how: Loss) -> None:
    flow = world.lossy.sign_up_flow("alice", PASSWORD, attributes=EMAIL)
    await flow.start()
    world.proxy.lose("ConfirmSignUp", how)
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "CONFIRMED", step.error
    assert step.error is None
    assert await world.status() == "CONFIRMED"
    # The probe is the second ConfirmSignUp; Cognito answered it "already CONFIRMED".
    assert world.proxy.applied["ConfirmSignUp"] == 2
    step = await flow.sign_in_flow().start()
    assert step.state in ("DONE", "REMEMBER_DEVICE")  # signed in with the password


async def test_confirm_sign_up_lost_without_session(world: World) -> None:
    await world.direct.client.call(
        "SignUp",
        ClientId=world.direct.client_id,
        Username="alice",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )
    flow = world.lossy.confirm_sign_up_flow("alice")
    world.proxy.lose("ConfirmSignUp", "drop")
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "CONFIRMED"
    assert await world.status() == "CONFIRMED"


async def test_confirm_sign_up_probe_keeps_a_wrong_code(world: World) -> None:
    """The probe's own error is the answer when it is not "already CONFIRMED"."""
    flow = world.lossy.sign_up_flow("alice", PASSWORD, attributes=EMAIL)
    await flow.start()
    world.proxy.lose("ConfirmSignUp", "500")
    step = await flow.answer("000000")
    assert step.state == "CONFIRM_SIGN_UP"
    assert step.error is not None and step.error.code == "CodeMismatchException"
    assert await world.status() == "UNCONFIRMED"


@pytest.mark.parametrize("how", HOWS)
async def test_resend_confirmation_code_lost_is_sent_once_more(
    world: World, how: Loss, caplog: pytest.LogCaptureFixture
) -> None:
    flow = world.lossy.sign_up_flow("alice", PASSWORD, attributes=EMAIL)
    await flow.start()
    world.proxy.lose("ResendConfirmationCode", how)
    with caplog.at_level(logging.WARNING, logger="cognito_flows.flows"):
        step = await flow.resend()
    assert step.state == "CONFIRM_SIGN_UP" and step.error is None
    assert world.sent() == 3  # SignUp's, the lost resend's and the one sent again
    assert "may have been sent twice" in caplog.text
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "CONFIRMED"


# ------------------------------------------------------------------ forgot password


@pytest.mark.parametrize("how", HOWS)
async def test_confirm_forgot_password_lost_says_it_may_be_reset(world: World, how: Loss) -> None:
    await world.user(attributes={**EMAIL, "email_verified": "true"})
    flow = world.lossy.forgot_password_flow("alice")
    await flow.start()
    code = world.local.outbox.last(username="alice").code
    world.proxy.lose("ConfirmForgotPassword", how)
    step = await flow.answer(ResetPassword(code, NEW_PASSWORD))
    assert step.state == "RESET_UNKNOWN" and step.done
    assert isinstance(step.error, OutcomeUnknownError)
    assert step.next_flow == "sign_in"
    assert world.proxy.applied["ConfirmForgotPassword"] == 1
    await world.sign_in(password=NEW_PASSWORD)  # the reset happened


@pytest.mark.parametrize("how", HOWS)
async def test_forgot_password_lost_is_sent_once_more(world: World, how: Loss) -> None:
    await world.user(attributes={**EMAIL, "email_verified": "true"})
    flow = world.lossy.forgot_password_flow("alice")
    world.proxy.lose("ForgotPassword", how)
    step = await flow.start()
    assert step.state == "CONFIRM_FORGOT_PASSWORD" and step.error is None
    assert world.sent() == 2
    code = world.local.outbox.last(username="alice").code
    step = await flow.answer(ResetPassword(code, NEW_PASSWORD))
    assert step.state == "DONE"


# ------------------------------------------------------------------ sign-in


@pytest.mark.parametrize("how", HOWS)
async def test_lost_challenge_answer_ends_expired_and_restarts(world: World, how: Loss) -> None:
    await world.user()
    flow = world.lossy.sign_in_flow("alice", PASSWORD, remember_device=False)
    world.proxy.lose("RespondToAuthChallenge", how)  # PASSWORD_VERIFIER
    step = await flow.start()
    assert step.state == "EXPIRED", step.error
    assert isinstance(step.error, OutcomeUnknownError)
    assert world.proxy.applied["RespondToAuthChallenge"] == 1
    step = await flow.restart()
    assert step.state == "DONE" and step.tokens is not None


async def test_lost_new_password_answer_ends_expired(world: World) -> None:
    await world.user(permanent=False)
    flow = world.lossy.sign_in_flow("alice", PASSWORD)
    step = await flow.start()
    assert step.state == "NEW_PASSWORD_REQUIRED"
    before = world.proxy.applied["RespondToAuthChallenge"]  # PASSWORD_VERIFIER's
    world.proxy.lose("RespondToAuthChallenge", "500")
    step = await flow.answer(NEW_PASSWORD)
    assert step.state == "EXPIRED"
    assert isinstance(step.error, OutcomeUnknownError)
    assert world.proxy.applied["RespondToAuthChallenge"] == before + 1
    assert await world.status() == "CONFIRMED"  # applied once: the new password works
    await world.sign_in(password=NEW_PASSWORD)


# ------------------------------------------------------------------ TOTP setup


@pytest.mark.parametrize("prefer", [False, True])
@pytest.mark.parametrize("how", HOWS)
async def test_verify_software_token_lost_is_done(world: World, how: Loss, prefer: bool) -> None:
    tokens = await _signed_in(world)
    account = world.lossy.account(tokens)
    flow = account.totp_setup_flow(prefer=prefer)
    step = await flow.start()
    assert step.totp is not None
    world.proxy.lose("VerifySoftwareToken", how)
    step = await flow.answer(world.pools.totp(step.totp.secret))
    assert step.state == "DONE", step.error
    assert world.proxy.applied["VerifySoftwareToken"] == 1
    user = await world.direct.client.call("GetUser", AccessToken=tokens.access_token)
    if prefer:
        assert user.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA"
    else:
        # The probe's enabling was undone: the settings are what a verified setup leaves.
        assert "SOFTWARE_TOKEN_MFA" not in (user.get("UserMFASettingList") or ())
    # Verified: only a verified TOTP can be enabled.
    await world.direct.client.call(
        "SetUserMFAPreference",
        AccessToken=tokens.access_token,
        SoftwareTokenMfaSettings={"Enabled": True},
    )


async def test_verify_software_token_lost_and_not_verified_stays(world: World) -> None:
    """The probe finds TOTP unverified (a wrong code): the flow waits for another code."""
    tokens = await _signed_in(world)
    flow = world.lossy.account(tokens).totp_setup_flow()
    step = await flow.start()
    assert step.totp is not None
    world.proxy.lose("VerifySoftwareToken", "500")
    step = await flow.answer("000000" if world.pools.totp(step.totp.secret) != "000000" else "1")
    assert step.state == "VERIFY_SOFTWARE_TOKEN"
    assert isinstance(step.error, OutcomeUnknownError)
    step = await flow.answer(world.pools.totp(step.totp.secret if step.totp else ""))
    assert step.state == "DONE"


@pytest.mark.parametrize("how", HOWS)
async def test_associate_software_token_lost_is_sent_once_more(world: World, how: Loss) -> None:
    tokens = await _signed_in(world)
    flow = world.lossy.account(tokens).totp_setup_flow()
    world.proxy.lose("AssociateSoftwareToken", how)
    step = await flow.start()
    assert step.state == "VERIFY_SOFTWARE_TOKEN" and step.totp is not None
    assert world.proxy.applied["AssociateSoftwareToken"] == 2
    step = await flow.answer(world.pools.totp(step.totp.secret))  # the secret shown works
    assert step.state == "DONE"


# ------------------------------------------------------------------ attribute verification


@pytest.mark.parametrize("how", HOWS)
async def test_verify_user_attribute_lost_is_verified(world: World, how: Loss) -> None:
    await world.user(attributes=EMAIL)
    tokens = await world.lossy.sign_in("alice", PASSWORD, remember_device=False)
    flow = world.lossy.account(tokens).verify_attribute_flow("email")
    await flow.start()
    world.proxy.lose("VerifyUserAttribute", how)
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "VERIFIED", step.error
    assert world.proxy.applied["VerifyUserAttribute"] == 1
    assert (await world.attributes())["email_verified"] == "true"


async def test_verify_user_attribute_lost_and_not_verified_stays(world: World) -> None:
    await world.user(attributes=EMAIL)
    tokens = await world.lossy.sign_in("alice", PASSWORD, remember_device=False)
    flow = world.lossy.account(tokens).verify_attribute_flow("email")
    await flow.start()
    world.proxy.lose("VerifyUserAttribute", "drop")
    step = await flow.answer("000000")
    assert step.state == "CONFIRM_ATTRIBUTE"
    assert isinstance(step.error, OutcomeUnknownError)
    step = await flow.answer(world.local.outbox.last(username="alice").code)
    assert step.state == "VERIFIED"


@pytest.mark.parametrize("how", HOWS)
async def test_attribute_code_lost_is_sent_once_more(world: World, how: Loss) -> None:
    await world.user(attributes=EMAIL)
    tokens = await world.lossy.sign_in("alice", PASSWORD, remember_device=False)
    flow = world.lossy.account(tokens).verify_attribute_flow("email")
    world.proxy.lose("GetUserAttributeVerificationCode", how)
    step = await flow.start()
    assert step.state == "CONFIRM_ATTRIBUTE" and step.error is None
    assert world.sent() == 2


# ------------------------------------------------------------------ Account


@pytest.mark.parametrize("how", HOWS)
async def test_change_password_lost_is_reconciled(world: World, how: Loss) -> None:
    tokens = await _signed_in(world)
    world.proxy.lose("ChangePassword", how)
    await world.lossy.account(tokens).change_password(PASSWORD, NEW_PASSWORD)
    await world.sign_in(password=NEW_PASSWORD)
    with pytest.raises(CognitoFlowsError, match="Incorrect"):
        await world.sign_in(password=PASSWORD)


async def test_change_password_lost_through_the_pool(world: World) -> None:
    tokens = await _signed_in(world)
    world.proxy.lose("ChangePassword", "drop")
    await world.lossy.change_password(tokens.access_token, PASSWORD, NEW_PASSWORD)
    await world.sign_in(password=NEW_PASSWORD)


@pytest.mark.parametrize("how", HOWS)
async def test_forget_device_lost_is_success(world: World, how: Loss) -> None:
    tokens = await _signed_in(world, remember=True)
    assert tokens.device_key
    world.proxy.lose("ForgetDevice", how)
    await world.lossy.account(tokens).forget_device()
    listed = await world.direct.client.call("ListDevices", AccessToken=tokens.access_token)
    assert listed["Devices"] == []
    assert world.proxy.applied["ForgetDevice"] == 2  # the retry answered "does not exist"
    stored = await world.lossy.device_store.get(world.direct.user_pool_id, "alice")
    assert stored is None


@pytest.mark.parametrize("how", HOWS)
async def test_global_sign_out_lost_is_success(world: World, how: Loss) -> None:
    tokens = await _signed_in(world)
    account = world.lossy.account(tokens)
    world.proxy.lose("GlobalSignOut", how)
    await account.global_sign_out()
    with pytest.raises(CognitoFlowsError, match="revoked"):
        await world.direct.client.call("GetUser", AccessToken=tokens.access_token)


@pytest.mark.parametrize("how", HOWS)
async def test_delete_user_lost_is_success(world: World, how: Loss) -> None:
    tokens = await _signed_in(world)
    world.proxy.lose("DeleteUser", how)
    await world.lossy.account(tokens).delete_user()
    with pytest.raises(Exception, match="UserNotFound"):
        await world.status()


@pytest.mark.parametrize(
    "operation", ["UpdateUserAttributes", "DeleteUserAttributes", "RevokeToken"]
)
async def test_repeatable_account_operations_are_sent_once_more(
    world: World, operation: str
) -> None:
    tokens = await _signed_in(world)
    account = world.lossy.account(tokens)
    world.proxy.lose(operation, "500")
    if operation == "UpdateUserAttributes":
        await account.update_attributes({"name": "Alice"})
        assert (await world.attributes())["name"] == "Alice"
    elif operation == "DeleteUserAttributes":
        await account.update_attributes({"name": "Alice"})
        await account.delete_attributes(["name"])
        assert "name" not in await world.attributes()
    else:
        await account.revoke()
        with pytest.raises(CognitoFlowsError):
            await world.direct.client.call("GetUser", AccessToken=tokens.access_token)
    assert world.proxy.applied[operation] == 2


async def test_a_lost_answer_survives_a_snapshot(world: World) -> None:
    await world.user(attributes={**EMAIL, "email_verified": "true"})
    flow = world.lossy.forgot_password_flow("alice")
    await flow.start()
    code = world.local.outbox.last(username="alice").code
    world.proxy.lose("ConfirmForgotPassword", "drop")
    await flow.answer(ResetPassword(code, NEW_PASSWORD))
    snapshot = flow.snapshot()
    assert code not in str(snapshot) and NEW_PASSWORD not in str(snapshot)
    resumed = world.lossy.resume(snapshot)
    step = resumed.step
    assert step.state == "RESET_UNKNOWN"
    assert isinstance(step.error, OutcomeUnknownError)
    assert step.error.operation == "ConfirmForgotPassword"
    assert step.error.reason == flow.step.error.reason  # type: ignore[union-attr]
