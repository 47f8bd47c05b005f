"""USER_SRP_AUTH and USER_PASSWORD_AUTH, and every way a sign-in is refused."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cognito_flows import srp
from cognito_local import LocalCognito, secret_hash

from .conftest import PASSWORD, Srp, fails

INCORRECT = "Incorrect username or password."


@pytest.fixture
def alice(local: LocalCognito) -> Any:
    return local.pool().create_user("alice", PASSWORD, attributes={"email": "alice@example.com"})


async def test_srp_sign_in_and_get_user(
    local: LocalCognito, srp_client: Srp, idp: Any, alice: Any
) -> None:
    eph, first = await srp_client.start("alice")
    params = first["ChallengeParameters"]
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert "Session" not in first  # like Cognito: SECRET_BLOCK carries the state
    assert params["USER_ID_FOR_SRP"] == params["USERNAME"] == "alice"
    base64.b64decode(params["SECRET_BLOCK"], validate=True)
    result = await srp_client.verify(srp_client.answer(eph, first, PASSWORD))
    tokens = result["AuthenticationResult"]
    assert tokens["TokenType"] == "Bearer" and tokens["ExpiresIn"] == 3600
    assert result["ChallengeParameters"] == {}
    user = await idp.get_user(AccessToken=tokens["AccessToken"])
    assert user["Username"] == "alice"
    assert {"Name": "email", "Value": "alice@example.com"} in user["UserAttributes"]


async def test_case_insensitive_username(local: LocalCognito, srp_client: Srp, alice: Any) -> None:
    result = await srp_client.sign_in("ALICE", PASSWORD)
    assert "AuthenticationResult" in result


async def test_wrong_password_is_rejected(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    await fails(
        srp_client.verify(srp_client.answer(eph, first, "Wrong-passw0rd!")),
        "NotAuthorizedException",
        INCORRECT,
    )


async def test_wrong_signature_is_rejected(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    responses = srp_client.answer(eph, first, PASSWORD)
    responses["PASSWORD_CLAIM_SIGNATURE"] = base64.b64encode(b"x" * 32).decode()
    await fails(srp_client.verify(responses), "NotAuthorizedException", INCORRECT)


async def test_session_is_single_use(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    responses = srp_client.answer(eph, first, PASSWORD)
    await srp_client.verify(responses)
    await fails(
        srp_client.verify(responses),
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


async def test_wrong_answer_consumes_the_session(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    await fails(
        srp_client.verify(srp_client.answer(eph, first, "Nope-nope-1")), "NotAuthorizedException"
    )
    await fails(
        srp_client.verify(srp_client.answer(eph, first, PASSWORD)),
        "NotAuthorizedException",
        "Invalid session for the user, session can only be used once.",
    )


async def test_expired_session(local: LocalCognito, srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    local.clock.advance(3 * 60 + 1)  # AuthSessionValidity defaults to 3 minutes
    when = datetime.fromtimestamp(local.clock.now(), timezone.utc)
    responses = srp_client.answer(eph, first, PASSWORD, timestamp=srp.format_timestamp(when))
    await fails(
        srp_client.verify(responses),
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


async def test_secret_block_must_be_the_issued_one(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    challenge = dict(first)
    challenge["ChallengeParameters"] = dict(
        first["ChallengeParameters"], SECRET_BLOCK=base64.b64encode(b"forged").decode()
    )
    await fails(
        srp_client.verify(srp_client.answer(eph, challenge, PASSWORD)),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


async def test_zero_padded_day_timestamp_is_rejected(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    good = srp.format_timestamp()
    parts = good.split(" ")
    parts[2] = parts[2].zfill(2)
    padded = (
        " ".join(parts)
        if parts[2] != good.split(" ")[2]
        else good.replace(f" {parts[2]} ", f" 0{parts[2]} ")
    )
    responses = srp_client.answer(eph, first, PASSWORD, timestamp=padded)
    await fails(
        srp_client.verify(responses),
        "InvalidParameterException",
        "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.",
    )
    # a format error does not consume the session: the correct answer still works
    result = await srp_client.verify(srp_client.answer(eph, first, PASSWORD))
    assert "AuthenticationResult" in result


async def test_wrong_weekday_timestamp_is_rejected(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    now = datetime.now(timezone.utc)
    good = srp.format_timestamp(now)
    wrong_day = srp.format_timestamp(now + timedelta(days=1)).split(" ")[0]
    bad = " ".join([wrong_day, *good.split(" ")[1:]])
    await fails(
        srp_client.verify(srp_client.answer(eph, first, PASSWORD, timestamp=bad)),
        "InvalidParameterException",
    )


async def test_timestamp_far_from_the_clock(srp_client: Srp, alice: Any) -> None:
    eph, first = await srp_client.start("alice")
    old = srp.format_timestamp(datetime.now(timezone.utc) - timedelta(minutes=20))
    await fails(
        srp_client.verify(srp_client.answer(eph, first, PASSWORD, timestamp=old)),
        "NotAuthorizedException",
    )


async def test_username_must_be_the_sessions_user(
    local: LocalCognito, srp_client: Srp, alice: Any
) -> None:
    local.pool().create_user("bob", PASSWORD)
    eph, first = await srp_client.start("alice")
    responses = srp_client.answer(eph, first, PASSWORD)
    responses["USERNAME"] = "bob"
    await fails(srp_client.verify(responses), "NotAuthorizedException", INCORRECT)


async def test_lockout_after_five_wrong_passwords(
    local: LocalCognito, srp_client: Srp, idp: Any, alice: Any
) -> None:
    local.clock.freeze()
    for _ in range(5):
        eph, first = await srp_client.start("alice")
        await fails(
            srp_client.verify(srp_client.answer(eph, first, "Wrong-passw0rd!")),
            "NotAuthorizedException",
            INCORRECT,
        )
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ),
        "NotAuthorizedException",
        "Password attempts exceeded",
    )
    await fails(srp_client.start("alice"), "NotAuthorizedException", "Password attempts exceeded")
    local.clock.advance(16 * 60)
    assert "AuthenticationResult" in await srp_client.sign_in("alice", PASSWORD)


async def test_lockout_doubles_and_resets_after_quiet_period(
    local: LocalCognito, idp: Any, alice: Any
) -> None:
    local.clock.freeze()

    def login(password: str) -> Any:
        return idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": password},
        )

    for _ in range(5):
        await fails(login("Wrong-passw0rd!"), "NotAuthorizedException", INCORRECT)
    await fails(login(PASSWORD), "NotAuthorizedException", "Password attempts exceeded")
    local.clock.advance(1.5)  # the first lockout lasts 1 s
    await fails(login("Wrong-passw0rd!"), "NotAuthorizedException", INCORRECT)
    local.clock.advance(1.5)  # the second lasts 2 s
    await fails(login(PASSWORD), "NotAuthorizedException", "Password attempts exceeded")
    local.clock.advance(15 * 60)  # 15 quiet minutes reset the counter
    await fails(login("Wrong-passw0rd!"), "NotAuthorizedException", INCORRECT)
    assert "AuthenticationResult" in await login(PASSWORD)


async def test_unknown_user_gets_a_fake_challenge(local: LocalCognito, srp_client: Srp) -> None:
    eph, first = await srp_client.start("ghost")
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    _, again = await srp_client.start("ghost")
    assert again["ChallengeParameters"]["SALT"] == first["ChallengeParameters"]["SALT"]
    await fails(
        srp_client.verify(srp_client.answer(eph, first, PASSWORD)),
        "NotAuthorizedException",
        INCORRECT,
    )


async def test_unknown_user_with_legacy_client(
    local: LocalCognito, make_srp: Any, idp: Any
) -> None:
    client_id, _ = local.create_client(PreventUserExistenceErrors="LEGACY")
    await fails(
        make_srp(client_id=client_id).start("ghost"),
        "UserNotFoundException",
        "User does not exist.",
    )
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "ghost", "PASSWORD": "x"},
        ),
        "UserNotFoundException",
    )


async def test_disallowed_auth_flow(
    local: LocalCognito, idp: Any, make_srp: Any, alice: Any
) -> None:
    client_id, _ = local.create_client(explicit_auth_flows=["ALLOW_USER_SRP_AUTH"])
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
    only_password, _ = local.create_client(explicit_auth_flows=["ALLOW_USER_PASSWORD_AUTH"])
    await fails(
        make_srp(client_id=only_password).start("alice"),
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    )
    await fails(
        idp.initiate_auth(
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
    )


async def test_api_default_flows(local: LocalCognito, idp: Any, alice: Any) -> None:
    created = await idp.create_user_pool_client(UserPoolId=local.user_pool_id, ClientName="d")
    client = created["UserPoolClient"]
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client["ClientId"],
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ),
        "InvalidParameterException",
    )


async def test_secret_hash_enforced(
    local: LocalCognito, make_srp: Any, idp: Any, alice: Any
) -> None:
    client_id = local.secret_client_id
    without = make_srp(client_id=client_id)
    await fails(
        without.start("alice"),
        "NotAuthorizedException",
        f"Client {client_id} is configured with secret but SECRET_HASH was not received",
    )
    wrong = make_srp(client_id=client_id, client_secret="not-the-secret-at-all-123456")
    await fails(
        wrong.start("alice"),
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    right = make_srp(client_id=client_id, client_secret=local.client_secret)
    eph, first = await right.start("alice")
    responses = right.answer(eph, first, PASSWORD)
    del responses["SECRET_HASH"]
    await fails(
        right.verify(responses),
        "NotAuthorizedException",
        f"Client {client_id} is configured with secret but SECRET_HASH was not received",
    )
    responses["SECRET_HASH"] = secret_hash(local.client_secret, "someone-else", client_id)
    await fails(
        right.verify(responses),
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    responses["SECRET_HASH"] = secret_hash(local.client_secret, "alice", client_id)
    assert "AuthenticationResult" in await right.verify(responses)
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ),
        "NotAuthorizedException",
    )


async def test_user_password_auth(local: LocalCognito, idp: Any, alice: Any) -> None:
    ok = await idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=local.client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert ok["AuthenticationResult"]["AccessToken"]
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "alice", "PASSWORD": "Nope-1aA!"},
        ),
        "NotAuthorizedException",
        INCORRECT,
    )


async def test_user_states(local: LocalCognito, idp: Any, srp_client: Srp) -> None:
    pool = local.pool()
    pool.create_user("unconfirmed", PASSWORD, status="UNCONFIRMED")
    pool.create_user("disabled", PASSWORD, enabled=False)
    pool.create_user("reset", PASSWORD, status="RESET_REQUIRED")

    def login(name: str, password: str = PASSWORD) -> Any:
        return idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )

    await fails(login("unconfirmed"), "UserNotConfirmedException", "User is not confirmed.")
    await fails(login("unconfirmed", "Wr0ng-password"), "NotAuthorizedException", INCORRECT)
    await fails(login("disabled"), "NotAuthorizedException", "User is disabled.")
    await fails(login("reset"), "PasswordResetRequiredException")
    eph, first = await srp_client.start("unconfirmed")
    await fails(
        srp_client.verify(srp_client.answer(eph, first, PASSWORD)), "UserNotConfirmedException"
    )
    await fails(srp_client.start("reset"), "PasswordResetRequiredException")


async def test_sign_in_by_email_alias(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    pool_id = local.create_pool("alias", AliasAttributes=["email"])
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    pool.create_user("carol", PASSWORD, attributes={"email": "carol@example.com"})
    pool.create_user(
        "dave", PASSWORD, attributes={"email": "dave@example.com", "email_verified": "false"}
    )
    srp_ = make_srp(pool_id=pool_id, client_id=client_id)
    eph, first = await srp_.start("carol@example.com")
    assert first["ChallengeParameters"]["USER_ID_FOR_SRP"] == "carol"
    result = await srp_.verify(srp_.answer(eph, first, PASSWORD))
    assert "AuthenticationResult" in result
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "dave@example.com", "PASSWORD": PASSWORD},
        ),
        "UserNotFoundException",
    )  # unverified e-mail is not an alias


async def test_email_as_username(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    pool_id = local.create_pool("emails", UsernameAttributes=["email"])
    client_id, _ = local.create_client(pool_id)
    user = local.pool(pool_id).create_user("erin@example.com", PASSWORD)
    assert user.username == user.sub != "erin@example.com"
    srp_ = make_srp(pool_id=pool_id, client_id=client_id)
    eph, first = await srp_.start("erin@example.com")
    assert first["ChallengeParameters"]["USER_ID_FOR_SRP"] == user.username
    result = await srp_.verify(srp_.answer(eph, first, PASSWORD))
    assert "AuthenticationResult" in result
