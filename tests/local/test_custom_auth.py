"""CUSTOM_AUTH with Python triggers (Lambda-shaped events), with and without SRP."""

from __future__ import annotations

import asyncio
from typing import Any

from cognito_local import LocalCognito, TriggerSet, send_message

from .conftest import PASSWORD, Srp, fails, timestamp

INCORRECT = "Incorrect username or password."


async def custom(idp: Any, local: LocalCognito, username: str, **extra: str) -> Any:
    return await idp.initiate_auth(
        AuthFlow="CUSTOM_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": username, **extra},
        ClientMetadata={"app": "tests"},
    )


async def answer(idp: Any, local: LocalCognito, session: str, username: str, value: str) -> Any:
    return await idp.respond_to_auth_challenge(
        ClientId=local.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=session,
        ChallengeResponses={"USERNAME": username, "ANSWER": value},
    )


async def test_email_code_without_srp(local: LocalCognito, idp: Any) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    local.pool().create_user("cat", PASSWORD, attributes={"email": "cat@example.com"})
    challenge = await custom(idp, local, "cat")
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["ChallengeParameters"] == {"email": "c***@e***", "USERNAME": "cat"}
    message = local.outbox.last(username="cat", purpose="CUSTOM_CHALLENGE")
    assert message.channel == "EMAIL" and message.destination == "cat@example.com"
    wrong = await answer(idp, local, challenge["Session"], "cat", "nope")
    assert wrong["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert len(local.outbox.all(username="cat")) == 1  # same code for the retry
    result = await answer(idp, local, wrong["Session"], "cat", message.code)
    assert "AuthenticationResult" in result
    await fails(answer(idp, local, wrong["Session"], "cat", message.code), "NotAuthorizedException")


async def test_email_code_fails_after_three_wrong_answers(local: LocalCognito, idp: Any) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    local.pool().create_user("cob", PASSWORD, attributes={"email": "cob@example.com"})
    step = await custom(idp, local, "cob")
    step = await answer(idp, local, step["Session"], "cob", "1")
    step = await answer(idp, local, step["Session"], "cob", "2")
    await fails(
        answer(idp, local, step["Session"], "cob", "3"), "NotAuthorizedException", INCORRECT
    )


async def test_custom_auth_with_srp_a(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    events: list[dict[str, Any]] = []
    base = TriggerSet.email_code()

    def define(event: dict[str, Any]) -> dict[str, Any]:
        events.append(
            {
                "session": [dict(s) for s in event["request"]["session"]],
                "metadata": event["request"]["clientMetadata"],
                "source": event["triggerSource"],
            }
        )
        assert base.define_auth_challenge is not None
        result = base.define_auth_challenge(event)
        assert isinstance(result, dict)
        return result

    local.pool().set_triggers(base, define_auth_challenge=define)
    local.pool().create_user("srpy", PASSWORD, attributes={"email": "srpy@example.com"})
    eph, first = await srp_client.start(
        "srpy", flow="CUSTOM_AUTH", extra={"CHALLENGE_NAME": "SRP_A"}
    )
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert events[0]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
    ]
    assert events[0]["source"] == "DefineAuthChallenge_Authentication"
    step = await srp_client.verify(srp_client.answer(eph, first, PASSWORD), first.get("Session"))
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert [s["challengeName"] for s in events[1]["session"]] == ["SRP_A", "PASSWORD_VERIFIER"]
    code = local.outbox.last(username="srpy", purpose="CUSTOM_CHALLENGE").code
    result = await answer(idp, local, step["Session"], "srpy", code)
    assert "AuthenticationResult" in result
    assert [s["challengeResult"] for s in events[-1]["session"]] == [True, True, True]


async def test_custom_auth_with_srp_and_wrong_password(
    local: LocalCognito, srp_client: Srp
) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    local.pool().create_user("srpn", PASSWORD, attributes={"email": "srpn@example.com"})
    eph, first = await srp_client.start(
        "srpn", flow="CUSTOM_AUTH", extra={"CHALLENGE_NAME": "SRP_A"}
    )
    await fails(
        srp_client.verify(srp_client.answer(eph, first, "Wrong-Passw0rd")),
        "NotAuthorizedException",
        INCORRECT,
    )
    assert not local.outbox.all(username="srpn")


async def test_async_triggers_and_lambda_event_shapes(local: LocalCognito, idp: Any) -> None:
    seen: dict[str, Any] = {}

    async def define(event: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        seen["define"] = event
        session = event["request"]["session"]
        if session and session[-1]["challengeResult"]:
            event["response"]["issueTokens"] = True
        else:
            event["response"]["challengeName"] = "CUSTOM_CHALLENGE"

    async def create(event: dict[str, Any]) -> dict[str, Any]:
        seen["create"] = event
        send_message("SMS", event["request"]["userAttributes"]["phone_number"], "4242")
        event["response"]["publicChallengeParameters"] = {"hint": "four digits"}
        event["response"]["privateChallengeParameters"] = {"answer": "4242"}
        event["response"]["challengeMetadata"] = "PIN"
        return event

    def verify(event: dict[str, Any]) -> dict[str, Any]:
        seen["verify"] = event
        event["response"]["answerCorrect"] = (
            event["request"]["challengeAnswer"]
            == event["request"]["privateChallengeParameters"]["answer"]
        )
        return event

    local.pool().set_triggers(
        define_auth_challenge=define,
        create_auth_challenge=create,
        verify_auth_challenge_response=verify,
    )
    user = local.pool().create_user("pin", None, attributes={"phone_number": "+15555550999"})
    step = await custom(idp, local, "pin")
    assert step["ChallengeParameters"] == {"hint": "four digits", "USERNAME": "pin"}
    assert local.outbox.last(username="pin").code == "4242"
    result = await answer(idp, local, step["Session"], "pin", "4242")
    assert "AuthenticationResult" in result
    define_event = seen["define"]
    assert define_event["userName"] == "pin"
    assert define_event["userPoolId"] == local.user_pool_id
    assert define_event["callerContext"]["clientId"] == local.client_id
    assert define_event["request"]["userAttributes"]["sub"] == user.sub
    # Cognito does not store ClientMetadata: the answer sent none, so the DefineAuthChallenge
    # it runs sees none; the CreateAuthChallenge run by InitiateAuth saw InitiateAuth's.
    assert define_event["request"]["clientMetadata"] == {}
    assert seen["create"]["request"]["clientMetadata"] == {"app": "tests"}
    assert define_event["request"]["session"][-1] == {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": True,
        "challengeMetadata": "PIN",
    }
    assert seen["create"]["triggerSource"] == "CreateAuthChallenge_Authentication"
    assert seen["create"]["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert seen["verify"]["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"
    assert seen["verify"]["request"]["challengeAnswer"] == "4242"


async def test_trigger_errors(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("err", PASSWORD)
    await fails(custom(idp, local, "err"), "InvalidParameterException")

    def boom(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("kaput")

    local.pool().set_triggers(define_auth_challenge=boom)
    await fails(
        custom(idp, local, "err"),
        "UserLambdaValidationException",
        "DefineAuthChallenge failed with error kaput.",
    )

    def fail(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["failAuthentication"] = True
        return event

    local.pool().set_triggers(define_auth_challenge=fail)
    await fails(custom(idp, local, "err"), "NotAuthorizedException", INCORRECT)


async def test_unknown_user_custom_auth(local: LocalCognito, idp: Any) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    await fails(custom(idp, local, "nobody"), "NotAuthorizedException", INCORRECT)
    legacy, _ = local.create_client(PreventUserExistenceErrors="LEGACY")
    await fails(
        idp.initiate_auth(
            AuthFlow="CUSTOM_AUTH", ClientId=legacy, AuthParameters={"USERNAME": "nobody"}
        ),
        "UserNotFoundException",
    )


async def test_custom_auth_requires_the_flow(local: LocalCognito, idp: Any) -> None:
    local.pool().set_triggers(TriggerSet.email_code())
    client_id, _ = local.create_client(explicit_auth_flows=["ALLOW_USER_SRP_AUTH"])
    await fails(
        idp.initiate_auth(
            AuthFlow="CUSTOM_AUTH", ClientId=client_id, AuthParameters={"USERNAME": "x"}
        ),
        "InvalidParameterException",
        "CUSTOM_AUTH flow not enabled for this client",
    )


def test_timestamp_helper_is_english(local: LocalCognito) -> None:
    assert timestamp(local).split(" ")[4] == "UTC"
