"""USER_AUTH: SELECT_CHALLENGE, PREFERRED_CHALLENGE, passwordless OTP, auto sign-in."""

from __future__ import annotations

from typing import Any

from cognito_flows import srp
from cognito_local import LocalCognito

from .conftest import PASSWORD, Srp, fails, totp


async def user_auth(idp: Any, local: LocalCognito, username: str, **params: str) -> Any:
    return await idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": username, **params},
    )


async def test_select_challenge(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user(
        "uma", PASSWORD, attributes={"email": "uma@example.com", "phone_number": "+15555550100"}
    )
    step = await user_auth(idp, local, "uma")
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert step["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "uma", "ANSWER": "PASSWORD", "PASSWORD": "Wrong-1aaa"},
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    step = await user_auth(idp, local, "uma")
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "uma", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in result


async def test_select_then_email_otp(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("ola", None, attributes={"email": "ola@example.com"})
    step = await user_auth(idp, local, "ola")
    assert step["AvailableChallenges"] == ["EMAIL_OTP"]
    step = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "ola", "ANSWER": "EMAIL_OTP"},
    )
    assert step["ChallengeName"] == "EMAIL_OTP"
    assert step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    message = local.outbox.last(username="ola", purpose="EMAIL_OTP")
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="EMAIL_OTP",
            Session=step["Session"],
            ChallengeResponses={
                "USERNAME": "ola",
                "EMAIL_OTP_CODE": "000000" if message.code != "000000" else "1",
            },
        ),
        "CodeMismatchException",
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="EMAIL_OTP",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "ola", "EMAIL_OTP_CODE": message.code},
    )
    assert "AuthenticationResult" in result


async def test_preferred_sms_otp_without_mfa(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("sol", PASSWORD, attributes={"phone_number": "+15555550101"})
    step = await user_auth(idp, local, "sol", PREFERRED_CHALLENGE="SMS_OTP")
    assert step["ChallengeName"] == "SMS_OTP"
    code = local.outbox.last(username="sol", purpose="SMS_OTP", channel="SMS").code
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="SMS_OTP",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "sol", "SMS_OTP_CODE": code},
    )
    assert "AuthenticationResult" in result


async def test_preferred_password_then_mfa(local: LocalCognito, idp: Any) -> None:
    user = local.pool().create_user("pam", PASSWORD, mfa="SOFTWARE_TOKEN_MFA")
    step = await user_auth(idp, local, "pam", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "pam",
            "SOFTWARE_TOKEN_MFA_CODE": totp(local, user.totp_secret),
        },
    )
    assert "AuthenticationResult" in result


async def test_preferred_password_srp(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("psr", PASSWORD)
    eph = srp.start_ephemeral()
    step = await user_auth(idp, local, "psr", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=eph.srp_a)
    assert step["ChallengeName"] == "PASSWORD_VERIFIER"
    assert step["Session"]
    result = await srp_client.verify(srp_client.answer(eph, step, PASSWORD), step["Session"])
    assert "AuthenticationResult" in result


async def test_select_password_srp_directly(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    local.pool().create_user("dir", PASSWORD)
    step = await user_auth(idp, local, "dir")
    eph = srp.start_ephemeral()
    verifier = await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="PASSWORD_SRP",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "dir", "SRP_A": eph.srp_a},
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    result = await srp_client.verify(
        srp_client.answer(eph, verifier, PASSWORD), verifier["Session"]
    )
    assert "AuthenticationResult" in result


async def test_unavailable_preferred_challenge_falls_back(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("nophone", PASSWORD)
    step = await user_auth(idp, local, "nophone", PREFERRED_CHALLENGE="SMS_OTP")
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert step["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="SELECT_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "nophone", "ANSWER": "SMS_OTP"},
        ),
        "InvalidParameterException",
    )


async def test_user_auth_needs_the_flow(local: LocalCognito, idp: Any) -> None:
    client_id, _ = local.create_client(explicit_auth_flows=["ALLOW_USER_SRP_AUTH"])
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_AUTH", ClientId=client_id, AuthParameters={"USERNAME": "x"}
        ),
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )


async def test_auto_sign_in_after_confirm_sign_up(local: LocalCognito, idp: Any) -> None:
    signed = await idp.sign_up(
        ClientId=local.client_id,
        Username="auto",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "auto@example.com"}],
    )
    assert signed["Session"]
    code = local.outbox.last(username="auto", purpose="SIGN_UP").code
    confirmed = await idp.confirm_sign_up(
        ClientId=local.client_id, Username="auto", ConfirmationCode=code, Session=signed["Session"]
    )
    session = confirmed["Session"]
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "someone"},
            Session=session,
        ),
        "NotAuthorizedException",
    )
    result = await idp.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "auto"},
        Session=session,
    )
    tokens = result["AuthenticationResult"]
    assert (await idp.get_user(AccessToken=tokens["AccessToken"]))["Username"] == "auto"
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "auto"},
            Session=session,
        ),
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


async def test_auto_sign_in_session_expires(local: LocalCognito, idp: Any) -> None:
    await idp.sign_up(
        ClientId=local.client_id,
        Username="late",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "late@example.com"}],
    )
    code = local.outbox.last(username="late").code
    session = (
        await idp.confirm_sign_up(ClientId=local.client_id, Username="late", ConfirmationCode=code)
    )["Session"]
    local.clock.advance(4 * 60)
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "late"},
            Session=session,
        ),
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )
