"""Every flow besides sign-in, end to end over HTTP against the strict local Cognito.

Sign-up (confirm, resend, expiry, auto sign-in), forgot password, change password, TOTP
setup outside sign-in, MFA preferences, attribute updates and verification, devices,
sign-out, revocation and deletion: step mode and handler mode where there is a flow.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from cognito_flows import (
    CodeMismatchError,
    CognitoError,
    ConfigurationError,
    EnableSoftwareTokenMFAError,
    ExpiredCodeError,
    IncorrectCredentialsError,
    InvalidAnswerError,
    InvalidPasswordError,
    NotAuthorizedError,
    ResetPassword,
    SignedOutError,
    Step,
    TokenRevokedError,
    TotpCode,
    UsernameExistsError,
    UserNotFoundError,
)
from cognito_flows.account import Account, DeviceInfo, UserInfo, refresh_tokens, token_manager
from cognito_flows.drivers.account import TotpSetupFlow, VerifyAttributeFlow
from cognito_flows.drivers.sign_up import ForgotPasswordFlow, SignUpFlow
from cognito_flows.flows.totp_setup import TOTP_SETUP
from cognito_flows.flows.verify_attribute import VERIFY_ATTRIBUTE

# The conftest's fixtures, typed loosely so this module does not import it (tests/ may or
# may not be a package).
PoolFactory = Any
PASSWORD = "Corr3ct-Horse!"  # the conftest's default password

NEW_PASSWORD = "N3w-Passw0rd!x"
EMAIL_POOL = {"AutoVerifiedAttributes": ["email"]}


def _wrong(code: str) -> str:
    """A code of the same length that is certainly not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def _code(pools: PoolFactory, username: str, purpose: str) -> str:
    return str(pools.local.outbox.last(username=username, purpose=purpose).code)


async def _signed_in(pools: PoolFactory, pool: Any, username: str, **user: Any) -> Account:
    await pools.user(pool, username, **user)
    return Account(pool, await pool.sign_in(username, PASSWORD))


def _no_secrets(text: str, *secrets: str | None) -> None:
    for secret in secrets:
        if secret:
            assert secret not in text


# ------------------------------------------------------------------ sign-up


async def test_sign_up_step_mode(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    flow = pool.sign_up_flow("alice", PASSWORD, attributes={"email": "alice@example.com"})
    step = await flow.start()
    assert step.state == "CONFIRM_SIGN_UP" and step.handler == "confirm_sign_up"
    assert step.delivery is not None and step.delivery.medium == "EMAIL"
    assert step.delivery.destination == "a***@e***"
    code = _code(pools, "alice", "SIGN_UP")
    step = await flow.answer(_wrong(code))
    assert step.state == "CONFIRM_SIGN_UP" and step.retry
    assert isinstance(step.error, CodeMismatchError)
    step = await flow.answer(code)
    assert step.state == "CONFIRMED" and step.ok and step.next_flow == "sign_in"
    _no_secrets(json.dumps(flow.snapshot()) + repr(flow), PASSWORD, code)
    tokens = await pool.sign_in("alice", PASSWORD)
    assert tokens.username == "alice"


async def test_sign_up_handler_mode_with_wrong_code_first(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    seen: list[Step] = []

    class Handlers:
        async def confirm_sign_up(self, step: Step) -> str:
            seen.append(step)
            code = _code(pools, "bob", "SIGN_UP")
            return _wrong(code) if len(seen) == 1 else code

    result = await pool.sign_up(
        "bob", PASSWORD, attributes={"email": "bob@example.com"}, handlers=Handlers()
    )
    assert result.confirmed and result.user_sub and result.tokens is None
    assert [s.retry for s in seen] == [False, True]


async def test_sign_up_expired_code_then_resend(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    flow = pool.sign_up_flow("carol", PASSWORD, attributes={"email": "carol@example.com"})
    await flow.start()
    old = _code(pools, "carol", "SIGN_UP")
    pools.local.clock.advance(24 * 3600 + 1)
    # The user comes back a day later: the SignUp session has expired with the code. The
    # same flow confirms without the session and reports the expired code.
    step = await flow.answer(old)
    assert step.state == "CONFIRM_SIGN_UP" and step.retry, repr(step.error)
    assert isinstance(step.error, ExpiredCodeError)
    step = await flow.resend()
    assert step.state == "CONFIRM_SIGN_UP" and step.error is None
    assert step.delivery is not None and step.delivery.medium == "EMAIL"
    assert len(pools.local.outbox.all(username="carol", purpose="SIGN_UP")) == 2
    step = await flow.answer(_code(pools, "carol", "SIGN_UP"))
    assert step.state == "CONFIRMED"
    assert (await flow.sign_in_flow().start()).state == "DONE"


async def test_sign_up_policy_violation_and_existing_name(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    step = await pool.sign_up_flow("dave", "short").start()
    assert step.state == "FAILED"
    assert isinstance(step.error, InvalidPasswordError)
    with pytest.raises(InvalidPasswordError):
        await pool.sign_up("dave", "short")
    await pools.user(pool, "erin")
    step = await pool.sign_up_flow("erin", PASSWORD).start()
    assert step.state == "FAILED" and isinstance(step.error, UsernameExistsError)
    with pytest.raises(UsernameExistsError):
        await pool.sign_up("erin", PASSWORD)


async def test_sign_up_with_auto_sign_in(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)

    class Handlers:
        async def confirm_sign_up(self, step: Step) -> str:
            return _code(pools, "fay", "SIGN_UP")

    result = await pool.sign_up(
        "fay",
        PASSWORD,
        attributes={"email": "fay@example.com"},
        handlers=Handlers(),
        auto_sign_in=True,
    )
    assert result.tokens is not None and result.tokens.username == "fay"
    info = await Account(pool, result.tokens).get_user()
    assert info.attributes["email_verified"] == "true"


async def test_sign_in_unconfirmed_then_confirm_then_sign_in(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    await pool.sign_up_flow("gus", PASSWORD, attributes={"email": "gus@example.com"}).start()
    sign_in = pool.sign_in_flow("gus", PASSWORD)
    step = await sign_in.start()
    assert step.state == "CONFIRM_SIGN_UP" and step.next_flow == "confirm_sign_up"
    confirm = sign_in.next_flow()
    assert isinstance(confirm, SignUpFlow) and confirm.state == "CONFIRM_SIGN_UP"
    step = await confirm.answer(_code(pools, "gus", "SIGN_UP"))
    assert step.state == "CONFIRMED"
    step = await confirm.sign_in_flow().start()
    assert step.state == "DONE", step
    assert step.tokens is not None and step.tokens.username == "gus"


# ------------------------------------------------------------------ forgot password


async def _user_with_email(pools: PoolFactory, pool: Any, username: str) -> None:
    await pools.user(
        pool, username, attributes={"email": f"{username}@example.com", "email_verified": "true"}
    )


async def test_forgot_password_step_mode(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    await _user_with_email(pools, pool, "hal")
    flow = pool.forgot_password_flow("hal")
    step = await flow.start()
    assert step.state == "CONFIRM_FORGOT_PASSWORD"
    assert step.handler == "confirm_forgot_password"
    assert step.delivery is not None and step.delivery.medium == "EMAIL"
    code = _code(pools, "hal", "FORGOT_PASSWORD")
    step = await flow.answer(ResetPassword(_wrong(code), NEW_PASSWORD))
    assert step.retry and isinstance(step.error, CodeMismatchError)
    step = await flow.answer(ResetPassword(code, "weak"))
    assert step.retry and isinstance(step.error, InvalidPasswordError)
    assert step.state == "CONFIRM_FORGOT_PASSWORD"
    snap = json.dumps(flow.snapshot())
    _no_secrets(snap + repr(flow) + repr(ResetPassword(code, NEW_PASSWORD)), code, NEW_PASSWORD)
    step = await flow.answer((code, NEW_PASSWORD))
    assert step.state == "DONE" and step.next_flow == "sign_in"
    with pytest.raises(IncorrectCredentialsError):
        await pool.sign_in("hal", PASSWORD)
    assert (await pool.sign_in("hal", NEW_PASSWORD)).username == "hal"


async def test_forgot_password_expired_code_and_handler_mode(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    await _user_with_email(pools, pool, "ida")
    flow = pool.forgot_password_flow("ida")
    await flow.start()
    old = _code(pools, "ida", "FORGOT_PASSWORD")
    pools.local.clock.advance(3601)
    step = await flow.answer(ResetPassword(old, NEW_PASSWORD))
    assert step.retry and isinstance(step.error, ExpiredCodeError)
    step = await flow.resend()
    assert step.error is None
    step = await flow.answer(ResetPassword(_code(pools, "ida", "FORGOT_PASSWORD"), NEW_PASSWORD))
    assert step.state == "DONE"

    asked: list[Step] = []

    class Handlers:
        async def confirm_forgot_password(self, step: Step) -> ResetPassword:
            asked.append(step)
            code = _code(pools, "ida", "FORGOT_PASSWORD")
            return ResetPassword(code, "weak" if len(asked) == 1 else PASSWORD)

    await pool.forgot_password("ida", handlers=Handlers())
    assert [type(s.error) for s in asked] == [type(None), InvalidPasswordError]
    assert (await pool.sign_in("ida", PASSWORD)).username == "ida"


@pytest.mark.parametrize("prevent", ["ENABLED", "LEGACY"])
async def test_forgot_password_unknown_user(pools: PoolFactory, prevent: str) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL, prevent_user_existence_errors=prevent)
    flow = pool.forgot_password_flow("nobody")
    step = await flow.start()
    if prevent == "ENABLED":
        # Indistinguishable from a real user until the code is refused.
        assert step.state == "CONFIRM_FORGOT_PASSWORD"
        step = await flow.answer(ResetPassword("123456", NEW_PASSWORD))
        assert step.state == "CONFIRM_FORGOT_PASSWORD" and step.retry
        assert isinstance(step.error, CodeMismatchError)
    else:
        assert step.state == "FAILED" and isinstance(step.error, UserNotFoundError)


async def test_sign_in_reset_required_then_forgot_password(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    await _user_with_email(pools, pool, "jon")
    await pools.admin.admin_reset_user_password(UserPoolId=pool.user_pool_id, Username="jon")
    sign_in = pool.sign_in_flow("jon", PASSWORD)
    step = await sign_in.start()
    assert step.state == "RESET_PASSWORD" and step.next_flow == "forgot_password"
    reset = sign_in.next_flow()
    assert isinstance(reset, ForgotPasswordFlow)
    step = await reset.start()
    assert step.state == "CONFIRM_FORGOT_PASSWORD"
    step = await reset.answer(ResetPassword(_code(pools, "jon", "FORGOT_PASSWORD"), NEW_PASSWORD))
    assert step.state == "DONE"
    assert (await pool.sign_in("jon", NEW_PASSWORD)).username == "jon"


# ------------------------------------------------------------------ password


async def test_change_password(pools: PoolFactory) -> None:
    pool = await pools.pool()
    account = await _signed_in(pools, pool, "kim")
    with pytest.raises(IncorrectCredentialsError):
        await account.change_password("Wr0ng-password!", NEW_PASSWORD)
    with pytest.raises(InvalidPasswordError):
        await account.change_password(PASSWORD, "weak")
    with pytest.raises(InvalidAnswerError):
        await account.change_password(PASSWORD, "")
    await account.change_password(PASSWORD, NEW_PASSWORD)
    assert (await pool.sign_in("kim", NEW_PASSWORD)).username == "kim"


# ------------------------------------------------------------------ profile


async def test_get_user_and_auth_factors(pools: PoolFactory) -> None:
    pool = await pools.pool()
    account = await _signed_in(pools, pool, "lea", attributes={"email": "lea@example.com"})
    info = await account.get_user()
    assert isinstance(info, UserInfo)
    assert info.username == "lea" and info.attributes["email"] == "lea@example.com"
    assert info.sub and info.preferred_mfa is None and info.mfa_settings == []
    assert account.username == "lea"
    factors = await account.get_auth_factors()
    assert factors.username == "lea" and "PASSWORD" in factors.configured_factors
    assert "eyJ" not in repr(account)


async def test_update_attributes_then_verify_step_mode(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    await _user_with_email(pools, pool, "max")
    account = Account(pool, await pool.sign_in("max", PASSWORD))
    deliveries = await account.update_attributes({"email": "new@example.com", "given_name": "Max"})
    assert len(deliveries) == 1
    assert deliveries[0].medium == "EMAIL" and deliveries[0].attribute == "email"
    info = await account.get_user()
    assert info.attributes["given_name"] == "Max"
    assert info.attributes["email"] == "new@example.com"
    assert info.attributes["email_verified"] == "false"

    flow = account.verify_attribute_flow("email", code_sent=True)
    assert flow.step.state == "CONFIRM_ATTRIBUTE" and flow.step.handler == "verify_attribute"
    code = _code(pools, "max", "ATTRIBUTE_VERIFICATION")
    step = await flow.answer(_wrong(code))
    assert step.retry and isinstance(step.error, CodeMismatchError)
    snap = flow.snapshot()
    _no_secrets(
        json.dumps(snap),
        code,
        account.manager.tokens.access_token if account.manager.tokens else None,
    )
    resumed = account.resume(snap)
    assert isinstance(resumed, VerifyAttributeFlow) and resumed.step.retry
    step = await resumed.answer(code)
    assert step.state == "VERIFIED" and step.ok
    assert (await account.get_user()).attributes["email_verified"] == "true"

    await account.delete_attributes(["given_name"])
    assert "given_name" not in (await account.get_user()).attributes
    with pytest.raises(InvalidAnswerError):
        await account.update_attributes({})


async def test_verify_attribute_expired_code_resend_and_handler_mode(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=EMAIL_POOL)
    account = await _signed_in(pools, pool, "ned", attributes={"email": "ned@example.com"})
    flow = account.verify_attribute_flow("email")
    step = await flow.start()
    assert step.state == "CONFIRM_ATTRIBUTE"
    assert step.delivery is not None and step.delivery.destination == "n***@e***"
    old = _code(pools, "ned", "ATTRIBUTE_VERIFICATION")
    # A day later: the code has expired (and the access token too: the account refreshes).
    pools.local.clock.advance(24 * 3600 + 1)
    step = await flow.answer(old)
    assert step.retry and isinstance(step.error, ExpiredCodeError)
    step = await flow.resend()
    step = await flow.answer(_code(pools, "ned", "ATTRIBUTE_VERIFICATION"))
    assert step.state == "VERIFIED"

    await account.update_attributes({"email": "ned2@example.com"})
    asked: list[Step] = []

    class Handlers:
        async def verify_attribute(self, step: Step) -> str:
            asked.append(step)
            code = _code(pools, "ned", "ATTRIBUTE_VERIFICATION")
            return _wrong(code) if len(asked) == 1 else code

    await account.verify_attribute("email", Handlers())
    assert [s.retry for s in asked] == [False, True]
    info = await account.get_user()
    assert info.attributes["email"] == "ned2@example.com"
    assert info.attributes["email_verified"] == "true"


# ------------------------------------------------------------------ TOTP and MFA


async def test_totp_setup_step_mode_then_sign_in_needs_totp(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    account = await _signed_in(pools, pool, "ola")
    transitions: list[tuple[str, str, str]] = []
    flow = account.totp_setup_flow(prefer=True, on_transition=lambda *t: transitions.append(t))
    step = await flow.start()
    assert step.state == "VERIFY_SOFTWARE_TOKEN"
    assert step.handler == "verify_software_token"
    assert step.totp is not None and step.totp.account == "ola"
    assert step.totp.uri.startswith("otpauth://totp/")
    secret = step.totp.secret
    assert secret not in repr(step) + repr(step.totp) + repr(flow)
    assert secret not in json.dumps(flow.snapshot())
    code = pools.totp(secret)
    step = await flow.answer(_wrong(code))
    assert step.retry and isinstance(step.error, EnableSoftwareTokenMFAError)
    assert step.totp is not None  # still shown for another try
    with pytest.raises(InvalidAnswerError):
        await flow.answer("12345")
    step = await flow.answer(TotpCode(code, "phone"))
    assert step.state == "DONE" and step.ok
    assert flow.data.device_name == "phone"
    assert [t[0] for t in transitions] == [
        "AssociateSoftwareToken",
        "EnableSoftwareTokenMFAException",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
    ]
    info = await account.get_user()
    assert info.preferred_mfa == "SOFTWARE_TOKEN_MFA"
    assert "SOFTWARE_TOKEN_MFA" in info.mfa_settings

    pools.local.clock.advance(30)
    sign_in = pool.sign_in_flow("ola", PASSWORD)
    step = await sign_in.start()
    assert step.state == "SOFTWARE_TOKEN_MFA"
    step = await sign_in.answer(pools.totp(secret))
    assert step.state == "DONE", step


async def test_totp_setup_handler_mode_and_resume(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    account = await _signed_in(pools, pool, "pam")
    asked: list[Step] = []

    class Handlers:
        async def verify_software_token(self, step: Step) -> str:
            asked.append(step)
            assert step.totp is not None
            code = pools.totp(step.totp.secret)
            return _wrong(code) if len(asked) == 1 else code

    await account.setup_totp(Handlers(), prefer=True)
    assert [s.retry for s in asked] == [False, True]
    assert (await account.get_user()).preferred_mfa == "SOFTWARE_TOKEN_MFA"

    # Step mode across a snapshot: the secret is not in it, the code still verifies.
    other = await _signed_in(pools, pool, "quinn")
    flow = other.totp_setup_flow()
    step = await flow.start()
    assert step.totp is not None
    secret = step.totp.secret
    snap = flow.snapshot()
    assert secret not in json.dumps(snap)
    resumed = pool.resume(snap)
    assert isinstance(resumed, TotpSetupFlow)
    with pytest.raises(ConfigurationError):  # no access token source yet
        await resumed.answer(pools.totp(secret))
    resumed.attach(other)
    assert resumed.step.totp is None
    pools.local.clock.advance(30)
    step = await resumed.answer(pools.totp(secret))
    assert step.state == "DONE"
    info = await other.get_user()
    assert info.preferred_mfa is None  # prefer=False: verified but not enabled


async def test_set_mfa_preference_and_user_settings(pools: PoolFactory) -> None:
    pool = await pools.pool(mfa="OPTIONAL")
    account = await _signed_in(pools, pool, "ray", attributes={"phone_number": "+15555550100"})
    await account.setup_totp({"verify_software_token": lambda step: pools.totp(step.totp.secret)})
    await account.set_mfa_preference(totp=True, sms=True, preferred="totp")
    info = await account.get_user()
    assert info.preferred_mfa == "SOFTWARE_TOKEN_MFA"
    assert set(info.mfa_settings) == {"SOFTWARE_TOKEN_MFA", "SMS_MFA"}
    await account.set_mfa_preference(preferred="sms")
    assert (await account.get_user()).preferred_mfa == "SMS_MFA"
    await account.set_mfa_preference(sms=False, totp=False)
    info = await account.get_user()
    assert info.mfa_settings == [] and info.preferred_mfa is None
    for bad in ({}, {"preferred": "carrier-pigeon"}, {"totp": False, "preferred": "totp"}):
        with pytest.raises(InvalidAnswerError):
            await account.set_mfa_preference(**bad)

    await account.set_user_settings([{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}])
    assert (await account.get_user()).mfa_options == [
        {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    ]
    await account.set_user_settings([])
    assert (await account.get_user()).mfa_options == []


# ------------------------------------------------------------------ devices

DEVICES = {
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": False,
        "DeviceOnlyRememberedOnUserPrompt": True,
    }
}


async def test_devices_list_get_update_forget(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=DEVICES, device_name="laptop")
    await pools.user(pool, "sue")
    keys = []
    for _ in range(5):
        await pool.device_store.delete(pool.user_pool_id, "sue")
        tokens = await pool.sign_in("sue", PASSWORD, remember_device=True)
        assert tokens.device_key
        keys.append(tokens.device_key)
    assert len(set(keys)) == 5
    account = Account(pool, tokens)
    counter = pools.local.faults.add(operation="ListDevices", kind="latency", latency=0.0)
    devices = await account.list_devices(limit=2)
    assert counter.fired == 3  # three pages of 2, 2 and 1
    assert sorted(d.key for d in devices) == sorted(keys)
    assert all(isinstance(d, DeviceInfo) and d.remembered for d in devices)
    assert all(d.created is not None and d.created.tzinfo is not None for d in devices)

    device = await account.get_device(keys[0])
    assert device.key == keys[0] and device.name == "laptop"
    assert device.remembered_status == "remembered"
    current = await account.get_device()
    assert current.key == keys[-1]

    await account.update_device_status(keys[0], remembered=False)
    assert (await account.get_device(keys[0])).remembered is False
    await account.update_device_status(keys[0], remembered=True)
    assert (await account.get_device(keys[0])).remembered

    await account.forget_device(keys[0])
    assert sorted(d.key for d in await account.list_devices()) == sorted(keys[1:])
    stored = await pool.device_store.get(pool.user_pool_id, "sue")
    assert stored is not None and stored.device_key == keys[-1]

    # The current device: Cognito forgets it and the local store drops it too.
    await account.forget_device()
    assert await pool.device_store.get(pool.user_pool_id, "sue") is None
    step = await pool.sign_in_flow("sue", PASSWORD, remember_device=False).start()
    assert step.state == "DONE"

    with pytest.raises(InvalidAnswerError):
        await account.list_devices(limit=0)


# ------------------------------------------------------------------ sign-out, revoke, delete


async def test_global_sign_out(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "tia")
    tokens = await pool.sign_in("tia", PASSWORD)
    other_session = await pool.sign_in("tia", PASSWORD)
    account = Account(pool, tokens)
    await account.global_sign_out()
    assert account.manager.state == "signed_out"
    with pytest.raises(SignedOutError):
        await account.get_user()
    with pytest.raises(TokenRevokedError):
        await Account(pool, tokens.access_token).get_user()
    with pytest.raises(TokenRevokedError):
        await Account(pool, other_session).get_user()
    with pytest.raises(NotAuthorizedError):
        await refresh_tokens(pool, other_session)


async def test_revoke_then_refresh_signs_out(pools: PoolFactory) -> None:
    pool = await pools.pool()
    await pools.user(pool, "uli")
    tokens = await pool.sign_in("uli", PASSWORD)
    kept = await pool.sign_in("uli", PASSWORD)  # another session stays signed in
    signed_out: list[SignedOutError] = []
    manager = token_manager(pool, tokens, on_signed_out=signed_out.append)
    account = Account(pool, manager)
    await account.revoke()
    assert manager.state == "signed_out"

    # Another holder of the same tokens: its refresh is refused and it signs out.
    holder = token_manager(pool, tokens, on_signed_out=signed_out.append)
    pools.local.clock.advance(tokens.expires_in(pools.local.clock.now()) - 30)
    with pytest.raises(SignedOutError) as info:
        await holder.get_tokens()
    assert info.value.reason == "revoked"
    assert isinstance(info.value.__cause__, NotAuthorizedError)
    assert holder.state == "signed_out" and len(signed_out) == 1
    with pytest.raises(TokenRevokedError):
        await Account(pool, tokens.access_token).get_user()
    assert (await Account(pool, kept).get_user()).username == "uli"


async def test_revoke_with_client_secret(pools: PoolFactory) -> None:
    pool = await pools.pool(secret=True)
    await pools.user(pool, "val")
    tokens = await pool.sign_in("val", PASSWORD)
    await Account(pool, tokens).revoke()
    with pytest.raises(NotAuthorizedError):
        await refresh_tokens(pool, tokens)


async def test_delete_user(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings=DEVICES)
    await pools.user(pool, "wes")
    tokens = await pool.sign_in("wes", PASSWORD, remember_device=True)
    assert await pool.device_store.get(pool.user_pool_id, "wes") is not None
    account = Account(pool, tokens)
    await account.delete_user()
    assert account.manager.state == "signed_out"
    assert await pool.device_store.get(pool.user_pool_id, "wes") is None
    with pytest.raises(NotAuthorizedError):
        await pool.sign_in("wes", PASSWORD)
    with pytest.raises(CognitoError):
        await Account(pool, tokens.access_token).get_user()


async def test_auth_event_feedback(pools: PoolFactory) -> None:
    pool = await pools.pool(
        pool_settings={"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}, "UserPoolTier": "PLUS"}
    )
    await pools.user(pool, "xan")
    tokens = await pool.sign_in("xan", PASSWORD)
    event_id = tokens.unverified_claims("access")["event_id"]
    account = Account(pool, tokens)
    await account.update_auth_event_feedback(event_id, "feedback-token", "valid")
    with pytest.raises(CognitoError):
        await account.update_auth_event_feedback("no-such-event", "feedback-token", "Invalid")
    with pytest.raises(InvalidAnswerError):
        await account.update_auth_event_feedback(event_id, "feedback-token", "maybe")


# ------------------------------------------------------------------ tables and misuse


def test_tables_draw() -> None:
    totp = TOTP_SETUP.mermaid()
    loop = next(
        line
        for line in totp.splitlines()
        if "VERIFY_SOFTWARE_TOKEN --> VERIFY_SOFTWARE_TOKEN:" in line
    )
    assert "CodeMismatchException" in loop and "EnableSoftwareTokenMFAException" in loop
    assert "VERIFIED (answered by the library)" in totp
    verify = VERIFY_ATTRIBUTE.mermaid()
    assert "CONFIRM_ATTRIBUTE --> VERIFIED: VerifyUserAttribute" in verify


async def test_account_input_checks(pools: PoolFactory) -> None:
    pool = await pools.pool()
    account = await _signed_in(pools, pool, "yul")
    with pytest.raises(InvalidAnswerError):
        Account(pool, 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidAnswerError):
        account.verify_attribute_flow(" ")
    with pytest.raises(InvalidAnswerError):
        await account.forget_device()  # no device in these tokens
    with pytest.raises(InvalidAnswerError):
        await account.delete_attributes([])
    flow = account.verify_attribute_flow("email")
    with pytest.raises(CognitoError):  # no e-mail to verify: the flow fails
        step = await flow.start()
        step.raise_for_error()
    assert flow.state == "FAILED"


async def test_no_secrets_in_logs_reprs_or_errors(
    pools: PoolFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pool = await pools.pool(mfa="OPTIONAL", secret=True, pool_settings=EMAIL_POOL)
    flow = pool.sign_up_flow("zoe", PASSWORD, attributes={"email": "zoe@example.com"})
    await flow.start()
    code = _code(pools, "zoe", "SIGN_UP")
    step = await flow.answer(_wrong(code))
    await flow.answer(code)
    tokens = await pool.sign_in("zoe", PASSWORD)
    account = Account(pool, tokens)
    setup = account.totp_setup_flow(prefer=True)
    totp = (await setup.start()).totp
    assert totp is not None
    wrong_totp = await setup.answer(_wrong(pools.totp(totp.secret)))
    await setup.answer(pools.totp(totp.secret))
    new = await refresh_tokens(pool, tokens)
    # The library's own log lines (botocore's DEBUG logging dumps request bodies by itself).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("cognito_flows"))
    assert "totp_setup" in ours  # the flows did log their transitions
    texts = [
        ours,
        repr(flow),
        repr(setup),
        repr(account),
        repr(account.manager),
        repr(new),
        str(step.error),
        repr(step.error),
        str(wrong_totp.error),
        json.dumps(setup.snapshot()),
        json.dumps(flow.snapshot()),
    ]
    secret = pool.client_secret_for_refresh
    for text in texts:
        _no_secrets(
            text,
            PASSWORD,
            code,
            totp.secret,
            tokens.access_token,
            tokens.id_token,
            tokens.refresh_token,
            new.access_token,
            secret,
        )
