"""Self-service: sign-up and confirmation, forgot/change password, attributes, deletion."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from cognito_local import LocalCognito, secret_hash

from .conftest import PASSWORD, Srp, fails, totp

NEW_PASSWORD = "N3w-Passw0rd!"
MISMATCH = "Invalid verification code provided, please try again."


def other_code(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def test_sign_up_and_confirm(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    result = await idp.sign_up(
        ClientId=local.client_id,
        Username="sia",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "sia@example.com"}],
        ValidationData=[{"Name": "x", "Value": "y"}],
        ClientMetadata={"k": "v"},
    )
    assert result["UserConfirmed"] is False
    assert result["UserSub"] == local.pool().user("sia").sub
    assert result["CodeDeliveryDetails"] == {
        "Destination": "s***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    message = local.outbox.last(username="sia", purpose="SIGN_UP")
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "sia", "PASSWORD": PASSWORD},
        ),
        "UserNotConfirmedException",
    )
    await fails(
        idp.confirm_sign_up(
            ClientId=local.client_id, Username="sia", ConfirmationCode=other_code(message.code)
        ),
        "CodeMismatchException",
        MISMATCH,
    )
    await idp.confirm_sign_up(
        ClientId=local.client_id, Username="sia", ConfirmationCode=message.code
    )
    await fails(
        idp.confirm_sign_up(
            ClientId=local.client_id, Username="sia", ConfirmationCode=message.code
        ),
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )
    user = local.pool().user("sia")
    assert user.status == "CONFIRMED" and user.attributes["email_verified"] == "true"
    assert "AuthenticationResult" in await srp_client.sign_in("sia", PASSWORD)


async def test_sign_up_rejections(local: LocalCognito, idp: Any) -> None:
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="weak", Password="short"),
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="weak", Password="alllowercase1!"),
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have uppercase characters",
    )
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="weak", Password="NoDigits!!aa"),
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have numeric characters",
    )
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="weak", Password="NoSymbol1aa"),
        "InvalidPasswordException",
        "Password did not conform with policy: Password must have symbol characters",
    )
    await fails(
        idp.sign_up(
            ClientId=local.client_id,
            Username="x",
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:nope", "Value": "1"}],
        ),
        "InvalidParameterException",
    )
    await fails(
        idp.sign_up(
            ClientId=local.client_id,
            Username="x",
            Password=PASSWORD,
            UserAttributes=[{"Name": "phone_number", "Value": "555"}],
        ),
        "InvalidParameterException",
        "Invalid phone number format.",
    )
    await idp.sign_up(ClientId=local.client_id, Username="dup", Password=PASSWORD)
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="DUP", Password=PASSWORD),
        "UsernameExistsException",
        "User already exists",
    )


async def test_sign_up_secret_hash(local: LocalCognito, idp: Any) -> None:
    client_id = local.secret_client_id
    await fails(
        idp.sign_up(ClientId=client_id, Username="hsh", Password=PASSWORD),
        "NotAuthorizedException",
        f"Client {client_id} is configured with secret but SECRET_HASH was not received",
    )
    await fails(
        idp.sign_up(
            ClientId=client_id,
            Username="hsh",
            Password=PASSWORD,
            SecretHash=secret_hash(local.client_secret, "other", client_id),
        ),
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    good = secret_hash(local.client_secret, "hsh", client_id)
    await idp.sign_up(
        ClientId=client_id,
        Username="hsh",
        Password=PASSWORD,
        SecretHash=good,
        UserAttributes=[{"Name": "email", "Value": "hsh@example.com"}],
    )
    await fails(
        idp.resend_confirmation_code(ClientId=client_id, Username="hsh"), "NotAuthorizedException"
    )
    await idp.resend_confirmation_code(ClientId=client_id, Username="hsh", SecretHash=good)
    code = local.outbox.last(username="hsh").code
    await fails(
        idp.confirm_sign_up(ClientId=client_id, Username="hsh", ConfirmationCode=code),
        "NotAuthorizedException",
    )
    await idp.confirm_sign_up(
        ClientId=client_id, Username="hsh", ConfirmationCode=code, SecretHash=good
    )
    await fails(idp.forgot_password(ClientId=client_id, Username="hsh"), "NotAuthorizedException")
    await idp.forgot_password(ClientId=client_id, Username="hsh", SecretHash=good)
    code = local.outbox.last(username="hsh", purpose="FORGOT_PASSWORD").code
    await fails(
        idp.confirm_forgot_password(
            ClientId=client_id, Username="hsh", ConfirmationCode=code, Password=NEW_PASSWORD
        ),
        "NotAuthorizedException",
    )
    await idp.confirm_forgot_password(
        ClientId=client_id,
        Username="hsh",
        ConfirmationCode=code,
        Password=NEW_PASSWORD,
        SecretHash=good,
    )


async def test_resend_and_expired_sign_up_code(local: LocalCognito, idp: Any) -> None:
    await idp.sign_up(
        ClientId=local.client_id,
        Username="rex",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "rex@example.com"}],
    )
    first = local.outbox.last(username="rex").code
    resent = await idp.resend_confirmation_code(ClientId=local.client_id, Username="rex")
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    second = local.outbox.last(username="rex").code
    if first != second:
        await fails(
            idp.confirm_sign_up(ClientId=local.client_id, Username="rex", ConfirmationCode=first),
            "CodeMismatchException",
        )
    local.clock.advance(24 * 3600 + 1)
    await fails(
        idp.confirm_sign_up(ClientId=local.client_id, Username="rex", ConfirmationCode=second),
        "ExpiredCodeException",
    )


async def test_too_many_wrong_confirmation_codes(local: LocalCognito, idp: Any) -> None:
    await idp.sign_up(
        ClientId=local.client_id,
        Username="lim",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "lim@example.com"}],
    )
    code = local.outbox.last(username="lim").code
    for _ in range(5):
        await fails(
            idp.confirm_sign_up(
                ClientId=local.client_id, Username="lim", ConfirmationCode=other_code(code)
            ),
            "CodeMismatchException",
        )
    await fails(
        idp.confirm_sign_up(ClientId=local.client_id, Username="lim", ConfirmationCode=code),
        "LimitExceededException",
    )


async def test_sign_up_with_phone_and_email_uses_sms(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool("phones", AutoVerifiedAttributes=["email", "phone_number"])
    client_id, _ = local.create_client(pool_id)
    result = await idp.sign_up(
        ClientId=client_id,
        Username="ph",
        Password=PASSWORD,
        UserAttributes=[
            {"Name": "email", "Value": "ph@example.com"},
            {"Name": "phone_number", "Value": "+15555550150"},
        ],
    )
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    assert local.outbox.last(username="ph").channel == "SMS"


async def test_sign_up_with_email_username(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool(
        "emails", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )
    client_id, _ = local.create_client(pool_id)
    await fails(
        idp.sign_up(ClientId=client_id, Username="notanemail", Password=PASSWORD),
        "InvalidParameterException",
        "Username should be an email.",
    )
    result = await idp.sign_up(ClientId=client_id, Username="em@example.com", Password=PASSWORD)
    user = local.pool(pool_id).user("em@example.com")
    assert user.username == result["UserSub"] == user.sub
    assert local.outbox.last(username="em@example.com").username == user.sub
    await fails(
        idp.sign_up(ClientId=client_id, Username="EM@example.com", Password=PASSWORD),
        "UsernameExistsException",
        "An account with the given email already exists.",
    )


async def test_sign_up_disallowed_by_pool(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool(
        "admin-only", AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )
    client_id, _ = local.create_client(pool_id)
    await fails(
        idp.sign_up(ClientId=client_id, Username="no", Password=PASSWORD), "NotAuthorizedException"
    )


async def test_prevent_user_existence_on_codes(local: LocalCognito, idp: Any) -> None:
    fake = await idp.forgot_password(ClientId=local.client_id, Username="ghost")
    assert fake["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    await fails(
        idp.confirm_forgot_password(
            ClientId=local.client_id,
            Username="ghost",
            ConfirmationCode="123456",
            Password=NEW_PASSWORD,
        ),
        "CodeMismatchException",
    )
    await fails(
        idp.confirm_sign_up(ClientId=local.client_id, Username="ghost", ConfirmationCode="123456"),
        "CodeMismatchException",
    )
    legacy, _ = local.create_client(PreventUserExistenceErrors="LEGACY")
    await fails(idp.forgot_password(ClientId=legacy, Username="ghost"), "UserNotFoundException")


async def test_forgot_password(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("fay", PASSWORD, attributes={"email": "fay@example.com"})
    sent = await idp.forgot_password(ClientId=local.client_id, Username="fay")
    assert sent["CodeDeliveryDetails"]["Destination"] == "f***@e***"
    code = local.outbox.last(username="fay", purpose="FORGOT_PASSWORD").code
    await fails(
        idp.confirm_forgot_password(
            ClientId=local.client_id, Username="fay", ConfirmationCode=code, Password="weak"
        ),
        "InvalidPasswordException",
    )
    await fails(
        idp.confirm_forgot_password(
            ClientId=local.client_id,
            Username="fay",
            ConfirmationCode=other_code(code),
            Password=NEW_PASSWORD,
        ),
        "CodeMismatchException",
    )
    await idp.confirm_forgot_password(
        ClientId=local.client_id, Username="fay", ConfirmationCode=code, Password=NEW_PASSWORD
    )
    await fails(
        idp.confirm_forgot_password(
            ClientId=local.client_id, Username="fay", ConfirmationCode=code, Password=PASSWORD
        ),
        "ExpiredCodeException",
    )
    await fails(srp_client.sign_in("fay", PASSWORD), "NotAuthorizedException")
    assert "AuthenticationResult" in await srp_client.sign_in("fay", NEW_PASSWORD)


async def test_forgot_password_code_expires(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("fox", PASSWORD, attributes={"email": "fox@example.com"})
    await idp.forgot_password(ClientId=local.client_id, Username="fox")
    code = local.outbox.last(username="fox", purpose="FORGOT_PASSWORD").code
    local.clock.advance(3601)
    await fails(
        idp.confirm_forgot_password(
            ClientId=local.client_id, Username="fox", ConfirmationCode=code, Password=NEW_PASSWORD
        ),
        "ExpiredCodeException",
    )


async def test_forgot_password_needs_a_verified_channel(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user(
        "nov", PASSWORD, attributes={"email": "nov@example.com", "email_verified": "false"}
    )
    await fails(
        idp.forgot_password(ClientId=local.client_id, Username="nov"), "InvalidParameterException"
    )
    local.pool().create_user(
        "tmp", PASSWORD, attributes={"email": "tmp@example.com"}, status="FORCE_CHANGE_PASSWORD"
    )
    await fails(
        idp.forgot_password(ClientId=local.client_id, Username="tmp"), "NotAuthorizedException"
    )


async def test_change_password(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("chad", PASSWORD)
    access = (await srp_client.sign_in("chad", PASSWORD))["AuthenticationResult"]["AccessToken"]
    await fails(
        idp.change_password(
            AccessToken=access, PreviousPassword="Wrong-passw0rd", ProposedPassword=NEW_PASSWORD
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    await fails(
        idp.change_password(AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword="weak"),
        "InvalidPasswordException",
    )
    await idp.change_password(
        AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD
    )
    assert "AuthenticationResult" in await srp_client.sign_in("chad", NEW_PASSWORD)


async def test_password_history(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    pool_id = local.create_pool(
        "history", Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 2}}
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("hist", PASSWORD)
    access = (await make_srp(pool_id=pool_id, client_id=client_id).sign_in("hist", PASSWORD))[
        "AuthenticationResult"
    ]["AccessToken"]
    await fails(
        idp.change_password(
            AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword=PASSWORD
        ),
        "PasswordHistoryPolicyViolationException",
    )


async def test_update_and_verify_attributes(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("ursula", PASSWORD, attributes={"email": "old@example.com"})
    access = (await srp_client.sign_in("ursula", PASSWORD))["AuthenticationResult"]["AccessToken"]
    result = await idp.update_user_attributes(
        AccessToken=access,
        UserAttributes=[
            {"Name": "email", "Value": "new@example.com"},
            {"Name": "name", "Value": "Ursula"},
        ],
    )
    assert result["CodeDeliveryDetailsList"] == [
        {"Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    attrs = {
        a["Name"]: a["Value"] for a in (await idp.get_user(AccessToken=access))["UserAttributes"]
    }
    assert attrs["email"] == "new@example.com" and attrs["email_verified"] == "false"
    assert attrs["name"] == "Ursula"
    code = local.outbox.last(username="new@example.com", purpose="ATTRIBUTE_VERIFICATION").code
    await fails(
        idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=other_code(code)),
        "CodeMismatchException",
    )
    await idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code)
    attrs = {
        a["Name"]: a["Value"] for a in (await idp.get_user(AccessToken=access))["UserAttributes"]
    }
    assert attrs["email_verified"] == "true"
    await fails(
        idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code),
        "ExpiredCodeException",
    )
    sent = await idp.get_user_attribute_verification_code(AccessToken=access, AttributeName="email")
    assert sent["CodeDeliveryDetails"]["AttributeName"] == "email"
    await fails(
        idp.update_user_attributes(
            AccessToken=access, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
        ),
        "InvalidParameterException",
    )


async def test_attribute_verification_before_update(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    pool_id = local.create_pool(
        "keep",
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("kim", PASSWORD, attributes={"email": "kim@example.com"})
    access = (await make_srp(pool_id=pool_id, client_id=client_id).sign_in("kim", PASSWORD))[
        "AuthenticationResult"
    ]["AccessToken"]
    await idp.update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": "email", "Value": "kim2@example.com"}]
    )
    attrs = {
        a["Name"]: a["Value"] for a in (await idp.get_user(AccessToken=access))["UserAttributes"]
    }
    assert attrs["email"] == "kim@example.com" and attrs["email_verified"] == "true"
    code = local.outbox.last(username="kim2@example.com").code
    await idp.verify_user_attribute(AccessToken=access, AttributeName="email", Code=code)
    attrs = {
        a["Name"]: a["Value"] for a in (await idp.get_user(AccessToken=access))["UserAttributes"]
    }
    assert attrs["email"] == "kim2@example.com"


async def test_delete_attributes_and_user(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user(
        "del", PASSWORD, attributes={"email": "del@example.com", "name": "Del"}
    )
    access = (await srp_client.sign_in("del", PASSWORD))["AuthenticationResult"]["AccessToken"]
    await idp.delete_user_attributes(AccessToken=access, UserAttributeNames=["name", "email"])
    names = {a["Name"] for a in (await idp.get_user(AccessToken=access))["UserAttributes"]}
    assert names == {"sub"}
    await idp.delete_user(AccessToken=access)
    with pytest.raises(LookupError):
        local.pool().user("del")


async def test_get_user_auth_factors(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user(
        "fac", PASSWORD, attributes={"email": "fac@example.com"}, mfa="SOFTWARE_TOKEN_MFA"
    )
    user = local.pool().user("fac")
    challenge = await srp_client.sign_in("fac", PASSWORD)
    tokens = (
        await idp.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "fac",
                "SOFTWARE_TOKEN_MFA_CODE": totp(local, user.totp_secret),
            },
        )
    )["AuthenticationResult"]
    factors = await idp.get_user_auth_factors(AccessToken=tokens["AccessToken"])
    assert factors["Username"] == "fac"
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    assert factors["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]


async def test_update_auth_event_feedback(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("fb", PASSWORD)
    await fails(
        idp.update_auth_event_feedback(
            UserPoolId=local.user_pool_id,
            Username="fb",
            EventId="e1",
            FeedbackToken="t",
            FeedbackValue="Valid",
        ),
        "UserPoolAddOnNotEnabledException",
    )
    pool_id = local.create_pool(
        "asf", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}, UserPoolTier="PLUS"
    )
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("fb", PASSWORD)
    tokens = (await Srp(local, idp, pool_id=pool_id, client_id=client_id).sign_in("fb", PASSWORD))[
        "AuthenticationResult"
    ]
    event_id = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})["event_id"]
    await idp.update_auth_event_feedback(
        UserPoolId=pool_id,
        Username="fb",
        EventId=event_id,
        FeedbackToken="t",
        FeedbackValue="Invalid",
    )
    await fails(
        idp.update_auth_event_feedback(
            UserPoolId=pool_id,
            Username="fb",
            EventId="unknown",
            FeedbackToken="t",
            FeedbackValue="Valid",
        ),
        "ResourceNotFoundException",
    )
