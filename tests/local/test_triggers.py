"""Lambda triggers over boto3 / aiobotocore: the admin sources, CustomMessage for every
kind of message, configuration from Python, from the JSON config (``module:function``)
and through CreateUserPool / UpdateUserPool LambdaConfig, and AWS's errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from cognito_local import LocalCognito, TriggerSet

from . import trigger_functions
from .conftest import PASSWORD, Srp, fails, in_thread

SDK = "aws-sdk-unknown-unknown"
ADMIN = "CLIENT_ID_NOT_APPLICABLE"


class Spy:
    """Records a deep copy of each event, then lets ``answer`` change it."""

    def __init__(self, answer: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(copy.deepcopy(event))
        if self.answer is not None:
            self.answer(event)

    def sources(self) -> list[str]:
        return [e["triggerSource"] for e in self.events]


def common(
    local: LocalCognito, source: str, user_name: str | None, client_id: str
) -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": source,
        "region": local.region,
        "userPoolId": local.user_pool_id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": SDK, "clientId": client_id},
    }


def message(event: dict[str, Any]) -> None:
    code = event["request"]["codeParameter"]
    who = event["request"]["usernameParameter"] or "you"
    event["response"]["emailSubject"] = f"[{event['triggerSource']}]"
    event["response"]["emailMessage"] = f"Hi {who}, code {code}"
    event["response"]["smsMessage"] = f"SMS code {code}"


async def test_admin_create_user_sources(local: LocalCognito, boto: Any) -> None:
    pre, custom = Spy(), Spy(message)
    local.pool().set_triggers(pre_sign_up=pre, custom_message=custom)

    def create() -> Any:
        return boto.admin_create_user(
            UserPoolId=local.user_pool_id,
            Username="ola",
            UserAttributes=[
                {"Name": "email", "Value": "ola@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
            ValidationData=[{"Name": "ticket", "Value": "T-1"}],
            ClientMetadata={"source": "admin"},
            DesiredDeliveryMediums=["EMAIL"],
        )

    user = (await in_thread(create))["User"]
    assert pre.events == [
        {
            **common(local, "PreSignUp_AdminCreateUser", "ola", ADMIN),
            "request": {
                "userAttributes": {"email": "ola@example.com", "email_verified": "true"},
                "validationData": {"ticket": "T-1"},
                "clientMetadata": {"source": "admin"},
            },
            "response": {
                "autoConfirmUser": False,
                "autoVerifyEmail": False,
                "autoVerifyPhone": False,
            },
        }
    ]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    assert custom.events == [
        {
            **common(local, "CustomMessage_AdminCreateUser", "ola", ADMIN),
            "request": {
                "userAttributes": {
                    "sub": sub,
                    "email": "ola@example.com",
                    "email_verified": "true",
                    "cognito:user_status": "FORCE_CHANGE_PASSWORD",
                },
                "codeParameter": "{####}",
                "linkParameter": "{##Click Here##}",
                "usernameParameter": "{username}",
                "clientMetadata": {"source": "admin"},
            },
            "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
        }
    ]
    sent = local.outbox.last(username="ola", purpose="ADMIN_CREATE_USER")
    assert sent.subject == "[CustomMessage_AdminCreateUser]"
    assert sent.body == f"Hi ola, code {sent.code}"  # temporary password filled in


async def test_pre_sign_up_refusal_on_admin_create_user(local: LocalCognito, idp: Any) -> None:
    def refuse(event: dict[str, Any]) -> None:
        raise PermissionError("admins may not create ola")

    local.pool().set_triggers(pre_sign_up=refuse)
    await fails(
        idp.admin_create_user(UserPoolId=local.user_pool_id, Username="ola"),
        "UserLambdaValidationException",
        "PreSignUp failed with error admins may not create ola.",
    )
    assert local.pool().find_user("ola") is None


async def test_custom_message_for_every_code(
    local: LocalCognito, idp: Any, srp_client: Srp
) -> None:
    custom = Spy(message)
    pool = local.pool()
    pool.set_triggers(custom_message=custom)
    await idp.sign_up(
        ClientId=local.client_id,
        Username="pia",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "pia@example.com"}],
        ClientMetadata={"step": "sign-up"},
    )
    await idp.resend_confirmation_code(ClientId=local.client_id, Username="pia")
    code = local.outbox.last(username="pia", purpose="SIGN_UP").code
    await idp.confirm_sign_up(ClientId=local.client_id, Username="pia", ConfirmationCode=code)
    tokens = (await srp_client.sign_in("pia", PASSWORD))["AuthenticationResult"]
    await idp.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": "pia2@example.com"}],
    )
    await idp.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email"
    )
    await idp.admin_set_user_mfa_preference(
        UserPoolId=local.user_pool_id,
        Username="pia",
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    await idp.admin_update_user_attributes(
        UserPoolId=local.user_pool_id,
        Username="pia",
        UserAttributes=[
            {"Name": "email", "Value": "pia2@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    eph, first = await srp_client.start("pia")
    mfa = await srp_client.verify(srp_client.answer(eph, first, PASSWORD))
    assert mfa["ChallengeName"] == "EMAIL_OTP"
    await idp.forgot_password(ClientId=local.client_id, Username="pia")
    assert custom.sources() == [
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
        "CustomMessage_Authentication",
        "CustomMessage_ForgotPassword",
    ]
    first_event = custom.events[0]
    assert first_event["callerContext"] == {"awsSdkVersion": SDK, "clientId": local.client_id}
    assert first_event["request"]["clientMetadata"] == {"step": "sign-up"}
    assert first_event["request"]["userAttributes"]["cognito:user_status"] == "UNCONFIRMED"
    assert all(e["request"]["usernameParameter"] is None for e in custom.events)
    for sent in local.outbox.all(username="pia"):
        assert sent.body == f"Hi you, code {sent.code}"
    # The outbox endpoint shows the message the trigger made.
    messages = await in_thread(
        lambda: json.loads(
            __import__("urllib.request")
            .request.urlopen(
                f"{local.endpoint_url}/_local/outbox?username=pia&purpose=FORGOT_PASSWORD"
            )
            .read()
        )["messages"]
    )
    assert messages[-1]["subject"] == "[CustomMessage_ForgotPassword]"


async def test_custom_message_that_raises(local: LocalCognito, idp: Any) -> None:
    def broken(event: dict[str, Any]) -> None:
        raise KeyError("template")

    local.pool().set_triggers(custom_message=broken)
    await fails(
        idp.sign_up(
            ClientId=local.client_id,
            Username="quin",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "quin@example.com"}],
        ),
        "UserLambdaValidationException",
        "CustomMessage failed with error 'template'.",
    )


async def test_admin_confirm_sign_up_post_confirmation(local: LocalCognito, idp: Any) -> None:
    post = Spy()
    local.pool().set_triggers(post_confirmation=post)
    await idp.sign_up(ClientId=local.client_id, Username="ray", Password=PASSWORD)
    await idp.admin_confirm_sign_up(
        UserPoolId=local.user_pool_id, Username="ray", ClientMetadata={"by": "ops"}
    )
    user = local.pool().user("ray")
    assert post.events == [
        {
            **common(local, "PostConfirmation_ConfirmSignUp", "ray", ADMIN),
            "request": {
                "userAttributes": {"sub": user.sub, "cognito:user_status": "CONFIRMED"},
                "clientMetadata": {"by": "ops"},
            },
            "response": {},
        }
    ]


async def test_pre_authentication_for_an_unknown_user(local: LocalCognito, srp_client: Srp) -> None:
    pre = Spy()
    local.pool().set_triggers(pre_authentication=pre)
    # The default client prevents user existence errors: the trigger hears userNotFound.
    await srp_client.start("ghost")
    assert pre.events == [
        {
            **common(local, "PreAuthentication_Authentication", "ghost", local.client_id),
            "request": {"userAttributes": {}, "validationData": {}, "userNotFound": True},
            "response": {},
        }
    ]


async def test_new_password_challenge_source(local: LocalCognito, idp: Any) -> None:
    token = Spy()
    local.pool().set_triggers(pre_token_generation=token)
    local.pool().create_user("sam", PASSWORD, status="FORCE_CHANGE_PASSWORD")
    first = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "sam", "PASSWORD": PASSWORD},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "sam", "NEW_PASSWORD": "Br4nd-New-Pass!"},
    )
    assert token.sources() == ["TokenGeneration_NewPasswordChallenge"]


async def test_pre_sign_up_auto_verify_needs_the_attribute(local: LocalCognito, idp: Any) -> None:
    def verify_phone(event: dict[str, Any]) -> None:
        event["response"].update(autoConfirmUser=True, autoVerifyPhone=True)

    local.pool().set_triggers(pre_sign_up=verify_phone)
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="tia", Password=PASSWORD),
        "InvalidLambdaResponseException",
    )
    assert local.pool().find_user("tia") is None


async def test_a_trigger_returning_junk(local: LocalCognito, idp: Any) -> None:
    local.pool().set_triggers(pre_sign_up=lambda event: {"response": "yes"})
    await fails(
        idp.sign_up(ClientId=local.client_id, Username="uma", Password=PASSWORD),
        "InvalidLambdaResponseException",
        "Invalid lambda response from PreSignUp.",
    )


async def test_lambda_config_through_create_and_update_user_pool(
    local: LocalCognito, idp: Any
) -> None:
    spy = Spy(lambda event: event["response"].update(autoConfirmUser=True))
    arn = "arn:aws:lambda:us-east-1:123456789012:function:confirm"
    local.register_lambda(arn, spy)
    pool = (await idp.create_user_pool(PoolName="p", LambdaConfig={"PreSignUp": arn}))["UserPool"]
    assert pool["LambdaConfig"] == {"PreSignUp": arn}
    client = (await idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="c"))[
        "UserPoolClient"
    ]
    signed = await idp.sign_up(ClientId=client["ClientId"], Username="val", Password=PASSWORD)
    assert signed["UserConfirmed"] is True and spy.sources() == ["PreSignUp_SignUp"]
    # UpdateUserPool without LambdaConfig removes the trigger (members return to defaults).
    await idp.update_user_pool(UserPoolId=pool["Id"])
    signed = await idp.sign_up(ClientId=client["ClientId"], Username="wes", Password=PASSWORD)
    assert signed["UserConfirmed"] is False and len(spy.events) == 1
    await idp.update_user_pool(UserPoolId=pool["Id"], LambdaConfig={"PreSignUp": arn})
    signed = await idp.sign_up(ClientId=client["ClientId"], Username="xan", Password=PASSWORD)
    assert signed["UserConfirmed"] is True and len(spy.events) == 2
    with pytest.raises(ValueError):
        local.register_lambda("not-an-arn", spy)


async def test_json_config_references(tmp_path: Path, idp: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:claims"
    config = {
        "triggers": {"PreSignUp": "tests.local.trigger_functions:auto_confirm"},
        "lambdas": {arn: "tests.local.trigger_functions:add_claim"},
    }
    path = tmp_path / "cognito.json"
    path.write_text(json.dumps(config))
    trigger_functions.EVENTS.clear()
    async with LocalCognito(config=path) as local:
        assert local.backend.lambdas[arn] is trigger_functions.add_claim
        import aiobotocore.session

        async with aiobotocore.session.get_session().create_client(
            "cognito-idp",
            region_name=local.region,
            endpoint_url=local.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ) as client:
            await client.update_user_pool(
                UserPoolId=local.user_pool_id,
                MfaConfiguration="OFF",
                LambdaConfig={
                    "PreTokenGenerationConfig": {"LambdaArn": arn, "LambdaVersion": "V2_0"}
                },
            )
            signed = await client.sign_up(
                ClientId=local.client_id, Username="yul", Password=PASSWORD
            )
            assert signed["UserConfirmed"] is True
            result = await client.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId=local.client_id,
                AuthParameters={"USERNAME": "yul", "PASSWORD": PASSWORD},
            )
        access = jwt.decode(
            result["AuthenticationResult"]["AccessToken"], options={"verify_signature": False}
        )
        assert access["from_config"] == "yes"
        assert [e["triggerSource"] for e in trigger_functions.EVENTS] == [
            "PreSignUp_SignUp",
            "TokenGeneration_Authentication",
        ]
        assert trigger_functions.EVENTS[1]["version"] == "2"


@pytest.mark.parametrize(
    "config",
    [
        {"triggers": {"PreSignUp": "tests.local.trigger_functions"}},
        {"triggers": {"PreSignUp": "tests.local.trigger_functions:missing"}},
        {"triggers": {"PreSignUp": "tests.local.trigger_functions:not_callable"}},
        {"triggers": {"PreSignUp": "no_such_module_here:f"}},
        {"triggers": {"PreSignIn": "tests.local.trigger_functions:auto_confirm"}},
        {"lambdas": {"arn:aws:lambda:us-east-1:1:function:f": 3}},
    ],
)
def test_bad_trigger_config(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LocalCognito(config=config)


def test_set_triggers_rejects_unknown_names() -> None:
    local = LocalCognito()
    with pytest.raises(TypeError):
        local.pool().set_triggers(pre_signin=lambda e: e)
    both = local.pool().set_triggers(TriggerSet.email_code(), pre_sign_up=lambda e: e)
    assert both.define_auth_challenge is not None and both.pre_sign_up is not None


async def test_user_migration_welcome_alias_and_reset_required(
    local: LocalCognito, idp: Any
) -> None:
    pool_id = local.create_pool("aliases", AliasAttributes=["email"])
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    pool.create_user("old", PASSWORD, attributes={"email": "taken@example.com"})
    answers: dict[str, dict[str, Any]] = {
        "wil": {
            "userAttributes": {"email": "wil@example.com", "email_verified": "true"},
            "desiredDeliveryMediums": ["EMAIL"],
        },
        "xia": {"userAttributes": {"email": "taken@example.com", "email_verified": "true"}},
        "yan": {
            "userAttributes": {"email": "taken@example.com", "email_verified": "true"},
            "forceAliasCreation": True,
            "messageAction": "SUPPRESS",
        },
        "zoe": {"userAttributes": {"name": "Zoe"}, "finalUserStatus": "RESET_REQUIRED"},
        "bad": {"userAttributes": {"name": "B"}, "finalUserStatus": "UNCONFIRMED"},
        "none": {},
    }
    pool.set_triggers(
        user_migration=lambda event: event["response"].update(answers[event["userName"]])
    )

    async def sign_in(name: str) -> Any:
        return await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": name, "PASSWORD": "Whatever-1!"},
        )

    assert "AuthenticationResult" in await sign_in("wil")
    welcome = local.outbox.last(username="wil", purpose="WELCOME")
    assert welcome.channel == "EMAIL" and welcome.destination == "wil@example.com"
    # The verified e-mail is another user's alias: refused unless forceAliasCreation.
    await fails(
        sign_in("xia"),
        "UserNotFoundException",
        "An account with the given email already exists.",
    )
    assert pool.find_user("xia") is None
    assert "AuthenticationResult" in await sign_in("yan")
    assert pool.user("old").attributes["email_verified"] == "false"
    assert local.outbox.all(username="yan", purpose="WELCOME") == []
    # RESET_REQUIRED: "your client app needs to handle the PasswordResetRequiredException".
    await fails(sign_in("zoe"), "PasswordResetRequiredException")
    assert pool.user("zoe").status == "RESET_REQUIRED"
    await fails(
        sign_in("bad"),
        "UserNotFoundException",
        "Error during migration: finalUserStatus is invalid",
    )
    await fails(
        sign_in("none"),
        "UserNotFoundException",
        f"Exception migrating user in app client {client_id}",
    )


async def test_every_trigger_through_boto3(local: LocalCognito, boto: Any) -> None:
    seen: list[dict[str, Any]] = []

    def record(answer: Callable[[dict[str, Any]], None] | None = None) -> Spy:
        spy = Spy(answer)
        spy.events = seen  # one list: the order of every trigger
        return spy

    def pre_sign_up(event: dict[str, Any]) -> None:
        event["response"]["autoVerifyEmail"] = False

    def migrate(event: dict[str, Any]) -> None:
        event["response"]["userAttributes"] = {
            "email": f"{event['userName']}@example.com",
            "email_verified": "true",
        }
        event["response"]["messageAction"] = "SUPPRESS"

    def claims(event: dict[str, Any]) -> None:
        event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"k": "v"}}

    local.pool().set_triggers(
        TriggerSet.email_code(),
        pre_sign_up=record(pre_sign_up),
        post_confirmation=record(),
        pre_authentication=record(),
        post_authentication=record(),
        pre_token_generation=record(claims),
        user_migration=record(migrate),
        custom_message=record(message),
    )
    client_id = local.client_id

    def journey() -> dict[str, Any]:
        boto.sign_up(
            ClientId=client_id,
            Username="abe",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "abe@example.com"}],
        )
        code = local.outbox.last(username="abe", purpose="SIGN_UP").code
        boto.confirm_sign_up(ClientId=client_id, Username="abe", ConfirmationCode=code)
        signed = boto.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "abe", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        refreshed = boto.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=client_id,
            AuthParameters={"REFRESH_TOKEN": signed["RefreshToken"]},
        )["AuthenticationResult"]
        boto.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "moe", "PASSWORD": "Old-Passw0rd!"},
        )
        boto.forgot_password(ClientId=client_id, Username="ned")
        code = local.outbox.last(username="ned", purpose="FORGOT_PASSWORD").code
        boto.confirm_forgot_password(
            ClientId=client_id, Username="ned", ConfirmationCode=code, Password=PASSWORD
        )
        custom = boto.initiate_auth(
            AuthFlow="CUSTOM_AUTH", ClientId=client_id, AuthParameters={"USERNAME": "abe"}
        )
        answer = local.outbox.last(username="abe", purpose="CUSTOM_CHALLENGE").code
        done = boto.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=custom["Session"],
            ChallengeResponses={"USERNAME": "abe", "ANSWER": answer},
        )
        return {"refreshed": refreshed, "custom": done["AuthenticationResult"]}

    result = await in_thread(journey)
    assert [e["triggerSource"] for e in seen] == [
        "PreSignUp_SignUp",
        "CustomMessage_SignUp",
        "PostConfirmation_ConfirmSignUp",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
        "TokenGeneration_RefreshTokens",
        "UserMigration_Authentication",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
        "UserMigration_ForgotPassword",
        "CustomMessage_ForgotPassword",
        "PostConfirmation_ConfirmForgotPassword",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    for event in seen:
        assert set(event) == {
            "version",
            "triggerSource",
            "region",
            "userPoolId",
            "userName",
            "callerContext",
            "request",
            "response",
        }
        assert event["userPoolId"] == local.user_pool_id and event["region"] == local.region
        assert event["callerContext"] == {"awsSdkVersion": SDK, "clientId": client_id}
    assert [e["userName"] for e in seen if e["triggerSource"].startswith("UserMigration")] == [
        "moe",
        "ned",
    ]
    for key in ("refreshed", "custom"):
        claims_ = jwt.decode(result[key]["IdToken"], options={"verify_signature": False})
        assert claims_["k"] == "v"


async def test_email_as_username_pool_events_name_the_uuid(local: LocalCognito, idp: Any) -> None:
    pool_id = local.create_pool("email", UsernameAttributes=["email"])
    client_id, _ = local.create_client(pool_id)
    pre, post = Spy(lambda e: e["response"].update(autoConfirmUser=True)), Spy()
    local.pool(pool_id).set_triggers(pre_sign_up=pre, post_confirmation=post)
    signed = await idp.sign_up(ClientId=client_id, Username="eve@example.com", Password=PASSWORD)
    user = local.pool(pool_id).user("eve@example.com")
    assert user.username == user.sub == signed["UserSub"]
    assert pre.events[0]["userName"] == user.username
    assert pre.events[0]["request"]["userAttributes"] == {"email": "eve@example.com"}
    assert post.events[0]["userName"] == user.username


async def test_lambda_config_is_validated(idp: Any) -> None:
    await fails(
        idp.create_user_pool(PoolName="p", LambdaConfig={"PreSignUp": "not-a-lambda-arn-at-all"}),
        "InvalidParameterException",
    )
    await fails(
        idp.create_user_pool(
            PoolName="p",
            LambdaConfig={
                "PreTokenGenerationConfig": {
                    "LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "LambdaVersion": "V9_0",
                }
            },
        ),
        "InvalidParameterException",
    )


@pytest.mark.parametrize(
    "trigger",
    [
        "PreSignUp",
        "PostConfirmation",
        "CustomMessage",
        "PreAuthentication",
        "PostAuthentication",
        "PreTokenGeneration",
        "UserMigration",
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
    ],
)
async def test_every_trigger_that_raises_gives_awss_error(
    local: LocalCognito, idp: Any, trigger: str
) -> None:
    from cognito_local.triggers import TRIGGER_NAMES

    def boom(event: dict[str, Any]) -> None:
        raise RuntimeError(f"no from {event['triggerSource']}")

    base = TriggerSet.email_code()
    local.pool().set_triggers(base, **{TRIGGER_NAMES[trigger]: boom})
    pool = local.pool()
    pool.create_user("kit", PASSWORD, attributes={"email": "kit@example.com"})
    client = local.client_id

    async def run() -> Any:
        if trigger in ("PreSignUp", "CustomMessage"):
            return await idp.sign_up(
                ClientId=client,
                Username="new",
                Password=PASSWORD,
                UserAttributes=[{"Name": "email", "Value": "new@example.com"}],
            )
        if trigger == "PostConfirmation":
            await idp.sign_up(ClientId=client, Username="new", Password=PASSWORD)
            return await idp.admin_confirm_sign_up(UserPoolId=local.user_pool_id, Username="new")
        name = "ghost" if trigger == "UserMigration" else "kit"
        flow = "CUSTOM_AUTH" if "Challenge" in trigger else "USER_PASSWORD_AUTH"
        params = (
            {"USERNAME": name, "PASSWORD": PASSWORD}
            if flow != "CUSTOM_AUTH"
            else {"USERNAME": name}
        )
        first = await idp.initiate_auth(AuthFlow=flow, ClientId=client, AuthParameters=params)
        return await idp.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=first["Session"],
            ChallengeResponses={"USERNAME": "kit", "ANSWER": "0"},
        )

    source = {
        "PreSignUp": "PreSignUp_SignUp",
        "PostConfirmation": "PostConfirmation_ConfirmSignUp",
        "CustomMessage": "CustomMessage_SignUp",
        "PreAuthentication": "PreAuthentication_Authentication",
        "PostAuthentication": "PostAuthentication_Authentication",
        "PreTokenGeneration": "TokenGeneration_Authentication",
        "UserMigration": "UserMigration_Authentication",
        "DefineAuthChallenge": "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge": "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse": "VerifyAuthChallengeResponse_Authentication",
    }[trigger]
    await fails(
        run(), "UserLambdaValidationException", f"{trigger} failed with error no from {source}."
    )
    if trigger == "PostConfirmation":
        # The user was confirmed before the trigger ran; the error does not undo it.
        assert pool.user("new").status == "CONFIRMED"


async def test_migration_failure_behind_prevent_user_existence_errors(
    local: LocalCognito, idp: Any
) -> None:
    # The default client prevents user existence errors: a user the trigger does not know
    # is indistinguishable from a wrong password, and ForgotPassword answers as usual.
    local.pool().set_triggers(user_migration=lambda event: None)
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "nobody", "PASSWORD": PASSWORD},
        ),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    answer = await idp.forgot_password(ClientId=local.client_id, Username="nobody")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert local.pool().find_user("nobody") is None
