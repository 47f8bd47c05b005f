"""The local Cognito against AWS's sources (issue 11 items 3-8): each test names its source."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import jwt
import pyotp

from cognito_local import LocalCognito, secret_hash

from .conftest import PASSWORD, Srp, fails, totp

FIRST_FACTORS = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}


async def password_auth(idp: Any, client_id: str, username: str) -> Any:
    return await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


# ------------------------------------------------------------------ item 3
async def test_email_mfa_uses_the_email_the_user_has(local: LocalCognito, idp: Any) -> None:
    """Developer guide, "SMS and email message MFA": no configuration is needed after the
    user adds an e-mail address; MFA_SETUP asks for one only when there is none."""
    pool_id = local.create_pool(
        "email-mfa", MfaConfiguration="ON", EmailMfaConfiguration={"Subject": "code"}
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("emma", PASSWORD, attributes={"email": "emma@example.com"})
    step = await password_auth(idp, client_id, "emma")
    assert step["ChallengeName"] == "EMAIL_OTP"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = local.outbox.last(username="emma", purpose="MFA").code
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="EMAIL_OTP",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "emma", "EMAIL_OTP_CODE": code},
    )
    assert "AccessToken" in result["AuthenticationResult"]
    # Without an e-mail, MFA_SETUP still asks for one.
    local.pool(pool_id).create_user("noel", PASSWORD)
    step = await password_auth(idp, client_id, "noel")
    assert step["ChallengeName"] == "MFA_SETUP"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["EMAIL_OTP"]


# ------------------------------------------------------------------ item 4
async def test_no_passwordless_factor_for_a_user_with_mfa(local: LocalCognito, idp: Any) -> None:
    """Amplify docs: "If a user has MFA configured, passwordless sign-in options will not
    be available"; an e-mail code alone must not sign a TOTP user in."""
    pool_id = local.create_pool(
        "mfa-passwordless",
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        Policies=FIRST_FACTORS,
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    pool.create_user(
        "tina", PASSWORD, attributes={"email": "t@example.com"}, mfa="SOFTWARE_TOKEN_MFA"
    )
    pool.create_user("otto", PASSWORD, attributes={"email": "o@example.com"})

    async def user_auth(username: str, **params: str) -> Any:
        return await idp.initiate_auth(
            AuthFlow="USER_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": username, **params},
        )

    step = await user_auth("tina")
    assert step["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "tina", "ANSWER": "EMAIL_OTP"},
        ),
        "InvalidParameterException",
    )
    step = await user_auth("tina", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert not local.outbox.all(username="tina")
    # Without MFA the e-mail code is still offered.
    step = await user_auth("otto")
    assert step["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]


# ------------------------------------------------------------------ item 5
async def test_client_metadata_is_not_stored(local: LocalCognito, idp: Any) -> None:
    """API reference, RespondToAuthChallenge ClientMetadata: Cognito won't "Store the
    ClientMetadata value"; each trigger sees what its own request sent."""
    seen: list[tuple[str, dict[str, str]]] = []

    def define(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(("define", dict(event["request"]["clientMetadata"])))
        history = event["request"]["session"]
        if history and history[-1]["challengeResult"]:
            event["response"]["issueTokens"] = True
        else:
            event["response"]["challengeName"] = "CUSTOM_CHALLENGE"
        return event

    def create(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(("create", dict(event["request"]["clientMetadata"])))
        event["response"]["privateChallengeParameters"] = {"answer": "42"}
        return event

    def verify(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(("verify", dict(event["request"]["clientMetadata"])))
        event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == "42"
        return event

    local.pool().set_triggers(
        define_auth_challenge=define,
        create_auth_challenge=create,
        verify_auth_challenge_response=verify,
    )
    local.pool().create_user("cmd", None)
    step = await idp.initiate_auth(
        AuthFlow="CUSTOM_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "cmd"},
        ClientMetadata={"from": "InitiateAuth"},
    )
    step = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "cmd", "ANSWER": "41"},
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "cmd", "ANSWER": "42"},
        ClientMetadata={"from": "answer"},
    )
    assert "AccessToken" in result["AuthenticationResult"]
    first = {"from": "InitiateAuth"}
    last = {"from": "answer"}
    assert seen == [
        ("define", first),
        ("create", first),
        ("verify", {}),
        ("define", {}),
        ("create", {}),
        ("verify", last),
        ("define", last),
    ]


# ------------------------------------------------------------------ item 6
async def test_secret_hash_covers_the_answers_username(local: LocalCognito, idp: Any) -> None:
    """The SECRET_HASH of an answer covers the USERNAME that answer sends
    (aws-amplify/aws-sdk-android#1144; Amplify Swift's buildInput hashes the USERNAME it
    sends, the typed name for USER_AUTH codes), but SRP challenges need the real user name,
    not an alias (API reference, AdminInitiateAuth ChallengeParameters)."""
    pool_id = local.create_pool("alias", UsernameAttributes=["email"], Policies=FIRST_FACTORS)
    client_id, secret = local.create_client(pool_id, generate_secret=True)
    assert secret is not None
    alias = "ada@example.com"
    user = local.pool(pool_id).create_user(alias, PASSWORD)

    def hashed(name: str) -> str:
        assert secret is not None
        return secret_hash(secret, name, client_id)

    step = await idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=client_id,
        AuthParameters={
            "USERNAME": alias,
            "PREFERRED_CHALLENGE": "EMAIL_OTP",
            "SECRET_HASH": hashed(alias),
        },
    )
    assert step["ChallengeName"] == "EMAIL_OTP"
    code = local.outbox.last(username=user.username, purpose="EMAIL_OTP").code

    async def answer(name: str, over: str) -> Any:
        return await idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="EMAIL_OTP",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": name,
                "EMAIL_OTP_CODE": code,
                "SECRET_HASH": hashed(over),
            },
        )

    mismatch = f"Unable to verify secret hash for client {client_id}"
    await fails(answer(user.username, alias), "NotAuthorizedException", mismatch)
    await fails(answer(alias, user.username), "NotAuthorizedException", mismatch)
    result = await answer(alias, alias)
    assert "AccessToken" in result["AuthenticationResult"]

    # PASSWORD_VERIFIER: an alias with its own hash is refused; the real name works.
    srp_client = Srp(local, idp, pool_id=pool_id, client_id=client_id, client_secret=secret)
    eph, first = await srp_client.start(alias)
    assert first["ChallengeParameters"]["USERNAME"] == user.username
    responses = srp_client.answer(eph, first, PASSWORD)
    responses.update(USERNAME=alias, SECRET_HASH=hashed(alias))
    await fails(
        srp_client.verify(responses), "NotAuthorizedException", "Incorrect username or password."
    )
    eph, first = await srp_client.start(alias)
    result = await srp_client.verify(srp_client.answer(eph, first, PASSWORD))
    assert "AccessToken" in result["AuthenticationResult"]


# ------------------------------------------------------------------ item 7
async def test_totp_challenge_names_the_authenticator(local: LocalCognito, idp: Any) -> None:
    """Knowledge Center cognito-user-pool-totp-mfa: SOFTWARE_TOKEN_MFA ChallengeParameters
    carry FRIENDLY_DEVICE_NAME, the name given to VerifySoftwareToken."""
    pool_id = local.create_pool(
        "totp", MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("fay", PASSWORD)
    tokens = (await password_auth(idp, client_id, "fay"))["AuthenticationResult"]
    secret = (await idp.associate_software_token(AccessToken=tokens["AccessToken"]))["SecretCode"]
    await idp.verify_software_token(
        AccessToken=tokens["AccessToken"],
        UserCode=totp(local, secret),
        FriendlyDeviceName="Fay's phone",
    )
    await idp.set_user_mfa_preference(
        AccessToken=tokens["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    step = await password_auth(idp, client_id, "fay")
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert step["ChallengeParameters"] == {
        "FRIENDLY_DEVICE_NAME": "Fay's phone",
        "USER_ID_FOR_SRP": "fay",
    }


async def test_new_password_cannot_change_a_required_attribute_with_a_value(
    local: LocalCognito, idp: Any
) -> None:
    """API reference, RespondToAuthChallenge: "In a NEW_PASSWORD_REQUIRED challenge
    response, you can't modify a required attribute that already has a value"; AWS's
    answer: NotAuthorizedException "Cannot modify an already provided email"
    (aws-samples/aws-saas-factory-bootcamp#67)."""
    pool_id = local.create_pool(
        "required",
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}
        ],
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user(
        "nia", PASSWORD, attributes={"email": "nia@example.com"}, status="FORCE_CHANGE_PASSWORD"
    )
    step = await password_auth(idp, client_id, "nia")
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": "nia",
                "NEW_PASSWORD": "N3w-Passw0rd!",
                "userAttributes.email": "other@example.com",
            },
        ),
        "NotAuthorizedException",
        "Cannot modify an already provided email",
    )
    step = await password_auth(idp, client_id, "nia")
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "nia",
            "NEW_PASSWORD": "N3w-Passw0rd!",
            "userAttributes.name": "Nia",
        },
    )
    assert "AccessToken" in result["AuthenticationResult"]


# ------------------------------------------------------------------ item 8
async def test_verify_software_token_with_a_session_registers_it(
    local: LocalCognito, idp: Any
) -> None:
    """API reference, VerifySoftwareToken: "Marks the user's software token MFA status as
    'verified' if successful. The request takes an access token or a session string"; AWS's
    Python scenario signs in again after it without answering MFA_SETUP."""
    pool_id = local.create_pool(
        "totp-on", MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("vic", PASSWORD)
    step = await password_auth(idp, client_id, "vic")
    assert step["ChallengeName"] == "MFA_SETUP"
    associated = await idp.associate_software_token(Session=step["Session"])
    secret = associated["SecretCode"]
    verified = await idp.verify_software_token(
        Session=associated["Session"], UserCode=totp(local, secret), FriendlyDeviceName="vic"
    )
    assert verified["Status"] == "SUCCESS"
    step = await password_auth(idp, client_id, "vic")
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = await idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "vic",
            "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).at(local.clock.now() + 30),
        },
    )
    assert "AccessToken" in result["AuthenticationResult"]


async def test_id_and_access_tokens_have_different_kids(local: LocalCognito, idp: Any) -> None:
    """Developer guide, using the access token: "the access token's kid won't match the
    kid of an ID token from the same user session"; both keys are in the JWKS."""
    local.pool().create_user("kim", PASSWORD)
    tokens = (await password_auth(idp, local.client_id, "kim"))["AuthenticationResult"]
    access_kid = jwt.get_unverified_header(tokens["AccessToken"])["kid"]
    id_kid = jwt.get_unverified_header(tokens["IdToken"])["kid"]
    assert access_kid != id_kid
    async with aiohttp.ClientSession() as http, http.get(local.jwks_url()) as response:
        keys = {key["kid"]: key for key in (await response.json())["keys"]}
    assert set(keys) == {access_kid, id_kid}
    assert keys[access_kid]["n"] != keys[id_kid]["n"]
    for token, kid in ((tokens["AccessToken"], access_kid), (tokens["IdToken"], id_kid)):
        public = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(keys[kid]))
        jwt.decode(token, public, algorithms=["RS256"], options={"verify_aud": False})  # type: ignore[arg-type]
    # The access token still works where Cognito checks it.
    assert (await idp.get_user(AccessToken=tokens["AccessToken"]))["Username"] == "kim"


async def test_blank_value_deletes_the_attribute(local: LocalCognito, idp: Any) -> None:
    """API reference, UpdateUserAttributes: "To delete an attribute from the user, submit
    the attribute in your API request with a blank value"."""
    local.pool().create_user(
        "bea", PASSWORD, attributes={"email": "bea@example.com", "given_name": "Bea"}
    )
    tokens = (await password_auth(idp, local.client_id, "bea"))["AuthenticationResult"]
    local.outbox.clear()
    answer = await idp.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": ""}, {"Name": "given_name", "Value": ""}],
    )
    assert "CodeDeliveryDetailsList" not in answer
    assert not local.outbox.all(username="bea")
    names = {
        a["Name"] for a in (await idp.get_user(AccessToken=tokens["AccessToken"]))["UserAttributes"]
    }
    assert names == {"sub"}
    await idp.admin_update_user_attributes(
        UserPoolId=local.user_pool_id,
        Username="bea",
        UserAttributes=[{"Name": "family_name", "Value": "Bee"}],
    )
    await idp.admin_update_user_attributes(
        UserPoolId=local.user_pool_id,
        Username="bea",
        UserAttributes=[{"Name": "family_name", "Value": ""}],
    )
    assert "family_name" not in local.pool().user("bea").attributes


async def test_email_verified_in_any_case(local: LocalCognito, idp: Any) -> None:
    """AdminCreateUser's reference writes "email_verified attribute is set to True";
    moto's aws_verified test_forgot_password_with_email_delivery_details sends "True"."""
    await idp.admin_create_user(
        UserPoolId=local.user_pool_id,
        Username="tru",
        UserAttributes=[
            {"Name": "email", "Value": "tru@example.com"},
            {"Name": "email_verified", "Value": "True"},
        ],
        MessageAction="SUPPRESS",
    )
    user = await idp.admin_get_user(UserPoolId=local.user_pool_id, Username="tru")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    await fails(
        idp.admin_update_user_attributes(
            UserPoolId=local.user_pool_id,
            Username="tru",
            UserAttributes=[{"Name": "email_verified", "Value": "yes"}],
        ),
        "InvalidParameterException",
    )


async def test_update_auth_event_feedback_needs_no_tokens_or_signature(local: LocalCognito) -> None:
    """UpdateAuthEventFeedback is unauthenticated (botocore: smithy.api#noAuth; API
    reference: no IAM, only the FeedbackToken of the notification e-mail)."""
    pool_id = local.create_pool(
        "asf", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}, UserPoolTier="PLUS"
    )
    user = local.pool(pool_id).create_user("ufb", PASSWORD)
    user.event_ids.append("event-1")
    body = {
        "UserPoolId": pool_id,
        "Username": "ufb",
        "EventId": "event-1",
        "FeedbackToken": "token-from-the-email",
        "FeedbackValue": "Invalid",
    }
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.UpdateAuthEventFeedback",
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(local.endpoint_url, json=body, headers=headers) as response:
            assert response.status == 200, await response.text()
        # The user may be named by sub, as the reference says.
        body["Username"] = user.sub
        async with http.post(local.endpoint_url, json=body, headers=headers) as response:
            assert response.status == 200, await response.text()


async def test_standard_schema_as_aws_describes_it(local: LocalCognito, idp: Any) -> None:
    """AWS's create-user-pool answer (cognito-local's USER_POOL_AWS_DEFAULTS; aws/aws-cli#3162,
    getmoto/moto#5965): sub is required with MinLength 1, birthdate is 10..10, updated_at has
    MinValue 0, Boolean attributes have no constraints."""
    pool = (await idp.create_user_pool(PoolName="schema"))["UserPool"]
    described = (await idp.describe_user_pool(UserPoolId=pool["Id"]))["UserPool"]
    for answer in (pool, described):
        schema = {a["Name"]: a for a in answer["SchemaAttributes"]}
        assert schema["sub"] == {
            "Name": "sub",
            "AttributeDataType": "String",
            "DeveloperOnlyAttribute": False,
            "Mutable": False,
            "Required": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
        }
        assert schema["birthdate"]["StringAttributeConstraints"] == {
            "MinLength": "10",
            "MaxLength": "10",
        }
        assert schema["updated_at"]["NumberAttributeConstraints"] == {"MinValue": "0"}
        assert "StringAttributeConstraints" not in schema["email_verified"]
        assert schema["name"]["StringAttributeConstraints"] == {
            "MinLength": "0",
            "MaxLength": "2048",
        }


async def test_new_user_dates_are_one_instant(local: LocalCognito, idp: Any) -> None:
    """AWS's admin-create-user answer: "UserCreateDate": 1505847719.992,
    "UserLastModifiedDate": 1505847719.992 (amazon-archives/amazon-cognito-identity-js#532)."""
    local.clock.unfreeze()
    created = (
        await idp.admin_create_user(
            UserPoolId=local.user_pool_id, Username="dora", MessageAction="SUPPRESS"
        )
    )["User"]
    assert created["UserCreateDate"] == created["UserLastModifiedDate"]
    await idp.sign_up(ClientId=local.client_id, Username="sigrid", Password=PASSWORD)
    got = await idp.admin_get_user(UserPoolId=local.user_pool_id, Username="sigrid")
    assert got["UserCreateDate"] == got["UserLastModifiedDate"]
    user = local.pool().create_user("cleo", PASSWORD)
    assert user.created == user.modified


async def test_pool_and_client_configuration_are_validated(local: LocalCognito, idp: Any) -> None:
    """AWS's refusals: an unknown AttributeDataType (aws-amplify/amplify-cli#9960),
    ReadAttributes/WriteAttributes outside the schema (aws-amplify/amplify-cli#12887,
    aws/aws-cdk#20760), every MFA method off under ON/OPTIONAL (anomalyco/sst#5177)."""
    await fails(
        idp.create_user_pool(
            PoolName="bad", Schema=[{"Name": "fruit", "AttributeDataType": "banana"}]
        ),
        "InvalidParameterException",
        "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
    )
    pool_id = (
        await idp.create_user_pool(
            PoolName="ok", Schema=[{"Name": "team", "AttributeDataType": "String"}]
        )
    )["UserPool"]["Id"]
    await fails(
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL"),
        "InvalidParameterException",
        "Invalid MFA configuration given, can't disable all MFAs with a required or optional "
        "configuration.",
    )
    await fails(
        idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", ReadAttributes=["email", "custom:nope"]
        ),
        "InvalidParameterException",
        "Invalid read attributes specified while creating a client",
    )
    await fails(
        idp.create_user_pool_client(UserPoolId=pool_id, ClientName="c", WriteAttributes=["colour"]),
        "InvalidParameterException",
        "Invalid write attributes specified while creating a client",
    )
    client = (
        await idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="c",
            ReadAttributes=["email", "email_verified", "custom:team"],
            WriteAttributes=["email", "custom:team"],
        )
    )["UserPoolClient"]
    await fails(
        idp.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client["ClientId"], ReadAttributes=["custom:nope"]
        ),
        "InvalidParameterException",
    )
