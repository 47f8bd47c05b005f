"""Passkeys through the library's public API, against the local Cognito over HTTP.

Registration in two steps (options out, the browser's credential in), listing, deletion,
passkey MFA, and the typed errors; the "browser" is cognito_flows.testing's SoftwarePasskey.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_flows import (
    Account,
    InvalidAnswerError,
    InvalidPasswordError,
    NotAuthorizedError,
    UserPool,
    WebAuthnChallengeNotFoundError,
    WebAuthnConfigurationMissingError,
    WebAuthnNotEnabledError,
    WebAuthnOriginNotAllowedError,
    WebAuthnRelyingPartyMismatchError,
)
from cognito_flows.testing.passkey import SoftwarePasskey

from .conftest import PASSWORD, PoolFactory

ORIGIN = "https://localhost"
PASSKEY_POLICY = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}


async def passkey_pool(pools: PoolFactory, *, factor: str = "SINGLE_FACTOR") -> UserPool:
    pool = await pools.pool(mfa="OPTIONAL", pool_settings={"Policies": PASSKEY_POLICY})
    await pools.admin.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        WebAuthnConfiguration={
            "RelyingPartyId": "localhost",
            "UserVerification": "required",
            "FactorConfiguration": factor,
        },
    )
    return pool


async def signed_in(pools: PoolFactory, pool: UserPool, username: str) -> Account:
    await pools.user(pool, username, attributes={"email": f"{username}@example.com"})
    return Account(pool, await pool.sign_in(username, PASSWORD))


async def test_register_list_and_delete(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools)
    account = await signed_in(pools, pool, "ana")
    passkey = SoftwarePasskey(ORIGIN)
    options = await account.start_passkey_registration()
    assert options["rp"]["id"] == "localhost" and options["challenge"]
    # The browser's credential may come as a dict or as the JSON text a page posts.
    await account.complete_passkey_registration(json.dumps(passkey.create(options)))
    [info] = await account.list_passkeys()
    assert info.credential_id == passkey.credential_id_b64
    assert info.relying_party_id == "localhost" and info.attachment == "platform"
    assert info.created is not None and info.created.tzinfo is not None
    assert "WEB_AUTHN" in (await account.get_auth_factors()).configured_factors
    await account.delete_passkey(info.credential_id)
    assert await account.list_passkeys() == []


async def test_list_passkeys_follows_every_page(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools)
    account = await signed_in(pools, pool, "ben")
    keys = [SoftwarePasskey(ORIGIN) for _ in range(3)]
    for key in keys:
        await account.complete_passkey_registration(
            key.create(await account.start_passkey_registration())
        )
        pools.local.clock.advance(1)
    listed = await account.list_passkeys(limit=1)
    assert [p.credential_id for p in listed] == [k.credential_id_b64 for k in keys]
    with pytest.raises(InvalidAnswerError):
        await account.list_passkeys(limit=21)


async def test_registration_errors_are_typed(pools: PoolFactory) -> None:
    plain = await pools.pool()
    account = await signed_in(pools, plain, "cat")
    with pytest.raises(WebAuthnNotEnabledError):
        await account.start_passkey_registration()
    no_rp = await pools.pool(pool_settings={"Policies": PASSKEY_POLICY})
    account = await signed_in(pools, no_rp, "cat")
    with pytest.raises(WebAuthnConfigurationMissingError):
        await account.start_passkey_registration()

    pool = await passkey_pool(pools)
    account = await signed_in(pools, pool, "dan")
    with pytest.raises(WebAuthnChallengeNotFoundError):
        await account.complete_passkey_registration(
            SoftwarePasskey(ORIGIN).create(
                {"rp": {"id": "localhost"}, "user": {"id": "dXNlcg"}, "challenge": "AAAA"}
            )
        )
    options = await account.start_passkey_registration()
    with pytest.raises(WebAuthnOriginNotAllowedError):
        await account.complete_passkey_registration(
            SoftwarePasskey("https://phish.example").create(options)
        )
    with pytest.raises(WebAuthnRelyingPartyMismatchError):
        await account.complete_passkey_registration(
            SoftwarePasskey(ORIGIN, rp_id="phish.example").create(options)
        )
    # Nothing malformed is sent at all.
    for bad in ("not json", {"id": "x"}, [], {"id": "x", "type": "password", "response": {}}):
        with pytest.raises(InvalidAnswerError):
            await account.complete_passkey_registration(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidAnswerError):
        await account.delete_passkey("")


async def test_passkey_mfa_preference(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools, factor="MULTI_FACTOR_WITH_USER_VERIFICATION")
    account = await signed_in(pools, pool, "eve")
    await account.complete_passkey_registration(
        SoftwarePasskey(ORIGIN).create(await account.start_passkey_registration())
    )
    call = pool.client.call
    tokens: Any = await account.tokens()
    secret = (await call("AssociateSoftwareToken", AccessToken=tokens.access_token))["SecretCode"]
    await call("VerifySoftwareToken", AccessToken=tokens.access_token, UserCode=pools.totp(secret))
    await account.set_mfa_preference(totp=True, preferred="totp", passkey=True)
    user = pools.local.pool(pool.user_pool_id).user("eve")
    assert user.webauthn_mfa_enabled and user.totp_enabled
    await account.set_mfa_preference(passkey=False)
    assert not user.webauthn_mfa_enabled


# ------------------------------------------------------------------ sign-in with a passkey


async def user_with_passkey(
    pools: PoolFactory, pool: UserPool, username: str
) -> tuple[Account, SoftwarePasskey]:
    account = await signed_in(pools, pool, username)
    passkey = SoftwarePasskey(ORIGIN)
    await account.complete_passkey_registration(
        passkey.create(await account.start_passkey_registration())
    )
    return account, passkey


async def test_sign_in_by_preferred_challenge(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools)
    _account, passkey = await user_with_passkey(pools, pool, "fay")
    flow = pool.sign_in_flow("fay", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await flow.start()
    assert step.state == "WEB_AUTHN" and step.handler == "web_authn"
    assert step.credential_request_options is not None
    assert step.credential_request_options["rpId"] == "localhost"
    # The options are not secret and survive a snapshot; the answer works after a resume.
    resumed = pool.resume(json.loads(json.dumps(flow.snapshot())))
    assert resumed.step.credential_request_options == step.credential_request_options
    step = await resumed.answer(passkey.get(step.credential_request_options))
    assert step.ok and step.tokens is not None and step.tokens.username == "fay"


async def test_sign_in_by_select_challenge_and_in_handler_mode(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools)
    _account, passkey = await user_with_passkey(pools, pool, "gil")
    flow = pool.sign_in_flow("gil", flow="user-auth")
    step = await flow.start()
    assert step.state == "SELECT_CHALLENGE" and "WEB_AUTHN" in step.options
    step = await flow.answer("WEB_AUTHN")
    assert step.state == "WEB_AUTHN"
    step = await flow.answer(json.dumps(passkey.get(step.credential_request_options or {})))
    assert step.ok

    class Handlers:
        async def select_challenge(self, step: Any) -> str:
            return "WEB_AUTHN"

        async def web_authn(self, step: Any) -> dict[str, Any]:
            return passkey.get(step.credential_request_options)

    tokens = await pool.sign_in("gil", flow="user-auth", handlers=Handlers())
    assert tokens.username == "gil"


@pytest.mark.parametrize(
    ("forge", "error"),
    [
        ("challenge", "NotAuthorizedError"),
        ("origin", "WebAuthnOriginNotAllowedError"),
        ("rp_id", "WebAuthnRelyingPartyMismatchError"),
    ],
)
async def test_a_refused_assertion_keeps_the_step(
    pools: PoolFactory, forge: str, error: str
) -> None:
    pool = await passkey_pool(pools)
    _account, passkey = await user_with_passkey(pools, pool, "hal")
    flow = pool.sign_in_flow("hal", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await flow.start()
    options = step.credential_request_options or {}
    if forge == "challenge":
        bad = passkey.get(options, challenge="AAAAAAAAAAAAAAAAAAAAAA")
    else:
        honest = (passkey.origin, passkey.rp_id)
        if forge == "origin":
            passkey.origin = "https://phish.example"
        else:
            passkey.rp_id = "phish.example"
        bad = passkey.get(options)
        passkey.origin, passkey.rp_id = honest
    step = await flow.answer(bad)
    assert step.state == "WEB_AUTHN" and step.retry and type(step.error).__name__ == error
    step = await flow.answer(passkey.get(options))
    assert step.ok


async def test_replayed_assertion_and_deleted_passkey_are_refused(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools)
    account, passkey = await user_with_passkey(pools, pool, "ida")
    first = pool.sign_in_flow("ida", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await first.start()
    assertion = passkey.get(step.credential_request_options or {})
    assert (await first.answer(assertion)).ok
    replay = pool.sign_in_flow("ida", flow="user-auth", preferred_challenge="WEB_AUTHN")
    await replay.start()
    step = await replay.answer(assertion)  # signed for the first sign-in's challenge
    assert step.state == "WEB_AUTHN" and isinstance(step.error, NotAuthorizedError)

    await account.delete_passkey(passkey.credential_id_b64)
    step = await replay.answer(passkey.get(replay.step.credential_request_options or {}))
    assert step.state == "WEB_AUTHN" and isinstance(step.error, NotAuthorizedError)
    # After three refusals Cognito ends the session; the flow says so.
    step = await replay.answer(passkey.get(replay.step.credential_request_options or {}))
    step = await replay.answer(passkey.get(replay.step.credential_request_options or {}))
    assert step.done and step.state == "EXPIRED"
    # Without a passkey, WEB_AUTHN is no longer offered.
    step = await pool.sign_in_flow("ida", flow="user-auth").start()
    assert step.state == "SELECT_CHALLENGE" and "WEB_AUTHN" not in step.options


async def test_passkey_as_mfa_signs_in_a_totp_user(pools: PoolFactory) -> None:
    pool = await passkey_pool(pools, factor="MULTI_FACTOR_WITH_USER_VERIFICATION")
    _account, passkey = await user_with_passkey(pools, pool, "jon")
    secret = await pools.enroll_totp(pool, "jon")
    step = await pool.sign_in_flow("jon", flow="user-auth").start()
    assert "WEB_AUTHN" not in step.options  # MFA users get no passwordless factor...
    # The TOTP user signs in with the password and TOTP, and turns passkey MFA on.
    tokens = await pool.sign_in("jon", PASSWORD, handlers=_Totp(pools, secret))
    await Account(pool, tokens).set_mfa_preference(passkey=True)
    flow = pool.sign_in_flow("jon", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await flow.start()  # ...until the passkey satisfies MFA
    assert step.state == "WEB_AUTHN"
    assert (step.credential_request_options or {})["userVerification"] == "required"
    step = await flow.answer(passkey.get(step.credential_request_options or {}))
    assert step.ok  # no TOTP challenge after a verified passkey


class _Totp:
    def __init__(self, pools: PoolFactory, secret: str) -> None:
        self.pools, self.secret = pools, secret

    async def software_token_mfa(self, step: Any) -> str:
        return self.pools.totp(self.secret)


# ------------------------------------------------------------------ passwordless sign-up

PASSWORDLESS_POLICY = {
    "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]}
}


async def test_passwordless_sign_up_to_tokens_then_email_otp_and_passkey(
    pools: PoolFactory,
) -> None:
    pool = await pools.pool(
        pool_settings={"Policies": PASSWORDLESS_POLICY, "AutoVerifiedAttributes": ["email"]}
    )
    await pools.admin.set_user_pool_mfa_config(
        UserPoolId=pool.user_pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost"},
    )
    flow = pool.sign_up_flow("kai", None, attributes={"email": "kai@example.com"})
    step = await flow.start()
    assert step.state == "CONFIRM_SIGN_UP"
    code = pools.local.outbox.last(username="kai", purpose="SIGN_UP").code
    assert (await flow.answer(code)).ok
    # ConfirmSignUp's session signs the new user in without any password.
    step = await flow.sign_in_flow().start()
    assert step.ok and step.tokens is not None
    factors = await Account(pool, step.tokens).get_auth_factors()
    assert "PASSWORD" not in factors.configured_factors
    assert "EMAIL_OTP" in factors.configured_factors

    otp = pool.sign_in_flow("kai", flow="user-auth", preferred_challenge="EMAIL_OTP")
    step = await otp.start()
    assert step.state == "EMAIL_OTP"
    step = await otp.answer(pools.local.outbox.last(username="kai", purpose="EMAIL_OTP").code)
    assert step.ok and step.tokens is not None

    account = Account(pool, step.tokens)
    passkey = SoftwarePasskey(ORIGIN)
    await account.complete_passkey_registration(
        passkey.create(await account.start_passkey_registration())
    )
    assert "WEB_AUTHN" in (await account.get_auth_factors()).configured_factors
    flow_pk = pool.sign_in_flow("kai", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await flow_pk.start()
    step = await flow_pk.answer(passkey.get(step.credential_request_options or {}))
    assert step.ok


async def test_passwordless_sign_up_in_a_password_only_pool_is_refused(pools: PoolFactory) -> None:
    pool = await pools.pool()
    step = await pool.sign_up_flow("lou", None).start()
    assert step.state == "FAILED" and isinstance(step.error, InvalidPasswordError)


async def test_no_credential_in_debug_logs_or_reprs(pools: PoolFactory, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    pool = await passkey_pool(pools)
    account = await signed_in(pools, pool, "max")
    passkey = SoftwarePasskey(ORIGIN)
    registration = passkey.create(await account.start_passkey_registration())
    await account.complete_passkey_registration(registration)
    flow = pool.sign_in_flow("max", flow="user-auth", preferred_challenge="WEB_AUTHN")
    step = await flow.start()
    assertion = passkey.get(step.credential_request_options or {})
    step = await flow.answer(assertion)
    assert step.ok
    secrets = [
        registration["response"]["attestationObject"],
        registration["response"]["clientDataJSON"],
        assertion["response"]["signature"],
        assertion["response"]["authenticatorData"],
    ]
    seen = caplog.text + repr(flow) + repr(step) + json.dumps(flow.snapshot()) + repr(passkey)
    for secret in secrets:
        assert secret not in seen
