"""Every user pool Lambda trigger, fired by the library's own flows (sign-up, sign-in,
forgot password, refresh) against the local Cognito.

The pools are made with CreateUserPool and a ``LambdaConfig`` of ARNs; each ARN is a Python
callable registered with ``LocalCognito.register_lambda``. Each test checks the whole event
the callable received against the shapes of the developer guide (common parameters plus the
trigger's ``request`` and ``response``) and what the answer changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from cognito_flows import ResetPassword, Step, TokenVerifier, UserLambdaValidationError

from .conftest import PASSWORD, PoolFactory

SDK = "aws-sdk-unknown-unknown"
NEW_PASSWORD = "N3w-Passw0rd!!"


class Spy:
    """A trigger that records a deep copy of each event, then lets ``answer`` change it."""

    def __init__(self, answer: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer

    async def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(copy.deepcopy(event))
        if self.answer is not None:
            self.answer(event)
        return event

    @property
    def last(self) -> dict[str, Any]:
        assert self.events, "the trigger was not invoked"
        return self.events[-1]


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


async def pool_with(pools: PoolFactory, spies: dict[str, Spy], **settings: Any) -> Any:
    """A pool whose LambdaConfig names one ARN per trigger, each bound to its spy."""
    config: dict[str, Any] = {}
    for name, spy in spies.items():
        if name == "PreTokenGenerationConfig":
            continue
        pools.local.register_lambda(arn(name), spy)
        config[name] = arn(name)
    if "PreTokenGenerationConfig" in spies:
        pools.local.register_lambda(arn("PreTokenV2"), spies["PreTokenGenerationConfig"])
        config["PreTokenGenerationConfig"] = {
            "LambdaArn": arn("PreTokenV2"),
            "LambdaVersion": "V2_0",
        }
    pool_settings = {"AutoVerifiedAttributes": ["email"], "LambdaConfig": config, **settings}
    return await pools.pool(pool_settings=pool_settings)


def common(pool: Any, source: str, user_name: str | None, client_id: str) -> dict[str, Any]:
    """The common parameters Cognito adds to every trigger event."""
    return {
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": pool.user_pool_id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": SDK, "clientId": client_id},
    }


async def sub_of(pools: PoolFactory, pool: Any, username: str) -> str:
    user = await pools.admin.admin_get_user(UserPoolId=pool.user_pool_id, Username=username)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def verifier(pools: PoolFactory, pool: Any) -> TokenVerifier:
    return TokenVerifier(
        user_pool_id=pool.user_pool_id,
        client_id=pool.client_id,
        endpoint_url=pools.local.endpoint_url,
        clock=pools.local.clock.now,
    )


# ------------------------------------------------------------------------ sign-up
async def test_pre_sign_up_auto_confirms_and_post_confirmation_follows(
    pools: PoolFactory,
) -> None:
    def confirm(event: dict[str, Any]) -> None:
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True

    pre, post = Spy(confirm), Spy()
    pool = await pool_with(pools, {"PreSignUp": pre, "PostConfirmation": post})
    result = await pool.sign_up(
        "amy",
        PASSWORD,
        attributes={"email": "amy@example.com"},
        validation_data={"invite": "abc"},
        client_metadata={"app": "web"},
    )
    assert result.confirmed
    assert pre.last == {
        **common(pool, "PreSignUp_SignUp", "amy", pool.client_id),
        "request": {
            "userAttributes": {"email": "amy@example.com"},
            "validationData": {"invite": "abc"},
            "clientMetadata": {"app": "web"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    sub = await sub_of(pools, pool, "amy")
    assert post.last == {
        **common(pool, "PostConfirmation_ConfirmSignUp", "amy", pool.client_id),
        "request": {
            "userAttributes": {
                "sub": sub,
                "email": "amy@example.com",
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
            },
            "clientMetadata": {"app": "web"},
        },
        "response": {},
    }
    # autoConfirmUser: no confirmation code was sent, and the user signs in at once.
    assert pools.local.outbox.all(username="amy", purpose="SIGN_UP") == []
    assert (await pool.sign_in("amy", PASSWORD)).username == "amy"


async def test_pre_sign_up_that_raises_refuses_the_user(pools: PoolFactory) -> None:
    def refuse(event: dict[str, Any]) -> None:
        raise ValueError("Registration from this domain is not allowed.")

    pool = await pool_with(pools, {"PreSignUp": Spy(refuse)})
    with pytest.raises(UserLambdaValidationError) as info:
        await pool.sign_up("bob", PASSWORD, attributes={"email": "bob@evil.example"})
    # AWS's wording, double full stop included (aws-amplify/amplify-ui-android#314).
    assert info.value.message == (
        "PreSignUp failed with error Registration from this domain is not allowed.."
    )
    users = await pools.admin.list_users(UserPoolId=pool.user_pool_id)
    assert users["Users"] == []


async def test_post_confirmation_after_the_code(pools: PoolFactory) -> None:
    post = Spy()
    pool = await pool_with(pools, {"PostConfirmation": post})

    class Handlers:
        async def confirm_sign_up(self, step: Step) -> str:
            assert post.events == []  # not before the code
            return str(pools.local.outbox.last(username="cal", purpose="SIGN_UP").code)

    await pool.sign_up(
        "cal", PASSWORD, attributes={"email": "cal@example.com"}, handlers=Handlers()
    )
    sub = await sub_of(pools, pool, "cal")
    assert post.last == {
        **common(pool, "PostConfirmation_ConfirmSignUp", "cal", pool.client_id),
        "request": {
            "userAttributes": {
                "sub": sub,
                "email": "cal@example.com",
                "email_verified": "true",
                "cognito:user_status": "CONFIRMED",
            },
            "clientMetadata": {},
        },
        "response": {},
    }


# ------------------------------------------------------------------------ sign-in
async def test_sign_in_fires_pre_auth_post_auth_and_pre_token(pools: PoolFactory) -> None:
    def claims(event: dict[str, Any]) -> None:
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {
                "tenant": "acme",
                "email": "hidden@example.com",
                "locale": "fr",
                "sub": "forged",
            },
            "claimsToSuppress": ["name", "locale"],
            "groupOverrideDetails": {"groupsToOverride": ["readers", "writers"]},
        }

    pre, post, token = Spy(), Spy(), Spy(claims)
    pool = await pool_with(
        pools,
        {"PreAuthentication": pre, "PostAuthentication": post, "PreTokenGeneration": token},
    )
    await pools.user(pool, "dan", attributes={"email": "dan@example.com", "name": "Dan"})
    await pools.admin.create_group(
        UserPoolId=pool.user_pool_id,
        GroupName="staff",
        Precedence=1,
        RoleArn="arn:aws:iam::123456789012:role/staff",
    )
    await pools.admin.admin_add_user_to_group(
        UserPoolId=pool.user_pool_id, Username="dan", GroupName="staff"
    )
    tokens = await pool.sign_in("dan", PASSWORD, client_metadata={"device": "phone"})
    sub = await sub_of(pools, pool, "dan")
    attributes = {
        "sub": sub,
        "email": "dan@example.com",
        "name": "Dan",
        "cognito:user_status": "CONFIRMED",
    }
    assert pre.last == {
        **common(pool, "PreAuthentication_Authentication", "dan", pool.client_id),
        "request": {
            "userAttributes": attributes,
            "validationData": {"device": "phone"},
            "userNotFound": False,
        },
        "response": {},
    }
    assert post.last == {
        **common(pool, "PostAuthentication_Authentication", "dan", pool.client_id),
        "request": {
            "userAttributes": attributes,
            "newDeviceUsed": False,
            "clientMetadata": {"device": "phone"},
        },
        "response": {},
    }
    assert token.last == {
        **common(pool, "TokenGeneration_Authentication", "dan", pool.client_id),
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {
                "groupsToOverride": ["staff"],
                "iamRolesToOverride": ["arn:aws:iam::123456789012:role/staff"],
                "preferredRole": "arn:aws:iam::123456789012:role/staff",
            },
            "clientMetadata": {"device": "phone"},
        },
        "response": {"claimsOverrideDetails": None},
    }
    id_claims = await verifier(pools, pool).verify_id_token(tokens.id_token)
    access = await verifier(pools, pool).verify_access_token(tokens.access_token)
    assert id_claims["tenant"] == "acme" and id_claims["email"] == "hidden@example.com"
    assert "name" not in id_claims
    # "If a value is both suppressed and replaced, then it will be suppressed"; sub is one
    # of the claims that cannot be modified.
    assert "locale" not in id_claims and id_claims["sub"] == sub
    # The groupOverrideDetails object replaces the group configuration, in both tokens:
    # the roles it leaves out are gone.
    assert id_claims["cognito:groups"] == ["readers", "writers"]
    assert access["cognito:groups"] == ["readers", "writers"]
    assert "cognito:roles" not in id_claims and "cognito:preferred_role" not in id_claims
    assert "tenant" not in access  # a V1 answer changes the ID token only


async def test_pre_token_null_group_override_suppresses_the_groups(pools: PoolFactory) -> None:
    def drop_groups(event: dict[str, Any]) -> None:
        event["response"]["claimsOverrideDetails"] = {"groupOverrideDetails": None}

    def keep_groups(event: dict[str, Any]) -> None:
        event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"x": "1"}}

    spy = Spy(drop_groups)
    pool = await pool_with(pools, {"PreTokenGeneration": spy})
    await pools.user(pool, "lea")
    await pools.admin.create_group(UserPoolId=pool.user_pool_id, GroupName="staff")
    await pools.admin.admin_add_user_to_group(
        UserPoolId=pool.user_pool_id, Username="lea", GroupName="staff"
    )
    tokens = await pool.sign_in("lea", PASSWORD)
    for claims in (tokens.unverified_claims("id"), tokens.unverified_claims("access")):
        assert "cognito:groups" not in claims
    spy.answer = keep_groups
    tokens = await pool.sign_in("lea", PASSWORD)
    assert tokens.unverified_claims("id")["cognito:groups"] == ["staff"]
    assert tokens.unverified_claims("access")["cognito:groups"] == ["staff"]


async def test_pre_authentication_that_raises_stops_the_sign_in(pools: PoolFactory) -> None:
    def block(event: dict[str, Any]) -> None:
        raise RuntimeError("Sign-in is closed for maintenance")

    token = Spy()
    pool = await pool_with(pools, {"PreAuthentication": Spy(block), "PreTokenGeneration": token})
    await pools.user(pool, "eve")
    for flow in ("srp", "password"):
        with pytest.raises(UserLambdaValidationError) as info:
            await pool.sign_in("eve", PASSWORD, flow=flow)
        assert info.value.message == (
            "PreAuthentication failed with error Sign-in is closed for maintenance."
        )
    assert token.events == []


async def test_post_authentication_failure_means_no_tokens(pools: PoolFactory) -> None:
    def fail(event: dict[str, Any]) -> None:
        raise RuntimeError("audit log unavailable")

    pool = await pool_with(pools, {"PostAuthentication": Spy(fail)})
    await pools.user(pool, "fay")
    with pytest.raises(UserLambdaValidationError) as info:
        await pool.sign_in("fay", PASSWORD)
    assert info.value.message == "PostAuthentication failed with error audit log unavailable."


async def test_refresh_fires_pre_token_v2_with_access_claims_and_scopes(
    pools: PoolFactory,
) -> None:
    def customize(event: dict[str, Any]) -> None:
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "idTokenGeneration": {"claimsToAddOrOverride": {"plan": "gold"}},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"roles": ["admin", "billing"], "level": 3},
                "claimsToSuppress": ["email"],
                "scopesToAdd": ["orders/read"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
            },
        }

    token = Spy(customize)
    pool = await pool_with(pools, {"PreTokenGenerationConfig": token})
    await pools.user(pool, "gus", attributes={"email": "gus@example.com"})
    tokens = await pool.sign_in("gus", PASSWORD)
    refreshed = await pool.refresh_tokens(tokens)
    assert [e["triggerSource"] for e in token.events] == [
        "TokenGeneration_Authentication",
        "TokenGeneration_RefreshTokens",
    ]
    sub = await sub_of(pools, pool, "gus")
    assert token.last == {
        **common(pool, "TokenGeneration_RefreshTokens", "gus", pool.client_id),
        "version": "2",
        "request": {
            "userAttributes": {
                "sub": sub,
                "email": "gus@example.com",
                "cognito:user_status": "CONFIRMED",
            },
            "groupConfiguration": {
                "groupsToOverride": [],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
            "clientMetadata": {},
            "scopes": ["aws.cognito.signin.user.admin"],
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }
    access = await verifier(pools, pool).verify_access_token(refreshed.access_token)
    id_claims = await verifier(pools, pool).verify_id_token(refreshed.id_token)
    assert access["roles"] == ["admin", "billing"] and access["level"] == 3
    assert access["scope"] == "orders/read"
    assert "email" not in access and id_claims["plan"] == "gold"
    assert "cognito:groups" not in access  # no group, no claim


# ------------------------------------------------------------------------ migration
async def test_user_migration_at_password_sign_in(pools: PoolFactory) -> None:
    legacy = {"hal": "Legacy-Passw0rd!"}

    def migrate(event: dict[str, Any]) -> None:
        if legacy.get(event["userName"]) != event["request"]["password"]:
            raise ValueError("Bad password")
        event["response"]["userAttributes"] = {
            "email": "hal@example.com",
            "email_verified": "true",
        }
        event["response"]["finalUserStatus"] = "CONFIRMED"
        event["response"]["messageAction"] = "SUPPRESS"

    spy = Spy(migrate)
    pool = await pool_with(pools, {"UserMigration": spy})
    with pytest.raises(UserLambdaValidationError):
        await pool.sign_in("hal", "Wrong-Passw0rd!", flow="password")
    tokens = await pool.sign_in(
        "hal", "Legacy-Passw0rd!", flow="password", client_metadata={"a": "b"}
    )
    assert tokens.username == "hal"
    assert spy.last == {
        **common(pool, "UserMigration_Authentication", "hal", pool.client_id),
        "request": {
            "password": "Legacy-Passw0rd!",
            "validationData": {"a": "b"},
            "clientMetadata": {"a": "b"},
        },
        "response": {
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
    }
    # Migrated once: the next sign-in (SRP now works too) does not call the trigger.
    assert (await pool.sign_in("hal", "Legacy-Passw0rd!")).username == "hal"
    assert len(spy.events) == 2


async def test_user_migration_in_forgot_password_and_post_confirmation(
    pools: PoolFactory,
) -> None:
    def migrate(event: dict[str, Any]) -> None:
        event["response"]["userAttributes"] = {
            "email": "ivy@example.com",
            "email_verified": "true",
        }
        event["response"]["finalUserStatus"] = "RESET_REQUIRED"

    def message(event: dict[str, Any]) -> None:
        code = event["request"]["codeParameter"]
        event["response"]["emailSubject"] = "Reset your password"
        event["response"]["emailMessage"] = f"Hello, your reset code is {code}."

    migration, post, custom = Spy(migrate), Spy(), Spy(message)
    pool = await pool_with(
        pools, {"UserMigration": migration, "PostConfirmation": post, "CustomMessage": custom}
    )

    class Handlers:
        async def confirm_forgot_password(self, step: Step) -> ResetPassword:
            sent = pools.local.outbox.last(username="ivy", purpose="FORGOT_PASSWORD")
            assert sent.subject == "Reset your password"
            assert sent.body == f"Hello, your reset code is {sent.code}."
            return ResetPassword(sent.code, NEW_PASSWORD)

    await pool.forgot_password("ivy", handlers=Handlers())
    assert migration.last == {
        **common(pool, "UserMigration_ForgotPassword", "ivy", pool.client_id),
        "request": {"validationData": {}, "clientMetadata": {}},
        "response": {
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
    }
    sub = await sub_of(pools, pool, "ivy")
    attributes = {
        "sub": sub,
        "email": "ivy@example.com",
        "email_verified": "true",
    }
    assert custom.last == {
        **common(pool, "CustomMessage_ForgotPassword", "ivy", pool.client_id),
        "request": {
            "userAttributes": {**attributes, "cognito:user_status": "RESET_REQUIRED"},
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": None,
            "clientMetadata": {},
        },
        "response": {"smsMessage": None, "emailMessage": None, "emailSubject": None},
    }
    assert post.last == {
        **common(pool, "PostConfirmation_ConfirmForgotPassword", "ivy", pool.client_id),
        "request": {
            "userAttributes": {**attributes, "cognito:user_status": "CONFIRMED"},
            "clientMetadata": {},
        },
        "response": {},
    }
    assert (await pool.sign_in("ivy", NEW_PASSWORD)).username == "ivy"


async def test_custom_auth_triggers_from_lambda_config(pools: PoolFactory) -> None:
    def define(event: dict[str, Any]) -> None:
        session = event["request"]["session"]
        if session and session[-1]["challengeResult"]:
            event["response"].update(issueTokens=True, failAuthentication=False)
        else:
            event["response"].update(challengeName="CUSTOM_CHALLENGE", issueTokens=False)

    def create(event: dict[str, Any]) -> None:
        event["response"]["publicChallengeParameters"] = {"question": "2+2"}
        event["response"]["privateChallengeParameters"] = {"answer": "4"}

    def verify(event: dict[str, Any]) -> None:
        expected = event["request"]["privateChallengeParameters"]["answer"]
        event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected

    spies = {
        "DefineAuthChallenge": Spy(define),
        "CreateAuthChallenge": Spy(create),
        "VerifyAuthChallengeResponse": Spy(verify),
    }
    pool = await pool_with(pools, spies)
    await pools.user(pool, "jon")

    class Handlers:
        async def custom_challenge(self, step: Step) -> str:
            assert step.parameters["question"] == "2+2"
            return "4"

    tokens = await pool.sign_in("jon", flow="custom", handlers=Handlers())
    assert tokens.username == "jon"
    verify_event = spies["VerifyAuthChallengeResponse"].last
    assert verify_event["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert verify_event["request"]["challengeAnswer"] == "4"


async def test_lambda_config_arn_without_a_registered_function(pools: PoolFactory) -> None:
    pool = await pools.pool(pool_settings={"LambdaConfig": {"PreAuthentication": arn("missing")}})
    await pools.user(pool, "kim")
    from cognito_flows import UnexpectedLambdaError

    with pytest.raises(UnexpectedLambdaError):
        await pool.sign_in("kim", PASSWORD)


async def test_auto_confirmed_sign_up_signs_in_with_its_session(pools: PoolFactory) -> None:
    pre = Spy(lambda event: event["response"].update(autoConfirmUser=True))
    token = Spy()
    pool = await pool_with(pools, {"PreSignUp": pre, "PreTokenGeneration": token})
    result = await pool.sign_up("mia", PASSWORD, auto_sign_in=True)
    assert result.confirmed and result.tokens is not None
    assert result.tokens.username == "mia"
    assert [e["triggerSource"] for e in token.events] == ["TokenGeneration_Authentication"]
