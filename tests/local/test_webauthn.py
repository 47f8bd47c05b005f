"""Passkeys on the local Cognito over its API: registration, listing, deletion, WEB_AUTHN
sign-in, passkey MFA, and each refusal with the error code AWS's API reference names.

The authenticator is :class:`cognito_flows.testing.passkey.SoftwarePasskey`; py_webauthn
checks its output in the emulator (see cognito_local/webauthn.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cognito_flows.testing.passkey import SoftwarePasskey
from cognito_local import LocalCognito

from .conftest import PASSWORD, fails, totp

ORIGIN = "https://localhost"
RP_ID = "localhost"


async def _passkey_pool(
    idp: Any, local: LocalCognito, *, factor: str = "SINGLE_FACTOR", mfa: str = "OFF"
) -> None:
    await idp.update_user_pool(
        UserPoolId=local.user_pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    await idp.set_user_pool_mfa_config(
        UserPoolId=local.user_pool_id,
        MfaConfiguration=mfa,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        WebAuthnConfiguration={
            "RelyingPartyId": RP_ID,
            "UserVerification": "required",
            "FactorConfiguration": factor,
        },
    )


async def _access_token(idp: Any, local: LocalCognito, username: str) -> str:
    result = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


async def _register(idp: Any, token: str, passkey: SoftwarePasskey) -> None:
    started = await idp.start_web_authn_registration(AccessToken=token)
    options = started["CredentialCreationOptions"]
    assert options["rp"]["id"] == RP_ID
    assert options["authenticatorSelection"]["userVerification"] == "required"
    await idp.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options))


async def _user_with_passkey(idp: Any, local: LocalCognito, username: str) -> SoftwarePasskey:
    local.pool().create_user(username, PASSWORD, attributes={"email": f"{username}@example.com"})
    passkey = SoftwarePasskey(ORIGIN)
    await _register(idp, await _access_token(idp, local, username), passkey)
    return passkey


async def _web_authn_challenge(idp: Any, local: LocalCognito, username: str) -> dict[str, Any]:
    step: dict[str, Any] = await idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    assert step["ChallengeName"] == "WEB_AUTHN"
    return step


async def _answer(idp: Any, local: LocalCognito, step: dict[str, Any], user: str, cred: Any) -> Any:
    return await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="WEB_AUTHN",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": user, "CREDENTIAL": json.dumps(cred)},
    )


def _options(step: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = json.loads(step["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    return options


async def test_register_list_sign_in_and_delete(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local)
    passkey = await _user_with_passkey(idp, local, "pia")
    token = await _access_token(idp, local, "pia")
    listed = await idp.list_web_authn_credentials(AccessToken=token)
    [credential] = listed["Credentials"]
    assert credential["CredentialId"] == passkey.credential_id_b64
    assert credential["RelyingPartyId"] == RP_ID
    assert credential["AuthenticatorAttachment"] == "platform"
    factors = await idp.get_user_auth_factors(AccessToken=token)
    assert "WEB_AUTHN" in factors["ConfiguredUserAuthFactors"]

    step = await _web_authn_challenge(idp, local, "pia")
    options = _options(step)
    assert options["rpId"] == RP_ID
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.credential_id_b64]
    result = await _answer(idp, local, step, "pia", passkey.get(options))
    assert "AccessToken" in result["AuthenticationResult"]

    await idp.delete_web_authn_credential(
        AccessToken=token, CredentialId=credential["CredentialId"]
    )
    assert (await idp.list_web_authn_credentials(AccessToken=token))["Credentials"] == []
    await fails(
        idp.delete_web_authn_credential(AccessToken=token, CredentialId=credential["CredentialId"]),
        "ResourceNotFoundException",
    )
    # Without a passkey WEB_AUTHN is no longer offered: the preferred challenge falls back.
    step = await idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "pia", "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" not in step["AvailableChallenges"]


async def test_select_challenge_offers_web_authn(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local)
    passkey = await _user_with_passkey(idp, local, "quin")
    step = await idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=local.client_id, AuthParameters={"USERNAME": "quin"}
    )
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" in step["AvailableChallenges"]
    step = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "quin", "ANSWER": "WEB_AUTHN"},
    )
    assert step["ChallengeName"] == "WEB_AUTHN"
    result = await _answer(idp, local, step, "quin", passkey.get(_options(step)))
    assert "AuthenticationResult" in result


async def test_wrong_challenge_is_refused_and_the_challenge_stays(
    local: LocalCognito, idp: Any
) -> None:
    await _passkey_pool(idp, local)
    passkey = await _user_with_passkey(idp, local, "ria")
    step = await _web_authn_challenge(idp, local, "ria")
    forged = passkey.get(_options(step), challenge="AAAAAAAAAAAAAAAAAAAAAA")
    await fails(_answer(idp, local, step, "ria", forged), "NotAuthorizedException")
    result = await _answer(idp, local, step, "ria", passkey.get(_options(step)))
    assert "AuthenticationResult" in result


async def test_replayed_assertion_is_refused(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local)
    passkey = await _user_with_passkey(idp, local, "sal")
    step = await _web_authn_challenge(idp, local, "sal")
    assertion = passkey.get(_options(step))
    await _answer(idp, local, step, "sal", assertion)
    # The used session is gone, and a new session has a new challenge.
    await fails(_answer(idp, local, step, "sal", assertion), "NotAuthorizedException")
    fresh = await _web_authn_challenge(idp, local, "sal")
    await fails(_answer(idp, local, fresh, "sal", assertion), "NotAuthorizedException")


@pytest.mark.parametrize(
    ("origin", "rp_id", "code"),
    [
        ("https://evil.example", None, "WebAuthnOriginNotAllowedException"),
        ("http://notlocalhost", None, "WebAuthnOriginNotAllowedException"),
        (ORIGIN, "example.com", "WebAuthnRelyingPartyMismatchException"),
    ],
)
async def test_foreign_origin_or_relying_party_is_refused(
    local: LocalCognito, idp: Any, origin: str, rp_id: str | None, code: str
) -> None:
    await _passkey_pool(idp, local)
    passkey = await _user_with_passkey(idp, local, "tam")
    step = await _web_authn_challenge(idp, local, "tam")
    honest_origin, passkey.origin, passkey.rp_id = passkey.origin, origin, rp_id
    await fails(_answer(idp, local, step, "tam", passkey.get(_options(step))), code)
    passkey.origin, passkey.rp_id = honest_origin, None
    assert "AuthenticationResult" in await _answer(
        idp, local, step, "tam", passkey.get(_options(step))
    )


async def test_deleted_credential_is_refused(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local)
    first = await _user_with_passkey(idp, local, "uri")
    token = await _access_token(idp, local, "uri")
    second = SoftwarePasskey(ORIGIN)
    await _register(idp, token, second)
    step = await _web_authn_challenge(idp, local, "uri")
    await idp.delete_web_authn_credential(AccessToken=token, CredentialId=first.credential_id_b64)
    await fails(
        _answer(idp, local, step, "uri", first.get(_options(step))), "NotAuthorizedException"
    )
    assert "AuthenticationResult" in await _answer(
        idp, local, step, "uri", second.get(_options(step))
    )


async def test_registration_refusals(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("vic", PASSWORD)
    token = await _access_token(idp, local, "vic")
    await fails(idp.start_web_authn_registration(AccessToken=token), "WebAuthnNotEnabledException")
    await idp.update_user_pool(
        UserPoolId=local.user_pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    await fails(
        idp.start_web_authn_registration(AccessToken=token),
        "WebAuthnConfigurationMissingException",
    )
    await _passkey_pool(idp, local)
    passkey = SoftwarePasskey(ORIGIN)
    await fails(
        idp.complete_web_authn_registration(
            AccessToken=token,
            Credential=passkey.create(
                {"rp": {"id": RP_ID}, "user": {"id": "dXNlcg"}, "challenge": "AAAA"}
            ),
        ),
        "WebAuthnChallengeNotFoundException",
    )
    options = (await idp.start_web_authn_registration(AccessToken=token))[
        "CredentialCreationOptions"
    ]
    local.clock.advance(301)
    token = await _access_token(idp, local, "vic")
    await fails(
        idp.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options)),
        "WebAuthnChallengeNotFoundException",
    )
    options = (await idp.start_web_authn_registration(AccessToken=token))[
        "CredentialCreationOptions"
    ]
    foreign = SoftwarePasskey("https://evil.example")
    await fails(
        idp.complete_web_authn_registration(AccessToken=token, Credential=foreign.create(options)),
        "WebAuthnOriginNotAllowedException",
    )
    elsewhere = SoftwarePasskey(ORIGIN, rp_id="example.com")
    await fails(
        idp.complete_web_authn_registration(
            AccessToken=token, Credential=elsewhere.create(options)
        ),
        "WebAuthnRelyingPartyMismatchException",
    )
    no_uv = SoftwarePasskey(ORIGIN, user_verification=False)
    await fails(
        idp.complete_web_authn_registration(AccessToken=token, Credential=no_uv.create(options)),
        "WebAuthnCredentialNotSupportedException",
    )
    other_client, _secret = local.create_client(name="other")
    other = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=other_client,
        AuthParameters={"USERNAME": "vic", "PASSWORD": PASSWORD},
    )
    await fails(
        idp.complete_web_authn_registration(
            AccessToken=other["AuthenticationResult"]["AccessToken"],
            Credential=passkey.create(options),
        ),
        "WebAuthnClientMismatchException",
    )
    await idp.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options))


async def test_list_is_paginated(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local)
    local.pool().create_user("wes", PASSWORD)
    token = await _access_token(idp, local, "wes")
    keys = [SoftwarePasskey(ORIGIN) for _ in range(3)]
    for key in keys:
        await _register(idp, token, key)
        local.clock.advance(1)
    seen: list[str] = []
    page = await idp.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    seen += [c["CredentialId"] for c in page["Credentials"]]
    assert len(page["Credentials"]) == 2 and "NextToken" in page
    page = await idp.list_web_authn_credentials(
        AccessToken=token, MaxResults=2, NextToken=page["NextToken"]
    )
    seen += [c["CredentialId"] for c in page["Credentials"]]
    assert "NextToken" not in page
    assert seen == [k.credential_id_b64 for k in keys]


async def test_passkey_as_mfa(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local, factor="MULTI_FACTOR_WITH_USER_VERIFICATION", mfa="OPTIONAL")
    passkey = await _user_with_passkey(idp, local, "xia")
    token = await _access_token(idp, local, "xia")
    secret = (await idp.associate_software_token(AccessToken=token))["SecretCode"]
    await idp.verify_software_token(AccessToken=token, UserCode=totp(local, secret))
    await idp.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    # A user with MFA is offered no passwordless factor until passkey MFA is on.
    step = await idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=local.client_id, AuthParameters={"USERNAME": "xia"}
    )
    assert "WEB_AUTHN" not in step.get("AvailableChallenges", [])
    await idp.set_user_mfa_preference(AccessToken=token, WebAuthnMfaSettings={"Enabled": True})
    step = await _web_authn_challenge(idp, local, "xia")
    assert _options(step)["userVerification"] == "required"
    # The passkey with user verification is the whole sign-in: no TOTP challenge follows.
    result = await _answer(idp, local, step, "xia", passkey.get(_options(step)))
    assert "AuthenticationResult" in result
    # Without user verification it is refused.
    step = await _web_authn_challenge(idp, local, "xia")
    passkey.user_verification = False
    await fails(
        _answer(idp, local, step, "xia", passkey.get(_options(step))), "NotAuthorizedException"
    )


async def test_passkey_mfa_needs_another_method(local: LocalCognito, idp: Any) -> None:
    await _passkey_pool(idp, local, factor="MULTI_FACTOR_WITH_USER_VERIFICATION")
    local.pool().create_user("yan", PASSWORD)
    token = await _access_token(idp, local, "yan")
    await fails(
        idp.set_user_mfa_preference(AccessToken=token, WebAuthnMfaSettings={"Enabled": True}),
        "InvalidParameterException",
    )
    config = await idp.get_user_pool_mfa_config(UserPoolId=local.user_pool_id)
    assert config["WebAuthnConfiguration"] == {
        "RelyingPartyId": RP_ID,
        "UserVerification": "required",
        "FactorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION",
    }
