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
