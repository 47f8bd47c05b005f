"""Admin operations: pools, clients, users; AdminInitiateAuth / AdminRespondToAuthChallenge."""

from __future__ import annotations

import json
from typing import Any

from cognito_flows import srp
from cognito_local import LocalCognito

from .conftest import PASSWORD, Srp, fails, timestamp, totp

NEW_PASSWORD = "N3w-Passw0rd!"


async def test_create_and_describe_pool(local: LocalCognito, idp: Any) -> None:
    created = (
        await idp.create_user_pool(
            PoolName="made",
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireSymbols": False}},
            Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
            DeviceConfiguration={"ChallengeRequiredOnNewDevice": True},
        )
    )["UserPool"]
    pool_id = created["Id"]
    assert pool_id.startswith("us-east-1_") and pool_id in local.pools
    described = (await idp.describe_user_pool(UserPoolId=pool_id))["UserPool"]
    assert described["Name"] == "made"
    assert described["UsernameAttributes"] == ["email"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert described["MfaConfiguration"] == "OFF"
    assert described["DeviceConfiguration"] == {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    }
    names = {a["Name"] for a in described["SchemaAttributes"]}
    assert {"email", "sub", "custom:tenant"} <= names
    await fails(
        idp.create_user_pool(
            PoolName="bad", UsernameAttributes=["email"], AliasAttributes=["email"]
        ),
        "InvalidParameterException",
    )
    pools = await idp.list_user_pools(MaxResults=60)
    assert pool_id in [p["Id"] for p in pools["UserPools"]]


async def test_update_user_pool_resets_unspecified(local: LocalCognito, idp: Any) -> None:
    pool_id = (
        await idp.create_user_pool(
            PoolName="upd",
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 12}},
        )
    )["UserPool"]["Id"]
    await idp.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["phone_number"])
    described = (await idp.describe_user_pool(UserPoolId=pool_id))["UserPool"]
    assert described["AutoVerifiedAttributes"] == ["phone_number"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8


async def test_set_user_pool_mfa_config(local: LocalCognito, idp: Any) -> None:
    pool_id = (await idp.create_user_pool(PoolName="mfa"))["UserPool"]["Id"]
    await fails(
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON"),
        "InvalidParameterException",
    )
    config = await idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "code {####}"},
    )
    assert config["MfaConfiguration"] == "OPTIONAL"
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert "SmsMfaConfiguration" not in config
    again = await idp.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert again["EmailMfaConfiguration"] == {"Message": "code {####}"}


async def test_clients(local: LocalCognito, idp: Any) -> None:
    created = (
        await idp.create_user_pool_client(
            UserPoolId=local.user_pool_id,
            ClientName="web",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            AccessTokenValidity=2,
            TokenValidityUnits={"AccessToken": "hours"},
            AuthSessionValidity=5,
        )
    )["UserPoolClient"]
    assert len(created["ClientSecret"]) >= 24
    assert created["AccessTokenValidity"] == 2 and created["AuthSessionValidity"] == 5
    assert created["PreventUserExistenceErrors"] == "LEGACY"
    assert created["EnableTokenRevocation"] is True
    client_id = created["ClientId"]
    updated = (
        await idp.update_user_pool_client(
            UserPoolId=local.user_pool_id, ClientId=client_id, ClientName="web2"
        )
    )["UserPoolClient"]
    assert updated["ClientName"] == "web2"
    assert updated["AccessTokenValidity"] == 60  # reset to the default, as in AWS
    assert updated["ClientSecret"] == created["ClientSecret"]
    await fails(
        idp.create_user_pool_client(
            UserPoolId=local.user_pool_id,
            ClientName="x",
            AccessTokenValidity=1,
            TokenValidityUnits={"AccessToken": "minutes"},
        ),
        "InvalidParameterException",
    )
    await fails(
        idp.create_user_pool_client(
            UserPoolId=local.user_pool_id,
            ClientName="x",
            ExplicitAuthFlows=["USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"],
        ),
        "InvalidParameterException",
    )
    listed = await idp.list_user_pool_clients(UserPoolId=local.user_pool_id, MaxResults=60)
    assert client_id in [c["ClientId"] for c in listed["UserPoolClients"]]
    await idp.delete_user_pool_client(UserPoolId=local.user_pool_id, ClientId=client_id)
    await fails(
        idp.describe_user_pool_client(UserPoolId=local.user_pool_id, ClientId=client_id),
        "ResourceNotFoundException",
    )


async def test_admin_create_user_and_new_password_required(
    local: LocalCognito, idp: Any, srp_client: Srp
) -> None:
    created = (
        await idp.admin_create_user(
            UserPoolId=local.user_pool_id,
            Username="newbie",
            UserAttributes=[
                {"Name": "email", "Value": "newbie@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    )["User"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD" and created["Enabled"] is True
    message = local.outbox.last(username="newbie", purpose="ADMIN_CREATE_USER")
    assert message.channel == "EMAIL"
    temporary = message.code
    eph, first = await srp_client.start("newbie")
    step = await srp_client.verify(srp_client.answer(eph, first, temporary))
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(step["ChallengeParameters"]["requiredAttributes"]) == []
    assert json.loads(step["ChallengeParameters"]["userAttributes"])["email"] == (
        "newbie@example.com"
    )
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "newbie", "NEW_PASSWORD": "weak"},
        ),
        "InvalidPasswordException",
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "newbie",
            "NEW_PASSWORD": NEW_PASSWORD,
            "userAttributes.name": "New Bie",
        },
    )
    assert "AuthenticationResult" in result
    got = await idp.admin_get_user(UserPoolId=local.user_pool_id, Username="newbie")
    assert got["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "New Bie"} in got["UserAttributes"]
    await fails(
        idp.admin_create_user(UserPoolId=local.user_pool_id, Username="newbie"),
        "UsernameExistsException",
    )


async def test_required_attributes_in_new_password(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "req",
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )
    client_id, _ = local.create_client(pool_id)
    await idp.admin_create_user(
        UserPoolId=pool_id, Username="req", TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
    )
    srp_ = make_srp(pool_id=pool_id, client_id=client_id)
    step = await srp_.sign_in("req", PASSWORD)
    assert json.loads(step["ChallengeParameters"]["requiredAttributes"]) == ["userAttributes.name"]
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "req", "NEW_PASSWORD": NEW_PASSWORD},
        ),
        "InvalidParameterException",
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "req",
            "NEW_PASSWORD": NEW_PASSWORD,
            "userAttributes.name": "Req",
        },
    )
    assert "AuthenticationResult" in result


async def test_temporary_password_expires(local: LocalCognito, idp: Any) -> None:
    await idp.admin_create_user(
        UserPoolId=local.user_pool_id,
        Username="old",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    local.clock.advance(8 * 86400)
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "old", "PASSWORD": PASSWORD},
        ),
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )
    await idp.admin_create_user(
        UserPoolId=local.user_pool_id,
        Username="old",
        MessageAction="RESEND",
        TemporaryPassword=NEW_PASSWORD,
    )
    step = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "old", "PASSWORD": NEW_PASSWORD},
    )
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


async def test_admin_set_user_password(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    await idp.admin_create_user(
        UserPoolId=local.user_pool_id,
        Username="perm",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    await fails(
        idp.admin_set_user_password(
            UserPoolId=local.user_pool_id, Username="perm", Password="weak", Permanent=True
        ),
        "InvalidPasswordException",
    )
    await idp.admin_set_user_password(
        UserPoolId=local.user_pool_id, Username="perm", Password=NEW_PASSWORD, Permanent=True
    )
    assert "AuthenticationResult" in await srp_client.sign_in("perm", NEW_PASSWORD)
    await idp.admin_set_user_password(
        UserPoolId=local.user_pool_id, Username="perm", Password=PASSWORD, Permanent=False
    )
    assert (await srp_client.sign_in("perm", PASSWORD))["ChallengeName"] == (
        "NEW_PASSWORD_REQUIRED"
    )


async def test_admin_confirm_get_delete(local: LocalCognito, idp: Any) -> None:
    await idp.sign_up(ClientId=local.client_id, Username="conf", Password=PASSWORD)
    await idp.admin_confirm_sign_up(UserPoolId=local.user_pool_id, Username="conf")
    await fails(
        idp.admin_confirm_sign_up(UserPoolId=local.user_pool_id, Username="conf"),
        "NotAuthorizedException",
    )
    got = await idp.admin_get_user(UserPoolId=local.user_pool_id, Username="conf")
    assert got["UserStatus"] == "CONFIRMED" and got["Username"] == "conf"
    await idp.admin_delete_user(UserPoolId=local.user_pool_id, Username="conf")
    await fails(
        idp.admin_get_user(UserPoolId=local.user_pool_id, Username="conf"),
        "UserNotFoundException",
        "User does not exist.",
    )


async def test_admin_reset_user_password(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("rr", PASSWORD, attributes={"email": "rr@example.com"})
    await idp.admin_reset_user_password(UserPoolId=local.user_pool_id, Username="rr")
    assert local.pool().user("rr").status == "RESET_REQUIRED"
    await fails(
        srp_client.start("rr"),
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )
    code = local.outbox.last(username="rr", purpose="FORGOT_PASSWORD").code
    await idp.confirm_forgot_password(
        ClientId=local.client_id, Username="rr", ConfirmationCode=code, Password=NEW_PASSWORD
    )
    assert "AuthenticationResult" in await srp_client.sign_in("rr", NEW_PASSWORD)


async def test_admin_mfa_preference_and_attributes(
    local: LocalCognito, idp: Any, srp_client: Srp
) -> None:
    local.pool().create_user("am", PASSWORD, totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    await idp.admin_set_user_mfa_preference(
        UserPoolId=local.user_pool_id,
        Username="am",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    got = await idp.admin_get_user(UserPoolId=local.user_pool_id, Username="am")
    assert got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert (await srp_client.sign_in("am", PASSWORD))["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    await idp.admin_update_user_attributes(
        UserPoolId=local.user_pool_id,
        Username="am",
        UserAttributes=[
            {"Name": "email", "Value": "am@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    assert local.pool().user("am").verified("email")
    await idp.admin_delete_user_attributes(
        UserPoolId=local.user_pool_id, Username="am", UserAttributeNames=["email"]
    )
    assert local.pool().user("am").attr("email") is None


async def test_admin_initiate_and_respond(local: LocalCognito, idp: Any) -> None:
    user = local.pool().create_user("adm", PASSWORD, mfa="SOFTWARE_TOKEN_MFA")
    for flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        step = await idp.admin_initiate_auth(
            UserPoolId=local.user_pool_id,
            ClientId=local.client_id,
            AuthFlow=flow,
            AuthParameters={"USERNAME": "adm", "PASSWORD": PASSWORD},
        )
        assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    local.clock.advance(60)
    result = await idp.admin_respond_to_auth_challenge(
        UserPoolId=local.user_pool_id,
        ClientId=local.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "adm",
            "SOFTWARE_TOKEN_MFA_CODE": totp(local, user.totp_secret),
        },
    )
    assert "AuthenticationResult" in result
    await fails(
        idp.admin_initiate_auth(
            UserPoolId=local.user_pool_id,
            ClientId=local.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "adm", "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
    )
    other_pool = local.create_pool("other")
    await fails(
        idp.admin_initiate_auth(
            UserPoolId=other_pool,
            ClientId=local.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "adm", "PASSWORD": PASSWORD},
        ),
        "ResourceNotFoundException",
    )


async def test_admin_srp(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("asrp", PASSWORD)
    eph = srp.start_ephemeral()
    step = await idp.admin_initiate_auth(
        UserPoolId=local.user_pool_id,
        ClientId=local.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "asrp", "SRP_A": eph.srp_a},
    )
    responses = srp.password_verifier_response(
        eph,
        step["ChallengeParameters"],
        user_pool_id=local.user_pool_id,
        password=PASSWORD,
        timestamp=timestamp(local),
    )
    result = await idp.admin_respond_to_auth_challenge(
        UserPoolId=local.user_pool_id,
        ClientId=local.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    )
    assert "AuthenticationResult" in result


async def test_list_users(local: LocalCognito, idp: Any) -> None:
    pool = local.pool()
    for i in range(5):
        pool.create_user(f"list{i}", PASSWORD, attributes={"email": f"l{i}@example.com"})
    pool.create_user("other", PASSWORD, attributes={"email": "zz@example.org"}, enabled=False)
    page = await idp.list_users(UserPoolId=local.user_pool_id, Limit=2)
    assert len(page["Users"]) == 2
    seen = [u["Username"] for u in page["Users"]]
    while "PaginationToken" in page:
        page = await idp.list_users(
            UserPoolId=local.user_pool_id, Limit=2, PaginationToken=page["PaginationToken"]
        )
        seen += [u["Username"] for u in page["Users"]]
    assert seen == [f"list{i}" for i in range(5)] + ["other"]
    found = await idp.list_users(UserPoolId=local.user_pool_id, Filter='email = "l3@example.com"')
    assert [u["Username"] for u in found["Users"]] == ["list3"]
    prefixed = await idp.list_users(
        UserPoolId=local.user_pool_id, Filter='username ^= "list"', AttributesToGet=["email"]
    )
    assert len(prefixed["Users"]) == 5
    assert prefixed["Users"][0]["Attributes"] == [{"Name": "email", "Value": "l0@example.com"}]
    disabled = await idp.list_users(UserPoolId=local.user_pool_id, Filter='status = "Disabled"')
    assert [u["Username"] for u in disabled["Users"]] == ["other"]
    await fails(
        idp.list_users(UserPoolId=local.user_pool_id, Filter="email = nope"),
        "InvalidParameterException",
    )
    await fails(
        idp.list_users(UserPoolId=local.user_pool_id, Filter='custom:x = "1"'),
        "InvalidParameterException",
    )


async def test_admin_disable_enable_and_global_sign_out(
    local: LocalCognito, idp: Any, srp_client: Srp
) -> None:
    local.pool().create_user("dis", PASSWORD)
    tokens = (await srp_client.sign_in("dis", PASSWORD))["AuthenticationResult"]
    await idp.admin_user_global_sign_out(UserPoolId=local.user_pool_id, Username="dis")
    await fails(
        idp.get_user(AccessToken=tokens["AccessToken"]),
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    await idp.admin_disable_user(UserPoolId=local.user_pool_id, Username="dis")
    await fails(srp_client.start("dis"), "NotAuthorizedException", "User is disabled.")
    await idp.admin_enable_user(UserPoolId=local.user_pool_id, Username="dis")
    assert "AuthenticationResult" in await srp_client.sign_in("dis", PASSWORD)


async def test_delete_user_pool(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool("gone", DeletionProtection="ACTIVE")
    await fails(idp.delete_user_pool(UserPoolId=pool_id), "InvalidParameterException")
    other = local.create_pool("gone2")
    await idp.delete_user_pool(UserPoolId=other)
    assert other not in local.pools
