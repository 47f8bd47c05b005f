"""Regression tests for a security/strictness review of the emulator, over real HTTP.

One test (or a few) per finding: alias moves behind a wrong code, ForgetDevice without a
token, SECRET_HASH over an alias, MFA skipped with a swapped device, refresh token
rotation, half-created users, malformed members (HTTP 500s), CORS / Host header, and error
codes outside botocore's model.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import jwt
import pytest
from botocore.exceptions import ClientError

from cognito_flows import srp
from cognito_local import LocalCognito, secret_hash
from cognito_local.errors import ServiceError

from .conftest import PASSWORD, code_of, fails, timestamp, totp

TARGET = "AWSCognitoIdentityProviderService."


async def raw_post(
    local: LocalCognito,
    operation: str,
    body: Any = None,
    *,
    data: str | None = None,
    signed: bool = True,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST one cognito-idp request with aiohttp (for bodies botocore would not send)."""
    sent = {"X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"}
    if signed:
        sent["Authorization"] = "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/x"
    sent.update(headers or {})
    payload = data if data is not None else json.dumps(body)
    async with (
        aiohttp.ClientSession() as session,
        session.post(local.endpoint_url + "/", data=payload, headers=sent) as response,
    ):
        return response.status, json.loads(await response.text())


def error_codes(idp: Any, operation: str) -> set[str]:
    """The error codes botocore's model lists for ``operation``."""
    model = idp.meta.service_model.operation_model(operation)
    return {shape.name for shape in model.error_shapes}


# ------------------------------------------------------------------ 1. code before alias
async def test_confirm_sign_up_checks_the_code_before_the_alias(
    local: LocalCognito, idp: Any
) -> None:
    pool_id = local.create_pool(
        "alias", AliasAttributes=["email"], AutoVerifiedAttributes=["email"]
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    alice = pool.create_user("alice", PASSWORD, attributes={"email": "a@example.com"})
    await idp.sign_up(
        ClientId=client_id,
        Username="mallory",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "a@example.com"}],
    )
    code = local.outbox.last(username="mallory", purpose="SIGN_UP").code
    wrong = "000000" if code != "000000" else "111111"
    # A wrong code neither moves alice's alias nor tells whether the e-mail is taken.
    await fails(
        idp.confirm_sign_up(
            ClientId=client_id, Username="mallory", ConfirmationCode=wrong, ForceAliasCreation=True
        ),
        "CodeMismatchException",
    )
    await fails(
        idp.confirm_sign_up(ClientId=client_id, Username="mallory", ConfirmationCode=wrong),
        "CodeMismatchException",
    )
    assert alice.verified("email")
    signed_in = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "a@example.com", "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in signed_in
    # The right code without ForceAliasCreation: AliasExists, and the code is still good.
    await fails(
        idp.confirm_sign_up(ClientId=client_id, Username="mallory", ConfirmationCode=code),
        "AliasExistsException",
    )
    assert pool.user("mallory").status == "UNCONFIRMED" and alice.verified("email")
    await idp.confirm_sign_up(
        ClientId=client_id, Username="mallory", ConfirmationCode=code, ForceAliasCreation=True
    )
    mallory = pool.user("mallory")
    assert mallory.status == "CONFIRMED" and mallory.verified("email")
    assert not alice.verified("email")
    assert pool.find_user("a@example.com") is mallory


async def test_verify_user_attribute_checks_the_code_before_the_alias(
    local: LocalCognito, idp: Any
) -> None:
    pool_id = local.create_pool(
        "alias-verify", AliasAttributes=["email"], AutoVerifiedAttributes=["email"]
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    alice = pool.create_user("alice", PASSWORD, attributes={"email": "a@example.com"})
    pool.create_user("bob", PASSWORD, attributes={"email": "b@example.com"})
    tokens = (
        await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
        )
    )["AuthenticationResult"]
    access = tokens["AccessToken"]
    await idp.update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": "email", "Value": "a@example.com"}]
    )
    code = local.outbox.last(username="a@example.com", purpose="ATTRIBUTE_VERIFICATION").code
    wrong = "000000" if code != "000000" else "111111"
    await fails(
        idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=wrong),
        "CodeMismatchException",
    )
    await fails(
        idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code),
        "AliasExistsException",
    )
    assert alice.verified("email") and not pool.user("bob").verified("email")


# ------------------------------------------------------------------ 2. ForgetDevice
async def test_forget_device_needs_the_owners_access_token(local: LocalCognito, idp: Any) -> None:
    pool = local.pool()
    victim = pool.create_user("victim", PASSWORD)
    pool.create_user("other", PASSWORD)
    device = local.backend.new_device(pool, victim)
    await fails(idp.forget_device(DeviceKey=device.key), "InvalidParameterException")
    status, body = await raw_post(local, "ForgetDevice", {"DeviceKey": device.key}, signed=False)
    assert status == 400 and body["__type"] == "InvalidParameterException"
    other = (
        await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "other", "PASSWORD": PASSWORD},
        )
    )["AuthenticationResult"]
    await fails(
        idp.forget_device(AccessToken=other["AccessToken"], DeviceKey=device.key),
        "ResourceNotFoundException",
    )
    assert device.key in victim.devices
    own = (
        await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "victim", "PASSWORD": PASSWORD},
        )
    )["AuthenticationResult"]
    await idp.forget_device(AccessToken=own["AccessToken"], DeviceKey=device.key)
    assert device.key not in victim.devices


# ------------------------------------------------------------------ 3. SECRET_HASH
async def test_secret_hash_is_over_the_real_user_name(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool("email-secret", UsernameAttributes=["email"])
    client_id, secret = local.create_client(pool_id, generate_secret=True)
    assert secret is not None
    user = local.pool(pool_id).create_user("bob@example.com", PASSWORD)
    assert user.username != "bob@example.com"  # a UUID
    eph = srp.start_ephemeral()
    first = await idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={
            "USERNAME": "bob@example.com",
            "SRP_A": eph.srp_a,
            "SECRET_HASH": secret_hash(secret, "bob@example.com", client_id),
        },
    )
    responses = srp.password_verifier_response(
        eph,
        first["ChallengeParameters"],
        user_pool_id=pool_id,
        password=PASSWORD,
        timestamp=timestamp(local),
    )
    assert responses["USERNAME"] == user.username
    # The hash over the alias typed at InitiateAuth (qwigo/warrant#74) is refused...
    responses["SECRET_HASH"] = secret_hash(secret, "bob@example.com", client_id)
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        ),
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    # ... (the failed attempt did not use the session up) and the real name's accepted.
    responses["SECRET_HASH"] = secret_hash(secret, user.username, client_id)
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    refresh = result["AuthenticationResult"]["RefreshToken"]
    # REFRESH_TOKEN_AUTH: the token owner's user name, not the e-mail.
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=client_id,
            AuthParameters={
                "REFRESH_TOKEN": refresh,
                "USERNAME": "bob@example.com",
                "SECRET_HASH": secret_hash(secret, "bob@example.com", client_id),
            },
        ),
        "NotAuthorizedException",
    )
    renewed = await idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=client_id,
        AuthParameters={
            "REFRESH_TOKEN": refresh,
            "SECRET_HASH": secret_hash(secret, user.username, client_id),
        },
    )
    assert "AccessToken" in renewed["AuthenticationResult"]


async def test_secret_hash_for_an_unknown_user_uses_the_typed_name(
    local: LocalCognito, idp: Any
) -> None:
    client_id, secret = local.create_client(
        generate_secret=True, PreventUserExistenceErrors="ENABLED"
    )
    assert secret is not None
    eph = srp.start_ephemeral()
    first = await idp.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={
            "USERNAME": "ghost",
            "SRP_A": eph.srp_a,
            "SECRET_HASH": secret_hash(secret, "ghost", client_id),
        },
    )
    responses = srp.password_verifier_response(
        eph,
        first["ChallengeParameters"],
        user_pool_id=local.user_pool_id,
        password=PASSWORD,
        timestamp=timestamp(local),
    )
    responses["SECRET_HASH"] = secret_hash(secret, "ghost", client_id)
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


# ------------------------------------------------------------------ 4. device swap
def confirm(device: Any, secret: srp.DeviceSecret) -> None:
    """What ConfirmDevice stores, without a sign-in."""
    device.salt = int.from_bytes(base64.b64decode(secret.salt_b64), "big")
    device.verifier = int.from_bytes(base64.b64decode(secret.verifier_b64), "big")


async def test_device_srp_must_prove_the_device_the_sign_in_named(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "devices-mfa",
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": True,
        },
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    user = pool.create_user("mia", PASSWORD, mfa="SOFTWARE_TOKEN_MFA")
    devices = {}
    for name, remembered in (("A", True), ("B", False)):
        device = local.backend.new_device(pool, user)
        secret = srp.generate_device_secret(device.group_key, device.key)
        confirm(device, secret)
        device.remembered = remembered
        devices[name] = (device, secret)
    remembered, _ = devices["A"]
    other, other_secret = devices["B"]
    helper = make_srp(pool_id=pool_id, client_id=client_id)

    async def device_step(claimed: str) -> Any:
        step = await helper.sign_in("mia", PASSWORD, device_key=remembered.key)
        assert step["ChallengeName"] == "DEVICE_SRP_AUTH"  # MFA skipped for remembered A
        eph = srp.start_ephemeral()
        return eph, await idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "mia", "DEVICE_KEY": claimed, "SRP_A": eph.srp_a},
        )

    # Naming remembered A, then proving unremembered B: refused (no MFA bypass).
    with pytest.raises(ClientError) as info:
        await device_step(other.key)
    assert code_of(info.value) == "NotAuthorizedException"
    # Proving A itself still works.
    _eph, step = await device_step(remembered.key)
    assert step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    assert other_secret.device_password  # B's secret, known to the attacker, is no use


async def test_device_sign_in_with_the_named_device_still_works(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "devices-dpv",
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    user = pool.create_user("max", PASSWORD)
    device = local.backend.new_device(pool, user)
    secret = srp.generate_device_secret(device.group_key, device.key)
    confirm(device, secret)
    device.remembered = True
    helper = make_srp(pool_id=pool_id, client_id=client_id)
    step = await helper.sign_in("max", PASSWORD, device_key=device.key)
    eph = srp.start_ephemeral()
    step = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "max", "DEVICE_KEY": device.key, "SRP_A": eph.srp_a},
    )
    responses = srp.device_password_verifier_response(
        eph,
        step["ChallengeParameters"],
        device_group_key=device.group_key,
        device_key=device.key,
        device_password=secret.device_password,
        user_id_for_srp="max",
        timestamp=timestamp(local),
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=step["Session"],
        ChallengeResponses=responses,
    )
    claims = jwt.decode(
        result["AuthenticationResult"]["AccessToken"], options={"verify_signature": False}
    )
    assert claims["device_key"] == device.key


# ------------------------------------------------------------------ 5. rotation
async def test_refresh_token_rotation_is_enforced(local: LocalCognito, idp: Any) -> None:
    local.clock.freeze()
    client_id, _ = local.create_client(
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    )
    local.pool().create_user("rot", PASSWORD)
    tokens = (
        await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "rot", "PASSWORD": PASSWORD},
        )
    )["AuthenticationResult"]
    refresh = tokens["RefreshToken"]
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        await fails(
            idp.initiate_auth(
                AuthFlow=flow, ClientId=client_id, AuthParameters={"REFRESH_TOKEN": refresh}
            ),
            "InvalidParameterException",
        )
    await fails(
        idp.admin_initiate_auth(
            UserPoolId=local.user_pool_id,
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        ),
        "InvalidParameterException",
    )
    rotated = (await idp.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=refresh))[
        "AuthenticationResult"
    ]
    assert rotated["RefreshToken"] != refresh
    # RetryGracePeriodSeconds=0: the rotated-out token is dead at the very same instant.
    await fails(
        idp.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=refresh),
        "RefreshTokenReuseException",
    )
    again = await idp.get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=rotated["RefreshToken"]
    )
    assert again["AuthenticationResult"]["RefreshToken"] != rotated["RefreshToken"]


# ------------------------------------------------------------------ 6. AdminCreateUser
async def test_admin_create_user_alias_clash_leaves_no_user(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool("alias-admin", AliasAttributes=["email"])
    pool = local.pool(pool_id)
    alice = pool.create_user("alice", PASSWORD, attributes={"email": "a@example.com"})
    attributes = [
        {"Name": "email", "Value": "a@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    await fails(
        idp.admin_create_user(
            UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS", UserAttributes=attributes
        ),
        "AliasExistsException",
    )
    await fails(idp.admin_get_user(UserPoolId=pool_id, Username="bob"), "UserNotFoundException")
    assert set(pool.users) == {"alice"}
    created = await idp.admin_create_user(
        UserPoolId=pool_id,
        Username="bob",
        MessageAction="SUPPRESS",
        UserAttributes=attributes,
        ForceAliasCreation=True,
    )
    assert created["User"]["Username"] == "bob"
    assert not alice.verified("email") and pool.user("bob").verified("email")


# ------------------------------------------------------------------ 7. malformed members
@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("CreateUserPoolClient", {"ClientName": "c", "TokenValidityUnits": "hours"}),
        ("CreateUserPoolClient", {"ClientName": "c", "TokenValidityUnits": {"AccessToken": ["h"]}}),
        ("CreateUserPoolClient", {"ClientName": "c", "RefreshTokenRotation": "ENABLED"}),
        ("CreateUserPoolClient", {"ClientName": "c", "AccessTokenValidity": "60"}),
        ("CreateUserPool", {"PoolName": "x", "Policies": {"PasswordPolicy": "x"}}),
        ("CreateUserPool", {"PoolName": "x", "AdminCreateUserConfig": "x"}),
        ("CreateUserPool", {"PoolName": "x", "UsernameConfiguration": "x"}),
        (
            "CreateUserPool",
            {
                "PoolName": "x",
                "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": "7"}},
            },
        ),
        ("CreateUserPool", {"PoolName": "x", "MfaConfiguration": ["ON"]}),
        (
            "CreateUserPool",
            {"PoolName": "x", "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": "yes"}},
        ),
        (
            "SetUserPoolMfaConfig",
            {"MfaConfiguration": "ON", "SmsMfaConfiguration": {"SmsConfiguration": 1}},
        ),
        (
            "UpdateUserPool",
            {
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [
                        {"Name": "verified_email", "Priority": "1"},
                        {"Name": "admin_only", "Priority": 2},
                    ]
                }
            },
        ),
        ("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": 5}),
        ("SignUp", {"ClientId": "x", "Username": "u", "UserAttributes": {"email": "x"}}),
    ],
)
async def test_malformed_members_are_serialization_errors(
    local: LocalCognito, operation: str, body: dict[str, Any]
) -> None:
    if operation not in ("CreateUserPool", "InitiateAuth", "SignUp"):
        body = {"UserPoolId": local.user_pool_id, **body}
    status, answer = await raw_post(local, operation, body)
    assert status == 400, answer
    assert answer["__type"] == "SerializationException", answer


async def test_deeply_nested_json_is_a_serialization_error(local: LocalCognito) -> None:
    status, answer = await raw_post(local, "InitiateAuth", data="[" * 200_000 + "]" * 200_000)
    assert status == 400 and answer["__type"] == "SerializationException"
    nested = '{"ClientId": "x", "ClientMetadata": ' + "[" * 5000 + "]" * 5000 + "}"
    status, answer = await raw_post(local, "InitiateAuth", data=nested)
    assert status == 400 and answer["__type"] == "SerializationException"


async def test_recovery_priority_must_be_an_integer(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("rec", PASSWORD, attributes={"email": "rec@example.com"})
    status, _ = await raw_post(
        local,
        "UpdateUserPool",
        {
            "UserPoolId": local.user_pool_id,
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [
                    {"Name": "verified_email", "Priority": "1"},
                    {"Name": "verified_phone_number", "Priority": 2},
                ]
            },
        },
    )
    assert status == 400
    await fails(
        idp.update_user_pool(
            UserPoolId=local.user_pool_id,
            AccountRecoverySetting={
                "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 3}]
            },
        ),
        "InvalidParameterException",
    )
    with pytest.raises(ServiceError) as info:
        local.create_pool(
            "bad",
            AccountRecoverySetting={
                "RecoveryMechanisms": [{"Name": "verified_email", "Priority": "1"}]
            },
        )
    assert info.value.code == "InvalidParameterException"
    with pytest.raises(ServiceError):
        local.create_client(TokenValidityUnits="hours")
    # The pool was not poisoned: ForgotPassword still works.
    sent = await idp.forgot_password(ClientId=local.client_id, Username="rec")
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


# ------------------------------------------------------------------ 8. CORS and Host
async def test_local_endpoints_are_not_readable_cross_origin(local: LocalCognito) -> None:
    local.pool().create_user("cors", PASSWORD, attributes={"email": "cors@example.com"})
    evil = {"Origin": "http://evil.example"}
    async with aiohttp.ClientSession() as session:
        async with session.get(local.endpoint_url + "/_local/outbox", headers=evil) as r:
            assert r.status == 403
            assert "Access-Control-Allow-Origin" not in r.headers
        async with session.post(
            local.endpoint_url + "/_local/clock", headers=evil, data='{"set": 0}'
        ) as r:
            assert r.status == 403
        assert local.clock.now() > 0
        async with session.options(
            local.endpoint_url + "/_local/clock",
            headers={**evil, "Access-Control-Request-Method": "POST"},
        ) as r:
            assert r.status == 403
            assert "Access-Control-Allow-Origin" not in r.headers
        async with session.get(local.endpoint_url + "/_local/outbox") as r:
            assert r.status == 200
            assert "Access-Control-Allow-Origin" not in r.headers
        # The Cognito API keeps its CORS (the JS SDK in a browser).
        async with session.options(
            local.endpoint_url + "/", headers={**evil, "Access-Control-Request-Method": "POST"}
        ) as r:
            assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"


async def test_foreign_host_header_is_refused(local: LocalCognito, idp: Any) -> None:
    async with aiohttp.ClientSession() as session:
        for path in (
            "/_local/health",
            "/_local/outbox",
            f"/{local.user_pool_id}/.well-known/jwks.json",
        ):
            async with session.get(
                local.endpoint_url + path, headers={"Host": "attacker.rebind.example"}
            ) as r:
                assert r.status == 400, path
            async with session.get(
                local.endpoint_url + path, headers={"Host": f"127.0.0.1:{local.port + 1}"}
            ) as r:
                assert r.status == 400, path
        async with session.get(
            local.endpoint_url + "/_local/health", headers={"Host": f"localhost:{local.port}"}
        ) as r:
            assert r.status == 200
    status, _ = await raw_post(
        local, "ListUserPools", {"MaxResults": 1}, headers={"Host": f"rebind.example:{local.port}"}
    )
    assert status == 400
    assert "UserPools" in await idp.list_user_pools(MaxResults=1)


# ------------------------------------------------------------------ 9. modelled errors
async def test_no_mfa_method_answers_modelled_errors(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "sms-only",
        MfaConfiguration="ON",
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::0:role/x"},
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("nophone", PASSWORD)
    error = await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "nophone", "PASSWORD": PASSWORD},
        ),
        "InvalidUserPoolConfigurationException",
    )
    assert code_of(error) in error_codes(idp, "InitiateAuth")
    with pytest.raises(ClientError) as info:
        await make_srp(pool_id=pool_id, client_id=client_id).sign_in("nophone", PASSWORD)
    assert code_of(info.value) == "MFAMethodNotFoundException"
    assert code_of(info.value) in error_codes(idp, "RespondToAuthChallenge")
    error = await fails(
        idp.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "nophone", "PASSWORD": PASSWORD},
        ),
        "MFAMethodNotFoundException",
    )
    assert code_of(error) in error_codes(idp, "AdminInitiateAuth")


async def test_mfa_setup_before_verify_software_token_is_modelled(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "setup", MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("neo", PASSWORD)
    challenge = await make_srp(pool_id=pool_id, client_id=client_id).sign_in("neo", PASSWORD)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    associated = await idp.associate_software_token(Session=challenge["Session"])
    error = await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="MFA_SETUP",
            Session=associated["Session"],
            ChallengeResponses={"USERNAME": "neo", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
        ),
        "InvalidParameterException",
    )
    assert code_of(error) in error_codes(idp, "RespondToAuthChallenge")


async def test_mfa_challenge_names_the_real_user_for_the_secret_hash(
    local: LocalCognito, idp: Any
) -> None:
    """After USER_PASSWORD_AUTH with the e-mail, the MFA challenge's USER_ID_FOR_SRP is the
    real user name; the answer's SECRET_HASH must cover the USERNAME the answer sends
    ("username and secret hash must correspond", aws-amplify/aws-sdk-android#1144)."""
    pool_id = local.create_pool(
        "email-mfa",
        UsernameAttributes=["email"],
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id, secret = local.create_client(pool_id, generate_secret=True)
    assert secret is not None
    user = local.pool(pool_id).create_user("eve@example.com", PASSWORD, mfa="SOFTWARE_TOKEN_MFA")
    assert user.totp_secret is not None
    challenge = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={
            "USERNAME": "eve@example.com",
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(secret, "eve@example.com", client_id),
        },
    )
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    real = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert real == user.username
    code = totp(local, user.totp_secret)
    for name, hashed in (("eve@example.com", real), (real, "eve@example.com")):
        await fails(
            idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge["Session"],
                ChallengeResponses={
                    "USERNAME": name,
                    "SOFTWARE_TOKEN_MFA_CODE": code,
                    "SECRET_HASH": secret_hash(secret, hashed, client_id),
                },
            ),
            "NotAuthorizedException",
            f"Unable to verify secret hash for client {client_id}",
        )
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": real,
            "SOFTWARE_TOKEN_MFA_CODE": code,
            "SECRET_HASH": secret_hash(secret, real, client_id),
        },
    )
    assert "AccessToken" in result["AuthenticationResult"]
