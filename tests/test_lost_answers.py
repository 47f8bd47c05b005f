"""Calls whose answer is lost after the local Cognito applied them (issue 13, item 1).

A :class:`~tests.lost_answers.LostAnswerProxy` forwards each call to the emulator and then
drops the connection, answers 500 or never answers. For every operation the library calls
that must not be applied twice, the call reaches the emulator exactly once and the library
raises :class:`~cognito_flows.errors.OutcomeUnknownError` naming the operation; operations
that may be repeated are retried by botocore to the right answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest
from aiobotocore.session import AioSession
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.retries.standard import RetryContext

from cognito_flows import UserPool, srp
from cognito_flows.errors import (
    CognitoFlowsError,
    OutcomeUnknownError,
    TooManyRequestsError,
)
from cognito_flows.wire import (
    RETRY_SAFE_OPERATIONS,
    ClientConfig,
    CognitoConnectionError,
    _CognitoRetryConditions,
)

from .conftest import PASSWORD, PoolFactory, device_tracking
from .lost_answers import Loss, LostAnswerProxy

NEW_PASSWORD = "N3w-Battery-Staple!"
DEVICES = device_tracking(challenge_new=False, on_prompt=False)


@pytest.fixture
async def proxy(local: Any) -> AsyncIterator[LostAnswerProxy]:
    async with LostAnswerProxy(local.endpoint_url) as p:
        yield p


@attrs.define
class World:
    """A pool reached directly (``direct``) and one reached through the proxy (``lossy``)."""

    local: Any
    admin: Any
    pools: PoolFactory
    direct: UserPool
    lossy: UserPool
    proxy: LostAnswerProxy

    async def user(self, name: str = "alice", **kwargs: Any) -> None:
        await self.pools.user(self.direct, name, **kwargs)

    async def sign_in(self, name: str = "alice", password: str = PASSWORD) -> dict[str, Any]:
        """InitiateAuth USER_PASSWORD_AUTH straight at the emulator; the AuthenticationResult."""
        answer = await self.direct.client.call(
            "InitiateAuth",
            ClientId=self.direct.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )
        return dict(answer["AuthenticationResult"])

    async def status(self, name: str = "alice") -> str:
        user = await self.admin.admin_get_user(UserPoolId=self.direct.user_pool_id, Username=name)
        return str(user["UserStatus"])

    async def attributes(self, name: str = "alice") -> dict[str, str]:
        user = await self.admin.admin_get_user(UserPoolId=self.direct.user_pool_id, Username=name)
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}

    def sent(self, name: str = "alice") -> int:
        return len(self.local.outbox.all(username=name))


def _through(
    proxy: LostAnswerProxy,
    direct: UserPool,
    local: Any,
    *,
    read_timeout: float,
    session: AioSession | None = None,
) -> UserPool:
    """``direct``'s pool and app client, reached through ``proxy``."""
    return UserPool(
        direct.user_pool_id,
        direct.client_id,
        endpoint_url=proxy.url,
        region=local.region,
        clock=local.clock.now,
        config=ClientConfig(read_timeout=read_timeout, connect_timeout=120.0),
        session=session,
    )


async def _world(
    local: Any, admin: Any, pools: PoolFactory, proxy: LostAnswerProxy, **settings: Any
) -> AsyncIterator[World]:
    direct = await pools.pool(**settings)
    # Generous: on a loaded machine an answer can take seconds; only
    # test_lost_answer_after_a_read_timeout wants a read timeout, and makes its own.
    lossy = _through(proxy, direct, local, read_timeout=120.0, session=pools.session)
    async with lossy:
        yield World(local, admin, pools, direct, lossy, proxy)


@pytest.fixture
async def world(
    local: Any, admin: Any, pools: PoolFactory, proxy: LostAnswerProxy
) -> AsyncIterator[World]:
    async for w in _world(
        local,
        admin,
        pools,
        proxy,
        mfa="OPTIONAL",
        pool_settings={
            **DEVICES,
            "AutoVerifiedAttributes": ["email"],
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
        },
    ):
        yield w


# --------------------------------------------------------------------------------------
# One case per operation that must not be applied twice: set up, the call, and a check
# (made straight at the emulator) that Cognito applied it.

Case = Callable[[World], Awaitable[tuple[dict[str, Any], Callable[[], Awaitable[None]]]]]
CASES: dict[str, Case] = {}


def case(operation: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[operation] = fn
        return fn

    return register


@case("SignUp")
async def _sign_up(w: World) -> Any:
    params = {
        "ClientId": w.direct.client_id,
        "Username": "alice",
        "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "alice@example.com"}],
    }

    async def applied() -> None:
        assert await w.status() == "UNCONFIRMED"
        assert w.sent() == 1  # one confirmation code, not two

    return params, applied


async def _signed_up(w: World) -> str:
    await w.direct.client.call(
        "SignUp",
        ClientId=w.direct.client_id,
        Username="alice",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )
    return str(w.local.outbox.last(username="alice").code)


@case("ConfirmSignUp")
async def _confirm_sign_up(w: World) -> Any:
    code = await _signed_up(w)

    async def applied() -> None:
        assert await w.status() == "CONFIRMED"

    return {"ClientId": w.direct.client_id, "Username": "alice", "ConfirmationCode": code}, applied


@case("ResendConfirmationCode")
async def _resend(w: World) -> Any:
    await _signed_up(w)

    async def applied() -> None:
        assert w.sent() == 2  # the sign-up's and exactly one resend

    return {"ClientId": w.direct.client_id, "Username": "alice"}, applied


async def _verified_user(w: World, **kwargs: Any) -> None:
    await w.user(attributes={"email": "alice@example.com", "email_verified": "true"}, **kwargs)


@case("ForgotPassword")
async def _forgot(w: World) -> Any:
    await _verified_user(w)

    async def applied() -> None:
        assert w.sent() == 1

    return {"ClientId": w.direct.client_id, "Username": "alice"}, applied


@case("ConfirmForgotPassword")
async def _confirm_forgot(w: World) -> Any:
    await _verified_user(w)
    await w.direct.client.call("ForgotPassword", ClientId=w.direct.client_id, Username="alice")
    code = w.local.outbox.last(username="alice").code

    async def applied() -> None:
        await w.sign_in(password=NEW_PASSWORD)

    return {
        "ClientId": w.direct.client_id,
        "Username": "alice",
        "ConfirmationCode": code,
        "Password": NEW_PASSWORD,
    }, applied


async def _access(w: World) -> dict[str, Any]:
    await _verified_user(w)
    return await w.sign_in()


@case("ChangePassword")
async def _change_password(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        await w.sign_in(password=NEW_PASSWORD)

    return {
        "AccessToken": tokens["AccessToken"],
        "PreviousPassword": PASSWORD,
        "ProposedPassword": NEW_PASSWORD,
    }, applied


@case("RespondToAuthChallenge")
async def _respond(w: World) -> Any:
    await w.user(permanent=False)
    started = await w.direct.client.call(
        "InitiateAuth",
        ClientId=w.direct.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    async def applied() -> None:
        assert await w.status() == "CONFIRMED"
        await w.sign_in(password=NEW_PASSWORD)

    return {
        "ClientId": w.direct.client_id,
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": started["Session"],
        "ChallengeResponses": {"USERNAME": "alice", "NEW_PASSWORD": NEW_PASSWORD},
    }, applied


@case("AdminRespondToAuthChallenge")
async def _admin_respond(w: World) -> Any:
    await w.user(permanent=False)
    started = await w.direct.client.call(
        "AdminInitiateAuth",
        UserPoolId=w.direct.user_pool_id,
        ClientId=w.direct.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )

    async def applied() -> None:
        assert await w.status() == "CONFIRMED"

    return {
        "UserPoolId": w.direct.user_pool_id,
        "ClientId": w.direct.client_id,
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": started["Session"],
        "ChallengeResponses": {"USERNAME": "alice", "NEW_PASSWORD": NEW_PASSWORD},
    }, applied


@case("AssociateSoftwareToken")
async def _associate(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        assert w.proxy.applied["AssociateSoftwareToken"] == 1

    return {"AccessToken": tokens["AccessToken"]}, applied


@case("VerifySoftwareToken")
async def _verify_totp(w: World) -> Any:
    tokens = await _access(w)
    access = tokens["AccessToken"]
    secret = (await w.direct.client.call("AssociateSoftwareToken", AccessToken=access))[
        "SecretCode"
    ]

    async def applied() -> None:
        # Only a verified TOTP can be made the preferred MFA.
        await w.direct.client.call(
            "SetUserMFAPreference",
            AccessToken=access,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )

    return {"AccessToken": access, "UserCode": w.pools.totp(secret)}, applied


async def _device(w: World) -> tuple[str, str]:
    tokens = await _access(w)
    meta = tokens["NewDeviceMetadata"]
    return tokens["AccessToken"], meta["DeviceKey"]


@case("ConfirmDevice")
async def _confirm_device(w: World) -> Any:
    tokens = await _access(w)
    meta = tokens["NewDeviceMetadata"]
    secret = srp.generate_device_secret(meta["DeviceGroupKey"], meta["DeviceKey"])

    async def applied() -> None:
        listed = await w.direct.client.call("ListDevices", AccessToken=tokens["AccessToken"])
        assert [d["DeviceKey"] for d in listed["Devices"]] == [meta["DeviceKey"]]

    return {
        "AccessToken": tokens["AccessToken"],
        "DeviceKey": meta["DeviceKey"],
        "DeviceSecretVerifierConfig": secret.verifier_config,
        "DeviceName": "laptop",
    }, applied


@case("ForgetDevice")
async def _forget_device(w: World) -> Any:
    access, key = await _device(w)
    meta_secret = srp.generate_device_secret("g", key)
    await w.direct.client.call(
        "ConfirmDevice",
        AccessToken=access,
        DeviceKey=key,
        DeviceSecretVerifierConfig=meta_secret.verifier_config,
    )

    async def applied() -> None:
        listed = await w.direct.client.call("ListDevices", AccessToken=access)
        assert listed["Devices"] == []

    return {"AccessToken": access, "DeviceKey": key}, applied


@case("GlobalSignOut")
async def _global_sign_out(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        with pytest.raises(CognitoFlowsError):
            await w.direct.client.call("GetUser", AccessToken=tokens["AccessToken"])

    return {"AccessToken": tokens["AccessToken"]}, applied


@case("RevokeToken")
async def _revoke(w: World) -> Any:
    tokens = await _access(w)
    # A device-bound refresh token works only once its device is confirmed (Knowledge
    # Center cognito-invalid-refresh-token-error).
    meta = tokens["NewDeviceMetadata"]
    await w.direct.client.call(
        "ConfirmDevice",
        AccessToken=tokens["AccessToken"],
        DeviceKey=meta["DeviceKey"],
        DeviceSecretVerifierConfig=srp.generate_device_secret(
            meta["DeviceGroupKey"], meta["DeviceKey"]
        ).verifier_config,
    )

    async def applied() -> None:
        with pytest.raises(CognitoFlowsError):
            await w.direct.client.call(
                "InitiateAuth",
                ClientId=w.direct.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={
                    "REFRESH_TOKEN": tokens["RefreshToken"],
                    "DEVICE_KEY": tokens["NewDeviceMetadata"]["DeviceKey"],
                },
            )

    # The refresh token works before the revocation (the check above is not vacuous).
    await w.direct.client.call(
        "InitiateAuth",
        ClientId=w.direct.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={
            "REFRESH_TOKEN": tokens["RefreshToken"],
            "DEVICE_KEY": tokens["NewDeviceMetadata"]["DeviceKey"],
        },
    )
    return {"ClientId": w.direct.client_id, "Token": tokens["RefreshToken"]}, applied


@case("DeleteUser")
async def _delete_user(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        with pytest.raises(Exception, match="UserNotFound"):
            await w.status()

    return {"AccessToken": tokens["AccessToken"]}, applied


@case("UpdateUserAttributes")
async def _update_attributes(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        assert (await w.attributes())["name"] == "Alice"

    return {
        "AccessToken": tokens["AccessToken"],
        "UserAttributes": [{"Name": "name", "Value": "Alice"}],
    }, applied


@case("DeleteUserAttributes")
async def _delete_attributes(w: World) -> Any:
    await w.user(attributes={"name": "Alice"})
    tokens = await w.sign_in()

    async def applied() -> None:
        assert "name" not in await w.attributes()

    return {"AccessToken": tokens["AccessToken"], "UserAttributeNames": ["name"]}, applied


@case("GetUserAttributeVerificationCode")
async def _attribute_code(w: World) -> Any:
    tokens = await _access(w)

    async def applied() -> None:
        assert w.sent() == 1

    return {"AccessToken": tokens["AccessToken"], "AttributeName": "email"}, applied


@case("VerifyUserAttribute")
async def _verify_attribute(w: World) -> Any:
    await w.user(attributes={"email": "alice@example.com"})
    tokens = await w.sign_in()
    access = tokens["AccessToken"]
    await w.direct.client.call(
        "GetUserAttributeVerificationCode", AccessToken=access, AttributeName="email"
    )
    code = w.local.outbox.last(username="alice").code

    async def applied() -> None:
        assert (await w.attributes())["email_verified"] == "true"

    return {"AccessToken": access, "AttributeName": "email", "Code": code}, applied


async def _passkey_ready(w: World) -> tuple[str, Any]:
    """WebAuthn on the pool, alice signed in; (access token, a software passkey)."""
    from cognito_flows.testing.passkey import SoftwarePasskey

    await w.admin.set_user_pool_mfa_config(
        UserPoolId=w.direct.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
    )
    tokens = await _access(w)
    return tokens["AccessToken"], SoftwarePasskey("https://localhost")


async def _passkeys(w: World, access: str) -> list[Any]:
    listed = await w.direct.client.call("ListWebAuthnCredentials", AccessToken=access)
    return list(listed["Credentials"])


@case("CompleteWebAuthnRegistration")
async def _complete_passkey(w: World) -> Any:
    access, passkey = await _passkey_ready(w)
    started = await w.direct.client.call("StartWebAuthnRegistration", AccessToken=access)
    credential = passkey.create(started["CredentialCreationOptions"])

    async def applied() -> None:
        assert len(await _passkeys(w, access)) == 1

    return {"AccessToken": access, "Credential": credential}, applied


@case("DeleteWebAuthnCredential")
async def _delete_passkey(w: World) -> Any:
    access, passkey = await _passkey_ready(w)
    started = await w.direct.client.call("StartWebAuthnRegistration", AccessToken=access)
    await w.direct.client.call(
        "CompleteWebAuthnRegistration",
        AccessToken=access,
        Credential=passkey.create(started["CredentialCreationOptions"]),
    )
    [stored] = await _passkeys(w, access)

    async def applied() -> None:
        assert await _passkeys(w, access) == []

    return {"AccessToken": access, "CredentialId": stored["CredentialId"]}, applied


#: Every operation the library calls that must not be applied twice (checked below
#: against the library's source, so a new operation cannot be missed).
UNSAFE = sorted(CASES)


@pytest.mark.parametrize("how", ["drop", "500"])
@pytest.mark.parametrize("operation", UNSAFE)
async def test_lost_answer_is_applied_once_and_reported(
    world: World, operation: str, how: Loss
) -> None:
    params, applied = await CASES[operation](world)
    world.proxy.lose(operation, how)
    with pytest.raises(OutcomeUnknownError) as caught:
        await world.lossy.client.call(operation, **params)
    assert caught.value.operation == operation
    assert world.proxy.applied[operation] == 1, "the call was resent"
    assert world.proxy.lost[operation] == 1
    await applied()
    # Nothing of the request is in the error: only the operation and what was lost.
    text = str(caught.value) + repr(caught.value)
    for value in params.values():
        if isinstance(value, str) and len(value) > 6:
            assert value not in text


async def test_lost_answer_after_a_read_timeout(world: World) -> None:
    params, applied = await CASES["SignUp"](world)
    world.proxy.lose("SignUp", "hang")  # applied, then no answer ever: the timeout must fire
    impatient = _through(
        world.proxy, world.direct, world.local, read_timeout=1.0, session=world.pools.session
    )
    async with impatient:
        with pytest.raises(OutcomeUnknownError) as caught:
            await impatient.client.call("SignUp", **params)
    assert caught.value.reason == "ReadTimeoutError"
    assert world.proxy.applied["SignUp"] == 1
    await applied()


@pytest.mark.parametrize("operation", ["SignUp", "ConfirmSignUp", "ChangePassword"])
async def test_throttled_unsafe_call_is_retried(world: World, operation: str) -> None:
    """A throttled call was not applied: botocore resends it, and it is applied once."""
    params, applied = await CASES[operation](world)
    world.proxy.refuse(operation)
    await world.lossy.client.call(operation, **params)
    assert world.proxy.refused[operation] == 1
    assert world.proxy.applied[operation] == 1
    await applied()


async def test_throttled_until_attempts_run_out(world: World) -> None:
    params, _ = await CASES["SignUp"](world)
    world.proxy.refuse("SignUp", times=3)
    with pytest.raises(TooManyRequestsError):
        await world.lossy.client.call("SignUp", **params)
    assert world.proxy.applied["SignUp"] == 0


# --------------------------------------------------------------------------------------
# Operations that may be repeated: retried to the right answer.


@pytest.mark.parametrize("how", ["drop", "500"])
async def test_initiate_auth_is_retried(world: World, how: Loss) -> None:
    await world.user()
    world.proxy.lose("InitiateAuth", how)
    answer = await world.lossy.client.call(
        "InitiateAuth",
        ClientId=world.direct.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in answer["AuthenticationResult"]
    assert world.proxy.applied["InitiateAuth"] == 2


@pytest.mark.parametrize("how", ["drop", "500"])
async def test_sign_in_survives_a_lost_initiate_auth(world: World, how: Loss) -> None:
    """End to end: the SRP sign-in's InitiateAuth answer is lost once; the sign-in works."""
    await world.user()
    world.proxy.lose("InitiateAuth", how)
    tokens = await world.lossy.sign_in("alice", PASSWORD, remember_device=False)
    assert tokens.access_token
    assert world.proxy.applied["InitiateAuth"] == 2


@pytest.mark.parametrize(
    "operation",
    ["GetUser", "ListDevices", "SetUserMFAPreference", "GetTokensFromRefreshToken"],
)
async def test_repeatable_operations_are_retried(world: World, operation: str) -> None:
    tokens = await _access(world)
    params: dict[str, Any] = {"AccessToken": tokens["AccessToken"]}
    if operation == "SetUserMFAPreference":
        params["EmailMfaSettings"] = {"Enabled": False}
    if operation == "GetTokensFromRefreshToken":
        meta = tokens["NewDeviceMetadata"]
        await world.direct.client.call(  # a device-bound refresh needs a confirmed device
            "ConfirmDevice",
            AccessToken=tokens["AccessToken"],
            DeviceKey=meta["DeviceKey"],
            DeviceSecretVerifierConfig=srp.generate_device_secret(
                meta["DeviceGroupKey"], meta["DeviceKey"]
            ).verifier_config,
        )
        params = {
            "ClientId": world.direct.client_id,
            "RefreshToken": tokens["RefreshToken"],
            "DeviceKey": tokens["NewDeviceMetadata"]["DeviceKey"],
        }
    world.proxy.lose(operation, "500")
    answer = await world.lossy.client.call(operation, **params)
    assert world.proxy.applied[operation] == 2
    if operation == "GetUser":
        assert answer["Username"] == "alice"
    if operation == "GetTokensFromRefreshToken":
        assert answer["AuthenticationResult"]["AccessToken"]


# --------------------------------------------------------------------------------------
# Through the library's flows: the lost answer is reported, not turned into a failure.


async def test_sign_up_flow_reports_the_lost_answer(world: World) -> None:
    world.proxy.lose("SignUp", "500")
    flow = world.lossy.sign_up_flow("alice", PASSWORD, attributes={"email": "a@example.com"})
    step = await flow.start()  # not raised, not FAILED: the user may exist (test_reconcile.py)
    assert step.state == "CONFIRM_SIGN_UP"
    assert isinstance(step.error, OutcomeUnknownError)
    assert "SignUp" in str(step.error)
    assert world.proxy.applied["SignUp"] == 1
    assert await world.status() == "UNCONFIRMED"


# --------------------------------------------------------------------------------------
# The retry decision itself, and coverage of the library's operations.


def _context(operation: str, exc: BaseException, attempt: int = 1) -> RetryContext:
    class Model:
        name = operation

    return RetryContext(attempt_number=attempt, operation_model=Model(), caught_exception=exc)


async def test_a_connection_never_made_is_retried_for_every_operation() -> None:
    import aiohttp

    conditions = _CognitoRetryConditions(3)
    refused = EndpointConnectionError(
        endpoint_url="http://127.0.0.1:1",
        error=aiohttp.ClientConnectorError(
            aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None),
            ConnectionRefusedError(111, "refused"),
        ),
    )
    reset = EndpointConnectionError(
        endpoint_url="http://127.0.0.1:1", error=aiohttp.ClientOSError(104, "reset")
    )
    read = ReadTimeoutError(endpoint_url="http://127.0.0.1:1", error="t")
    for operation in [*UNSAFE, "InitiateAuth"]:
        assert await conditions.is_retryable(_context(operation, refused))
        assert not await conditions.is_retryable(_context(operation, refused, attempt=3))
        safe = operation in RETRY_SAFE_OPERATIONS
        assert await conditions.is_retryable(_context(operation, reset)) is safe
        assert await conditions.is_retryable(_context(operation, read)) is safe


async def test_connection_refused_is_a_connection_error(local: Any) -> None:
    """Nothing listens: a non-idempotent call was never applied, so it is retried and then
    reported as unreachable, not as an unknown outcome."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pool = UserPool("us-east-1_Gone1", "client", endpoint_url=f"http://127.0.0.1:{port}")
    sent: list[str] = []
    async with pool:
        await pool.client.open()
        pool.client._public.meta.events.register("before-send", lambda **kw: sent.append("x"))
        with pytest.raises(CognitoConnectionError):
            await pool.client.call("SignUp", ClientId="c", Username="u", Password=PASSWORD)
    assert len(sent) == 3  # botocore's three attempts


def test_every_operation_the_library_calls_is_classified() -> None:
    """Each Cognito operation named in the library is retry-safe or has a case above."""
    import pathlib

    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    root = pathlib.Path(__file__).parent.parent / "cognito_flows"
    called: set[str] = set()
    for path in [root / "account.py", root / "pool.py", *root.glob("drivers/*.py")]:
        text = path.read_text()
        called |= {op for op in model.operation_names if f'"{op}"' in text}
    assert called, "no operation found"
    missing = called - RETRY_SAFE_OPERATIONS - set(UNSAFE)
    assert not missing, f"operations without a lost-answer test: {sorted(missing)}"


async def test_lost_confirm_device_is_retried_with_the_same_verifier(world: World) -> None:
    """Issue 11 item 1: a ConfirmDevice whose answer was lost is sent again with the same
    verifier; DeviceKeyExistsException on that retry is the success it proves, and the
    stored device password then passes device SRP."""
    await world.user()
    world.proxy.lose("ConfirmDevice", "drop")
    flow = world.lossy.sign_in_flow("alice", PASSWORD)
    step = await flow.start()
    assert step.state == "REMEMBER_DEVICE" and step.tokens is not None
    assert world.proxy.applied["ConfirmDevice"] == 1 and world.proxy.lost["ConfirmDevice"] == 1
    step = await flow.answer(True)
    assert step.state == "DONE", step
    assert world.proxy.applied["ConfirmDevice"] == 2
    stored = await world.lossy.device_store.get(world.lossy.user_pool_id, "alice")
    assert stored is not None and stored.device_key == step.device_key
    assert (await world.lossy.refresh_tokens(step.tokens)).access_token
    states: list[str] = []
    again = await world.lossy.sign_in_flow(
        "alice", PASSWORD, on_transition=lambda ev, src, dst: states.append(dst)
    ).start()
    assert again.state == "DONE", again
    assert "DEVICE_PASSWORD_VERIFIER" in states
