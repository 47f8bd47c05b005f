"""The same emulator driven by plain boto3 and by pycognito's AWSSRP.

boto3 blocks, so it runs in a thread (``in_thread``) while the loop serves the emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from cognito_flows import srp
from cognito_local import LocalCognito, TriggerSet

from .conftest import PASSWORD, code_of, in_thread, timestamp, totp


async def test_pycognito_srp_sign_in(local: LocalCognito, boto: Any) -> None:
    local.pool().create_user("pyc", PASSWORD)
    aws = AWSSRP("pyc", PASSWORD, local.user_pool_id, local.client_id, client=boto)
    tokens = await in_thread(aws.authenticate_user)
    access = tokens["AuthenticationResult"]["AccessToken"]
    user = await in_thread(boto.get_user, AccessToken=access)
    assert user["Username"] == "pyc"


async def test_pycognito_with_client_secret(local: LocalCognito, boto: Any) -> None:
    local.pool().create_user("pys", PASSWORD)
    aws = AWSSRP(
        "pys",
        PASSWORD,
        local.user_pool_id,
        local.secret_client_id,
        client=boto,
        client_secret=local.client_secret,
    )
    tokens = await in_thread(aws.authenticate_user)
    assert "AccessToken" in tokens["AuthenticationResult"]


async def test_pycognito_wrong_password(local: LocalCognito, boto: Any) -> None:
    local.pool().create_user("pyw", PASSWORD)
    aws = AWSSRP("pyw", "Wrong-Passw0rd!", local.user_pool_id, local.client_id, client=boto)
    with pytest.raises(ClientError) as info:
        await in_thread(aws.authenticate_user)
    assert code_of(info.value) == "NotAuthorizedException"


async def test_pycognito_email_username_pool(local: LocalCognito, boto: Any) -> None:
    pool_id = local.create_pool("pyemail", UsernameAttributes=["email"])
    client_id, _ = local.create_client(pool_id)
    local.pool(pool_id).create_user("py@example.com", PASSWORD)
    aws = AWSSRP("py@example.com", PASSWORD, pool_id, client_id, client=boto)
    tokens = await in_thread(aws.authenticate_user)
    assert "AccessToken" in tokens["AuthenticationResult"]


async def test_pycognito_secret_client_in_email_pool(local: LocalCognito, boto: Any) -> None:
    """SECRET_HASH over the typed e-mail at InitiateAuth, over the real (UUID) user name at
    PASSWORD_VERIFIER: the emulator, like Cognito, accepts only the latter there
    (qwigo/warrant#74); pycognito >= 2024.5.1 hashes the challenge's USERNAME, as needed."""
    pool_id = local.create_pool("pysecret", UsernameAttributes=["email"])
    client_id, secret = local.create_client(pool_id, generate_secret=True)
    local.pool(pool_id).create_user("pz@example.com", PASSWORD)
    aws = AWSSRP("pz@example.com", PASSWORD, pool_id, client_id, client=boto, client_secret=secret)
    tokens = await in_thread(aws.authenticate_user)
    assert "AccessToken" in tokens["AuthenticationResult"]


async def test_pycognito_new_password_challenge(local: LocalCognito, boto: Any) -> None:
    await in_thread(
        boto.admin_create_user,
        UserPoolId=local.user_pool_id,
        Username="pyn",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    aws = AWSSRP("pyn", PASSWORD, local.user_pool_id, local.client_id, client=boto)
    result = await in_thread(aws.set_new_password_challenge, "N3w-Passw0rd!")
    assert "AccessToken" in result["AuthenticationResult"]


async def test_boto3_full_account_flow(local: LocalCognito, boto: Any) -> None:
    """Sign-up, confirm, SRP sign-in, TOTP enrolment, MFA sign-in, refresh, sign-out."""

    def flow() -> None:
        boto.sign_up(
            ClientId=local.client_id,
            Username="b3",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "b3@example.com"}],
        )
        code = local.outbox.last(username="b3", purpose="SIGN_UP").code
        boto.confirm_sign_up(ClientId=local.client_id, Username="b3", ConfirmationCode=code)
        eph = srp.start_ephemeral()
        first = boto.initiate_auth(
            AuthFlow="USER_SRP_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "b3", "SRP_A": eph.srp_a},
        )
        responses = srp.password_verifier_response(
            eph,
            first["ChallengeParameters"],
            user_pool_id=local.user_pool_id,
            password=PASSWORD,
            timestamp=timestamp(local),
        )
        tokens = boto.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=responses,
        )["AuthenticationResult"]
        access = tokens["AccessToken"]
        secret = boto.associate_software_token(AccessToken=access)["SecretCode"]
        boto.verify_software_token(AccessToken=access, UserCode=totp(local, secret))
        boto.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        local.clock.advance(30)
        step = boto.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "b3", "PASSWORD": PASSWORD},
        )
        assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        try:
            boto.respond_to_auth_challenge(
                ClientId=local.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=step["Session"],
                ChallengeResponses={
                    "USERNAME": "b3",
                    "SOFTWARE_TOKEN_MFA_CODE": "000000"
                    if totp(local, secret) != "000000"
                    else "111111",
                },
            )
            raise AssertionError("wrong TOTP accepted")
        except boto.exceptions.CodeMismatchException:
            pass
        done = boto.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "b3", "SOFTWARE_TOKEN_MFA_CODE": totp(local, secret)},
        )
        refreshed = boto.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.client_id,
            AuthParameters={"REFRESH_TOKEN": done["AuthenticationResult"]["RefreshToken"]},
        )
        boto.global_sign_out(AccessToken=refreshed["AuthenticationResult"]["AccessToken"])
        try:
            boto.get_user(AccessToken=refreshed["AuthenticationResult"]["AccessToken"])
            raise AssertionError("revoked token accepted")
        except boto.exceptions.NotAuthorizedException as exc:
            assert "revoked" in str(exc)

    await in_thread(flow)


async def test_boto3_custom_auth(local: LocalCognito, boto: Any) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    local.pool().create_user("b3c", PASSWORD, attributes={"email": "b3c@example.com"})

    def flow() -> dict[str, Any]:
        step = boto.initiate_auth(
            AuthFlow="CUSTOM_AUTH", ClientId=local.client_id, AuthParameters={"USERNAME": "b3c"}
        )
        code = local.outbox.last(username="b3c", purpose="CUSTOM_CHALLENGE").code
        result: dict[str, Any] = boto.respond_to_auth_challenge(
            ClientId=local.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "b3c", "ANSWER": code},
        )
        return result

    assert "AuthenticationResult" in await in_thread(flow)


async def test_boto3_admin_and_errors(local: LocalCognito, boto: Any) -> None:
    def flow() -> None:
        pool_id = boto.create_user_pool(PoolName="b3pool")["UserPool"]["Id"]
        client = boto.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )
        client_id = client["UserPoolClient"]["ClientId"]
        boto.admin_create_user(
            UserPoolId=pool_id, Username="u", TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
        )
        boto.admin_set_user_password(
            UserPoolId=pool_id, Username="u", Password=PASSWORD, Permanent=True
        )
        ok = boto.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "u", "PASSWORD": PASSWORD},
        )
        assert ok["AuthenticationResult"]["AccessToken"]
        try:
            boto.initiate_auth(
                AuthFlow="USER_SRP_AUTH",
                ClientId=client_id,
                AuthParameters={"USERNAME": "u", "SRP_A": "abc"},
            )
            raise AssertionError("disallowed flow accepted")
        except boto.exceptions.InvalidParameterException:
            pass

    await in_thread(flow)
