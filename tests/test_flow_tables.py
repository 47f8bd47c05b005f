"""Sans-I/O tests of every flow module: no HTTP, no event loop, no driver.

Each flow's state spec is driven with plain dicts: the step function of a state yields the
requests and effects (``Call``, ``Compute``, ``Device``, ``Tokens``, ``AccessToken``), a
script answers them as Cognito would, and the events it fires run through the table's
synchronous :meth:`FlowTable.apply`, the same rows the driver's machine runs. Then a
hypothesis property over (state, event) pairs: each pair moves to a declared state or ends
the flow in FAILED with a ProtocolError, and the machine agrees with the table row for row.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_flows.errors import (
    CodeMismatchError,
    CognitoFlowsError,
    DeviceKeyExistsError,
    DeviceNotFoundError,
    FlowExpiredError,
    InvalidAnswerError,
    InvalidPasswordError,
    InvalidSessionError,
    NotAuthorizedError,
    OutcomeUnknownError,
    PasswordResetRequiredError,
    ProtocolError,
    TooManyFailedAttemptsError,
    TooManyRequestsError,
    UserNotConfirmedError,
)
from cognito_flows.flows import forgot_password, sign_in, sign_up, totp_setup, verify_attribute
from cognito_flows.flows._table import (
    AccessToken,
    Call,
    Compute,
    Device,
    Fire,
    FlowTable,
    Tokens,
)
from cognito_flows.steps import NewPassword, ResetPassword, TotpCode

FLOWS: dict[str, tuple[FlowTable, Any]] = {
    "sign_in": (sign_in.SIGN_IN, sign_in.SignInData),
    "sign_up": (sign_up.SIGN_UP, sign_up.SignUpData),
    "forgot_password": (forgot_password.FORGOT_PASSWORD, forgot_password.ForgotPasswordData),
    "totp_setup": (totp_setup.TOTP_SETUP, totp_setup.TotpSetupData),
    "verify_attribute": (verify_attribute.VERIFY_ATTRIBUTE, verify_attribute.VerifyAttributeData),
}

#: The handler of every state the host may be asked in, as released (0.1.0): handler-mode
#: method names are public API.
RELEASED_HANDLERS: dict[str, dict[str, str]] = {
    "sign_in": {
        "SMS_MFA": "sms_mfa",
        "SOFTWARE_TOKEN_MFA": "software_token_mfa",
        "EMAIL_OTP": "email_otp",
        "SMS_OTP": "sms_otp",
        "SELECT_MFA_TYPE": "select_mfa_type",
        "MFA_SETUP": "mfa_setup",
        "MFA_SETUP_SOFTWARE_TOKEN": "mfa_setup",
        "MFA_SETUP_EMAIL": "mfa_setup",
        "SELECT_CHALLENGE": "select_challenge",
        "PASSWORD": "password",
        "PASSWORD_SRP": "password",
        "PASSWORD_VERIFIER": "password",
        "CUSTOM_CHALLENGE": "custom_challenge",
        "WEB_AUTHN": "web_authn",
        "NEW_PASSWORD_REQUIRED": "new_password_required",
        "REMEMBER_DEVICE": "remember_device",
    },
    "sign_up": {"CONFIRM_SIGN_UP": "confirm_sign_up"},
    "forgot_password": {"CONFIRM_FORGOT_PASSWORD": "confirm_forgot_password"},
    "totp_setup": {"VERIFY_SOFTWARE_TOKEN": "verify_software_token"},
    "verify_attribute": {"CONFIRM_ATTRIBUTE": "verify_attribute"},
}


@attrs.frozen
class FakeEphemeral:
    srp_a: str = "A" * 8


@attrs.frozen
class FakeDevice:
    device_key: str = "dk"
    device_group_key: str = "dgk"
    device_password: str = "dpw"


@attrs.frozen
class FakeSecret:
    verifier_config: Mapping[str, str] = attrs.field(factory=lambda: {"Salt": "s"})
    device_password: str = "new-dpw"


@attrs.frozen
class FakeTokens:
    access_token: str = "access"


Script = Callable[[Any], Any]


def run(
    table: FlowTable,
    data: Any,
    rt: Any,
    answer: Any = None,
    script: Iterable[Any] = (),
    *,
    state: str | None = None,
) -> list[Any]:
    """Run ``state``'s step function (validating ``answer`` first) and then the states the
    library answers itself, answering each request with the next item of ``script`` (an
    exception is thrown in). Returns the requests and effects, in order."""
    answers = iter(script)
    spec = table.spec(state or data.state)
    if spec.validate is not None:
        answer = spec.validate(data, answer)
    effects: list[Any] = []

    def drive(steps: Any) -> None:
        send: Any = None
        throw: BaseException | None = None
        while True:
            try:
                effect = steps.throw(throw) if throw is not None else steps.send(send)
            except StopIteration:
                return
            send, throw = None, None
            if isinstance(effect, Fire):
                kwargs = dict(effect.kwargs)
                if effect.timed:
                    kwargs.update(now=1000.0, session_validity=180.0)
                table.apply(data, effect.event, **kwargs)
                effects.append(effect)
                continue
            effects.append(effect)
            result = next(answers)
            if isinstance(result, BaseException):
                throw = result
            else:
                send = result
                if isinstance(effect, Tokens):
                    rt.tokens = result

    drive(spec.run(data, rt, answer))
    while (spec := table.spec(data.state)).kind == "library" or spec.auto:
        before = len(effects)
        drive(spec.run(data, rt, None))
        if len(effects) == before:
            break
    return effects


def calls(effects: Iterable[Any]) -> list[str]:
    return [e.operation for e in effects if isinstance(e, Call)]


def fired(effects: Iterable[Any]) -> list[str]:
    return [e.event for e in effects if isinstance(e, Fire)]


def in_state(state: str, **fields: Any) -> sign_in.SignInData:
    return sign_in.SignInData(username="alice", state=state, session="s0", **fields)


def challenge(name: str, params: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "ChallengeName": name,
        "Session": "s1",
        "ChallengeParameters": dict(params or {}),
        **extra,
    }


SIGNED_IN = {"AuthenticationResult": {"AccessToken": "a", "IdToken": "i", "ExpiresIn": 3600}}
NEW_DEVICE = {
    "AuthenticationResult": {
        **SIGNED_IN["AuthenticationResult"],
        "NewDeviceMetadata": {"DeviceKey": "new-dk", "DeviceGroupKey": "new-dgk"},
    }
}

# States covered by the tests below, per flow (checked against the specs at the end).
COVERED: dict[str, set[str]] = {name: set() for name in FLOWS}


def covers(flow: str, *states: str) -> None:
    COVERED[flow].update(states)


# --------------------------------------------------------------------------------------
# sign-in, state by state

# Module level, so the check at the end holds whichever tests are selected.
covers("sign_in", "INITIAL", "PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA")
covers("sign_in", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")
covers("sign_in", "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_OTP")
covers("sign_in", "SELECT_MFA_TYPE")
covers("sign_in", "MFA_SETUP", "MFA_SETUP_SOFTWARE_TOKEN", "MFA_SETUP_VERIFIED")
covers("sign_in", "MFA_SETUP_EMAIL")
covers("sign_in", "SELECT_CHALLENGE", "PASSWORD", "PASSWORD_SRP")
covers("sign_in", "CUSTOM_CHALLENGE")
covers("sign_in", "WEB_AUTHN")
covers("sign_in", "NEW_PASSWORD_REQUIRED")
covers("sign_in", "REMEMBER_DEVICE")
covers("sign_in", "CONFIRM_SIGN_UP", "RESET_PASSWORD", "EXPIRED", "FAILED", "DONE")
covers("sign_up", "INITIAL", "CONFIRM_SIGN_UP")
covers("forgot_password", "INITIAL", "CONFIRM_FORGOT_PASSWORD")
covers("totp_setup", "INITIAL", "VERIFY_SOFTWARE_TOKEN", "VERIFIED")
covers("verify_attribute", "INITIAL", "CONFIRM_ATTRIBUTE")


def test_initial_srp_sends_srp_a_then_the_library_answers_password_verifier() -> None:
    data = sign_in.SignInData(username="alice")
    rt = sign_in.SignInRuntime(password="pw", user_pool_id="eu-west-1_x")
    verifier = {"USERNAME": "sub-1", "PASSWORD_CLAIM_SIGNATURE": "sig"}
    effects = run(
        sign_in.SIGN_IN,
        data,
        rt,
        None,
        [
            None,  # no remembered device
            FakeEphemeral(),
            challenge("PASSWORD_VERIFIER", {"USER_ID_FOR_SRP": "sub-1", "USERNAME": "alice2"}),
            dict(verifier),
            challenge("SOFTWARE_TOKEN_MFA"),
        ],
    )
    assert [type(e).__name__ for e in effects if not isinstance(e, Fire)] == [
        "Device",
        "Compute",
        "Call",
        "Compute",
        "Call",
    ]
    initiate = effects[2]
    assert initiate.operation == "InitiateAuth"
    assert initiate.params["AuthFlow"] == "USER_SRP_AUTH"
    assert initiate.params["AuthParameters"] == {"USERNAME": "alice", "SRP_A": "A" * 8}
    proof = effects[4]
    assert proof.function == "password_verifier_response" and proof.timestamp
    assert proof.kwargs == {"user_pool_id": "eu-west-1_x", "password": "pw"}
    answer = effects[5]
    assert answer.params["ChallengeName"] == "PASSWORD_VERIFIER"
    # signed with USER_ID_FOR_SRP, answered with USERNAME (moto sends the sub)
    assert answer.params["ChallengeResponses"]["USERNAME"] == "alice2"
    assert data.state == "SOFTWARE_TOKEN_MFA" and data.session == "s1"


@pytest.mark.parametrize(
    ("flow", "auth_flow", "preferred", "expected"),
    [
        ("password", "USER_PASSWORD_AUTH", None, {"USERNAME": "alice", "PASSWORD": "pw"}),
        ("admin-no-srp", "ADMIN_NO_SRP_AUTH", None, {"USERNAME": "alice", "PASSWORD": "pw"}),
        ("custom", "CUSTOM_AUTH", None, {"USERNAME": "alice"}),
        (
            "user-auth",
            "USER_AUTH",
            "PASSWORD",
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "pw"},
        ),
        (
            "user-auth",
            "USER_AUTH",
            "EMAIL_OTP",
            {"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
        ),
    ],
)
def test_initial_parameters_follow_the_auth_flow(
    flow: str, auth_flow: str, preferred: str | None, expected: dict[str, str]
) -> None:
    admin = sign_in.AUTH_FLOWS[flow][1]
    data = sign_in.SignInData(
        username="alice", auth_flow=auth_flow, admin=admin, preferred_challenge=preferred
    )
    rt = sign_in.SignInRuntime(password="pw", user_pool_id="pool_1")
    effects = run(sign_in.SIGN_IN, data, rt, None, [None, challenge("EMAIL_OTP")])
    call = effects[1]
    assert call.operation == ("AdminInitiateAuth" if admin else "InitiateAuth")
    assert call.params["AuthParameters"] == expected
    assert ("UserPoolId" in call.params) is admin
    assert data.state == "EMAIL_OTP"


def test_initial_without_a_needed_password_is_refused_before_any_request() -> None:
    data = sign_in.SignInData(username="alice")
    with pytest.raises(InvalidAnswerError):
        run(sign_in.SIGN_IN, data, sign_in.SignInRuntime(), None, [None])
    assert data.state == "INITIAL"


def test_a_remembered_device_is_sent_and_its_proof_answered_by_the_library() -> None:
    data = in_state("PASSWORD_VERIFIER", device_key="dk", device_group_key="dgk")
    rt = sign_in.SignInRuntime(password="pw", ephemeral=FakeEphemeral())
    effects = run(
        sign_in.SIGN_IN,
        data,
        rt,
        None,
        [
            {"USERNAME": "alice", "PASSWORD_CLAIM_SIGNATURE": "sig"},
            challenge("DEVICE_SRP_AUTH"),
            FakeDevice(),
            FakeEphemeral(),
            challenge("DEVICE_PASSWORD_VERIFIER", {"SRP_B": "b"}),
            FakeDevice(),
            {"PASSWORD_CLAIM_SIGNATURE": "dsig"},
            SIGNED_IN,
            FakeTokens(),
        ],
    )
    assert calls(effects) == ["RespondToAuthChallenge"] * 3
    responses = [e.params["ChallengeResponses"] for e in effects if isinstance(e, Call)]
    assert all(r["DEVICE_KEY"] == "dk" for r in responses)
    device_proof = [e for e in effects if isinstance(e, Compute)][-1]
    assert device_proof.function == "device_password_verifier_response"
    assert device_proof.kwargs["device_password"] == "dpw"
    tokens = [e for e in effects if isinstance(e, Tokens)]
    assert tokens and tokens[0].device_key == "dk"
    assert data.state == "DONE" and rt.password is None


def test_a_forgotten_device_is_dropped_and_the_sign_in_starts_again() -> None:
    data = in_state("DEVICE_SRP_AUTH", device_key="dk", device_group_key="dgk")
    rt = sign_in.SignInRuntime(password="pw")
    effects = run(
        sign_in.SIGN_IN,
        data,
        rt,
        None,
        [
            FakeDevice(),
            FakeEphemeral(),
            DeviceNotFoundError("Device does not exist.", code="ResourceNotFoundException"),
            None,
            None,
            FakeEphemeral(),
            challenge("PASSWORD_VERIFIER", {"USERNAME": "alice"}),
            {"USERNAME": "alice", "PASSWORD_CLAIM_SIGNATURE": "sig"},
            SIGNED_IN,
            FakeTokens(),
        ],
    )
    assert [e.op for e in effects if isinstance(e, Device)] == ["get", "delete", "get"]
    assert fired(effects)[0] == "ResourceNotFoundException"
    initiate = [e for e in effects if isinstance(e, Call)][1]
    assert "DEVICE_KEY" not in initiate.params["AuthParameters"]
    assert data.state == "DONE" and data.device_key is None


@pytest.mark.parametrize(
    ("state", "key"),
    [
        ("SMS_MFA", "SMS_MFA_CODE"),
        ("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE"),
        ("EMAIL_OTP", "EMAIL_OTP_CODE"),
        ("SMS_OTP", "SMS_OTP_CODE"),
    ],
)
def test_a_code_state_sends_its_key_keeps_a_wrong_code_and_signs_in(state: str, key: str) -> None:
    data = in_state(state, challenge_name=state)
    rt = sign_in.SignInRuntime()
    wrong = CodeMismatchError("wrong", code="CodeMismatchException")
    effects = run(sign_in.SIGN_IN, data, rt, " 123 456 ", [wrong])
    assert effects[0].params["ChallengeResponses"] == {key: "123456", "USERNAME": "alice"}
    assert data.state == state and data.attempts == 1
    assert data.error_code == "CodeMismatchException"
    run(sign_in.SIGN_IN, data, rt, "654321", [SIGNED_IN, FakeTokens()])
    assert data.state == "DONE" and data.session is None


def test_select_mfa_type_answers_with_the_chosen_type() -> None:
    params = {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'}
    data = in_state("SELECT_MFA_TYPE", challenge_parameters=params)
    with pytest.raises(InvalidAnswerError):
        run(sign_in.SIGN_IN, data, sign_in.SignInRuntime(), "EMAIL")
    effects = run(
        sign_in.SIGN_IN, data, sign_in.SignInRuntime(), "totp", [challenge("SOFTWARE_TOKEN_MFA")]
    )
    assert effects[0].params["ChallengeResponses"]["ANSWER"] == "SOFTWARE_TOKEN_MFA"
    assert data.state == "SOFTWARE_TOKEN_MFA"


def test_mfa_setup_with_one_option_is_answered_by_the_library() -> None:
    assert sign_in.SIGN_IN.spec("MFA_SETUP").auto == "single_option"
    data = sign_in.SignInData(username="alice")
    rt = sign_in.SignInRuntime(password="pw")
    run(
        sign_in.SIGN_IN,
        data,
        rt,
        None,
        [
            None,
            FakeEphemeral(),
            challenge("MFA_SETUP", {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}),
            {"SecretCode": "SECRET", "Session": "s2"},
        ],
        state="INITIAL",
    )
    assert data.state == "MFA_SETUP_SOFTWARE_TOKEN" and rt.totp_secret == "SECRET"
    assert data.session == "s2"
    effects = run(
        sign_in.SIGN_IN,
        data,
        rt,
        TotpCode("123456", "phone"),
        [{"Status": "SUCCESS", "Session": "s3"}, SIGNED_IN, FakeTokens()],
    )
    verify, finish = [e for e in effects if isinstance(e, Call)]
    assert verify.operation == "VerifySoftwareToken"
    assert verify.params == {"Session": "s2", "UserCode": "123456", "FriendlyDeviceName": "phone"}
    assert finish.params["ChallengeName"] == "MFA_SETUP" and finish.params["Session"] == "s3"
    assert data.state == "DONE"


def test_mfa_setup_by_email_asks_for_the_address() -> None:
    params = {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA","EMAIL_OTP"]'}
    data = in_state("MFA_SETUP", challenge_parameters=params)
    rt = sign_in.SignInRuntime()
    assert list(sign_in.SIGN_IN.spec("MFA_SETUP").run(data, rt, None)) == []  # two options
    data.state = "MFA_SETUP"
    assert fired(run(sign_in.SIGN_IN, data, rt, "email")) == ["choose_email"]
    assert data.state == "MFA_SETUP_EMAIL"
    with pytest.raises(InvalidAnswerError):
        run(sign_in.SIGN_IN, data, rt, "not an address")
    effects = run(sign_in.SIGN_IN, data, rt, "a@example.com", [challenge("EMAIL_OTP")])
    assert effects[0].params["ChallengeResponses"]["EMAIL"] == "a@example.com"
    assert data.state == "EMAIL_OTP"


def test_select_challenge_moves_to_password_when_it_is_unknown_and_sends_it_when_known() -> None:
    data = in_state(
        "SELECT_CHALLENGE", available_challenges=["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    )
    data.challenge_name = "SELECT_CHALLENGE"
    rt = sign_in.SignInRuntime()
    assert fired(run(sign_in.SIGN_IN, data, rt, "password")) == ["choose_password"]
    assert data.state == "PASSWORD"
    effects = run(sign_in.SIGN_IN, data, rt, "pw", [SIGNED_IN, FakeTokens()])
    assert effects[0].params["ChallengeName"] == "SELECT_CHALLENGE"
    assert effects[0].params["ChallengeResponses"] == {
        "ANSWER": "PASSWORD",
        "PASSWORD": "pw",
        "USERNAME": "alice",
    }
    data = in_state("PASSWORD_SRP", challenge_name="PASSWORD_SRP")
    effects = run(
        sign_in.SIGN_IN,
        data,
        sign_in.SignInRuntime(),
        "pw",
        [
            FakeEphemeral(),
            challenge("PASSWORD_VERIFIER"),
            {"USERNAME": "alice", "PASSWORD_CLAIM_SIGNATURE": "sig"},
            SIGNED_IN,
            FakeTokens(),
        ],
    )
    assert isinstance(effects[0], Compute) and effects[0].function == "start_ephemeral"
    assert effects[1].params["ChallengeResponses"]["SRP_A"] == "A" * 8
    data = in_state("SELECT_CHALLENGE", available_challenges=["EMAIL_OTP"])
    effects = run(
        sign_in.SIGN_IN, data, sign_in.SignInRuntime(), "EMAIL_OTP", [challenge("EMAIL_OTP")]
    )
    assert effects[0].params["ChallengeResponses"]["ANSWER"] == "EMAIL_OTP"


def test_custom_challenge_sends_the_answer_and_shows_public_parameters() -> None:
    data = in_state("CUSTOM_CHALLENGE", challenge_parameters={"USERNAME": "u1", "question": "2+2"})
    rt = sign_in.SignInRuntime()
    step = sign_in.step_for(data, rt)
    assert step.parameters == {"question": "2+2"} and step.handler == "custom_challenge"
    effects = run(sign_in.SIGN_IN, data, rt, 4, [challenge("CUSTOM_CHALLENGE")])
    assert effects[0].params["ChallengeResponses"] == {"ANSWER": "4", "USERNAME": "alice"}


WEB_AUTHN_OPTIONS = '{"challenge":"Y2hhbGxlbmdl","rpId":"example.com","allowCredentials":[]}'


def test_web_authn_shows_the_options_sends_the_credential_and_keeps_a_refusal() -> None:
    # Reached from SELECT_CHALLENGE (or a preferred challenge): the options arrive with it.
    data = in_state("SELECT_CHALLENGE", available_challenges=["PASSWORD", "WEB_AUTHN"])
    rt = sign_in.SignInRuntime()
    web_authn = challenge("WEB_AUTHN", {"CREDENTIAL_REQUEST_OPTIONS": WEB_AUTHN_OPTIONS})
    effects = run(sign_in.SIGN_IN, data, rt, "WEB_AUTHN", [web_authn])
    assert effects[0].params["ChallengeResponses"] == {"ANSWER": "WEB_AUTHN", "USERNAME": "alice"}
    assert data.state == "WEB_AUTHN"
    step = sign_in.step_for(data, rt)
    assert step.handler == "web_authn" and step.challenge == "WEB_AUTHN"
    assert step.credential_request_options == {
        "challenge": "Y2hhbGxlbmdl",
        "rpId": "example.com",
        "allowCredentials": [],
    }
    for bad in ("not json", {"id": "x"}, 42, {"id": "c", "type": "password", "response": {}}):
        with pytest.raises(InvalidAnswerError):
            run(sign_in.SIGN_IN, data, rt, bad)
    credential = {"id": "c1", "type": "public-key", "response": {"signature": "sig"}}
    refused = NotAuthorizedError("assertion refused", code="NotAuthorizedException")
    effects = run(sign_in.SIGN_IN, data, rt, credential, [refused])
    sent = effects[0].params
    assert sent["ChallengeName"] == "WEB_AUTHN"
    assert json.loads(sent["ChallengeResponses"]["CREDENTIAL"]) == credential
    assert data.state == "WEB_AUTHN" and data.error_code == "NotAuthorizedException"
    run(sign_in.SIGN_IN, data, rt, json.dumps(credential), [SIGNED_IN, FakeTokens()])
    assert data.state == "DONE"


def test_web_authn_without_options_fails_the_flow() -> None:
    data = in_state("SELECT_CHALLENGE", available_challenges=["WEB_AUTHN"])
    rt = sign_in.SignInRuntime()
    run(sign_in.SIGN_IN, data, rt, "WEB_AUTHN", [challenge("WEB_AUTHN")])
    assert data.state == "FAILED"


def test_new_password_required_checks_required_attributes_before_sending() -> None:
    params = {"requiredAttributes": '["userAttributes.name"]', "userAttributes": "{}"}
    data = in_state("NEW_PASSWORD_REQUIRED", challenge_parameters=params)
    rt = sign_in.SignInRuntime()
    assert sign_in.step_for(data, rt).required_attributes == ("name",)
    with pytest.raises(InvalidAnswerError):
        run(sign_in.SIGN_IN, data, rt, "new-pw")
    bad = InvalidPasswordError("too short", code="InvalidPasswordException")
    effects = run(sign_in.SIGN_IN, data, rt, NewPassword("new-pw", {"name": "A"}), [bad])
    assert effects[0].params["ChallengeResponses"] == {
        "NEW_PASSWORD": "new-pw",
        "userAttributes.name": "A",
        "USERNAME": "alice",
    }
    assert data.state == "NEW_PASSWORD_REQUIRED" and data.error_code == "InvalidPasswordException"


def test_remember_device_confirms_and_stores_it_or_skips() -> None:
    """Issue 11 item 1: the new device is confirmed before REMEMBER_DEVICE is asked
    (amplify-js getNewDeviceMetadata.ts); the answer is UpdateDeviceStatus."""
    data = sign_in.SignInData(username="alice", state="INITIAL")
    rt = sign_in.SignInRuntime(password="pw", device_name="laptop")
    effects = run(
        sign_in.SIGN_IN,
        data,
        rt,
        None,
        [
            None,
            FakeEphemeral(),
            dict(NEW_DEVICE),
            FakeTokens(),
            FakeSecret(),
            {"UserConfirmationNecessary": True},
        ],
    )
    assert data.state == "REMEMBER_DEVICE" and data.new_device_key == "new-dk"
    assert calls(effects)[-1] == "ConfirmDevice"
    assert [e for e in effects if isinstance(e, Call)][-1].params["DeviceName"] == "laptop"
    with pytest.raises(InvalidAnswerError):
        run(sign_in.SIGN_IN, data, rt, "yes")
    effects = run(sign_in.SIGN_IN, data, rt, True, [{}, None])
    assert calls(effects) == ["UpdateDeviceStatus"]
    assert effects[0].params["DeviceRememberedStatus"] == "remembered"
    put = [e for e in effects if isinstance(e, Device)]
    assert put == [Device("put", "new-dk", "new-dgk", "new-dpw")]
    assert data.state == "DONE"
    # Not remembered: confirmed all the same, then nothing more where the pool asks the user.
    data = sign_in.SignInData(username="alice", state="REMEMBER_DEVICE", new_device_key="k")
    rt = sign_in.SignInRuntime(tokens=FakeTokens())
    effects = run(
        sign_in.SIGN_IN, data, rt, False, [FakeSecret(), {"UserConfirmationNecessary": True}]
    )
    assert calls(effects) == ["ConfirmDevice"] and fired(effects) == ["device_not_remembered"]
    assert not [e for e in effects if isinstance(e, Device)]
    assert data.state == "DONE"


def test_a_failed_confirm_device_keeps_the_flow_and_the_secret() -> None:
    """A ConfirmDevice that failed (or lost its answer) leaves the flow in REMEMBER_DEVICE
    with the device secret; the retry sends the same verifier and DeviceKeyExistsException
    then proves the first one was applied."""
    data = sign_in.SignInData(username="alice", state="REMEMBER_DEVICE", new_device_key="k")
    rt = sign_in.SignInRuntime(tokens=FakeTokens())
    secret = FakeSecret(verifier_config={"Salt": "s1", "PasswordVerifier": "v1"})
    with pytest.raises(OutcomeUnknownError):
        run(sign_in.SIGN_IN, data, rt, True, [secret, OutcomeUnknownError("ConfirmDevice", "lost")])
    assert data.state == "REMEMBER_DEVICE" and rt.device_secret is secret
    exists = DeviceKeyExistsError("Device already exists", code="DeviceKeyExistsException")
    effects = run(sign_in.SIGN_IN, data, rt, True, [exists, {}, None])
    assert calls(effects) == ["ConfirmDevice", "UpdateDeviceStatus"]
    assert effects[0].params["DeviceSecretVerifierConfig"] == secret.verifier_config
    assert fired(effects) == ["ConfirmDevice"] and data.state == "DONE"
    assert rt.device_secret is None


def test_resumed_password_verifier_waits_for_the_password_and_fails_without_the_exchange() -> None:
    data = in_state("PASSWORD_VERIFIER")
    rt = sign_in.SignInRuntime()
    assert run(sign_in.SIGN_IN, data, rt) == []
    assert data.state == "PASSWORD_VERIFIER"
    effects = run(sign_in.SIGN_IN, data, rt, "pw")
    assert fired(effects) == ["failed"] and data.state == "FAILED"
    assert data.error_code == FlowExpiredError.__name__


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (UserNotConfirmedError("x", code="UserNotConfirmedException"), "CONFIRM_SIGN_UP"),
        (PasswordResetRequiredError("x", code="PasswordResetRequiredException"), "RESET_PASSWORD"),
        (
            InvalidSessionError("Invalid session for the user.", code="NotAuthorizedException"),
            "EXPIRED",
        ),
        (
            NotAuthorizedError("Incorrect username or password.", code="NotAuthorizedException"),
            "FAILED",
        ),
    ],
)
def test_cognito_errors_of_initiate_name_the_final_state(
    error: CognitoFlowsError, state: str
) -> None:
    data = sign_in.SignInData(username="alice", auth_flow="USER_PASSWORD_AUTH")
    rt = sign_in.SignInRuntime(password="pw")
    run(sign_in.SIGN_IN, data, rt, None, [None, error])
    assert data.state == state
    # the password is kept only to sign in after confirming the sign-up
    assert (rt.password is not None) is (state == "CONFIRM_SIGN_UP")
    assert sign_in.SIGN_IN.spec(state).next_flow == {
        "CONFIRM_SIGN_UP": "confirm_sign_up",
        "RESET_PASSWORD": "forgot_password",
    }.get(state)


def test_an_out_of_order_challenge_or_junk_answer_fails_the_flow() -> None:
    data = in_state("SMS_MFA", challenge_name="SMS_MFA")
    run(sign_in.SIGN_IN, data, sign_in.SignInRuntime(), "123456", [{"Nonsense": True}])
    assert data.state == "FAILED" and data.error_code == "ProtocolError"
    data = sign_in.SignInData(username="alice", auth_flow="CUSTOM_AUTH")
    run(sign_in.SIGN_IN, data, sign_in.SignInRuntime(), None, [None, challenge("UNHEARD_OF")])
    assert data.state == "FAILED"


@pytest.mark.parametrize("flow", list(FLOWS))
@pytest.mark.parametrize(
    "error",
    [
        TooManyRequestsError("slow down", code="TooManyRequestsException"),
        TooManyFailedAttemptsError("too many", code="TooManyFailedAttemptsException"),
    ],
)
def test_transient_errors_leave_every_flow_unchanged(flow: str, error: CognitoFlowsError) -> None:
    # One mapping for every flow: TooManyFailedAttemptsException is transient in sign-in
    # too (it used to fail the sign-in only).
    table, _ = FLOWS[flow]
    for state in table.states:
        if table.spec(state).kind != "final":
            assert table.event_for_error(error, state) is None, (flow, state)
            if flow == "sign_in":  # the sign-in's own entry point agrees
                assert sign_in.event_for_error(error, state, has_device=False) is None


# --------------------------------------------------------------------------------------
# the other flows


def test_sign_up_signs_up_keeps_a_wrong_code_and_confirms() -> None:
    data = sign_up.SignUpData(username="bob", attributes={"email": "b@example.com"})
    rt = sign_up.SignUpRuntime(password="pw")
    delivery = {"DeliveryMedium": "EMAIL", "Destination": "b***", "AttributeName": "email"}
    effects = run(
        sign_up.SIGN_UP,
        data,
        rt,
        None,
        [
            {
                "UserSub": "sub",
                "UserConfirmed": False,
                "CodeDeliveryDetails": delivery,
                "Session": "su",
            }
        ],
    )
    assert effects[0].operation == "SignUp"
    assert effects[0].params["UserAttributes"] == [{"Name": "email", "Value": "b@example.com"}]
    assert effects[0].params["Username"] == "bob" and "SecretHash" not in effects[0].params
    assert data.state == "CONFIRM_SIGN_UP" and rt.sign_up_session == "su"
    assert sign_up.step_for(data, rt, error=None, retry=False).delivery is not None
    wrong = CodeMismatchError("wrong", code="CodeMismatchException")
    run(sign_up.SIGN_UP, data, rt, "111111", [wrong])
    assert data.state == "CONFIRM_SIGN_UP" and data.attempts == 1
    # an expired SignUp session: confirmed without it
    expired = InvalidSessionError("Invalid session", code="NotAuthorizedException")
    effects = run(sign_up.SIGN_UP, data, rt, "222222", [expired, {}])
    assert [e.params.get("Session") for e in effects if isinstance(e, Call)] == ["su", None]
    assert data.state == "CONFIRMED"
    assert sign_up.SIGN_UP.spec("CONFIRMED").next_flow == "sign_in"


def test_sign_up_confirmed_at_once_and_resend() -> None:
    data = sign_up.SignUpData(username="bob")
    run(
        sign_up.SIGN_UP, data, sign_up.SignUpRuntime(password="pw"), None, [{"UserConfirmed": True}]
    )
    assert data.state == "CONFIRMED"
    data = sign_up.SignUpData(username="bob", state="CONFIRM_SIGN_UP")
    steps = sign_up.resend(data, sign_up.SignUpRuntime())
    call = next(steps)
    assert call.operation == "ResendConfirmationCode"
    fire = steps.send({"CodeDeliveryDetails": {"DeliveryMedium": "SMS"}})
    assert fire.event == "ResendConfirmationCode"


def test_forgot_password_sends_a_code_and_resets() -> None:
    table = forgot_password.FORGOT_PASSWORD
    data = forgot_password.ForgotPasswordData(username="carol")
    effects = run(table, data, None, None, [{"CodeDeliveryDetails": {"DeliveryMedium": "EMAIL"}}])
    assert calls(effects) == ["ForgotPassword"] and data.state == "CONFIRM_FORGOT_PASSWORD"
    with pytest.raises(InvalidAnswerError):
        run(table, data, None, "123456")
    weak = InvalidPasswordError("weak", code="InvalidPasswordException")
    run(table, data, None, ("123456", "x"), [weak])
    assert data.state == "CONFIRM_FORGOT_PASSWORD" and data.error_code == "InvalidPasswordException"
    effects = run(table, data, None, ResetPassword("123456", "New-pw-1"), [{}])
    assert effects[0].params["Password"] == "New-pw-1" and data.state == "DONE"
    assert table.spec("DONE").next_flow == "sign_in"


@pytest.mark.parametrize("prefer", [False, True])
def test_totp_setup_associates_verifies_and_prefers(prefer: bool) -> None:
    table = totp_setup.TOTP_SETUP
    data = totp_setup.TotpSetupData(username="dan", prefer=prefer)
    rt = totp_setup.TotpSetupRuntime()
    effects = run(table, data, rt, None, ["tok", {"SecretCode": "S3CRET"}])
    assert effects[0] == AccessToken() and effects[1].params == {"AccessToken": "tok"}
    assert data.state == "VERIFY_SOFTWARE_TOKEN"
    assert totp_setup.step_for(data, rt, error=None, retry=False).totp is not None
    run(table, data, rt, "123456", ["tok", {"Status": "ERROR"}])
    assert (
        data.state == "VERIFY_SOFTWARE_TOKEN"
        and data.error_code == "EnableSoftwareTokenMFAException"
    )
    script = ["tok", {"Status": "SUCCESS"}] + (["tok", {}] if prefer else [])
    effects = run(table, data, rt, TotpCode("654321", "phone"), script)
    assert calls(effects) == ["VerifySoftwareToken"] + (["SetUserMFAPreference"] if prefer else [])
    assert data.state == "DONE" and data.device_name == "phone" and rt.secret is None


def test_verify_attribute_sends_a_code_and_verifies() -> None:
    table = verify_attribute.VERIFY_ATTRIBUTE
    data = verify_attribute.VerifyAttributeData(attribute="email")
    effects = run(
        table, data, None, None, ["tok", {"CodeDeliveryDetails": {"DeliveryMedium": "EMAIL"}}]
    )
    assert effects[1].params["AttributeName"] == "email" and data.state == "CONFIRM_ATTRIBUTE"
    expired = verify_attribute.VERIFY_ATTRIBUTE.event_for_error(
        CodeMismatchError("x", code="ExpiredCodeException"), "CONFIRM_ATTRIBUTE"
    )
    assert expired == "ExpiredCodeException"
    effects = run(table, data, None, "123456", ["tok", {}])
    assert effects[1].params == {"AccessToken": "tok", "AttributeName": "email", "Code": "123456"}
    assert data.state == "VERIFIED"


# --------------------------------------------------------------------------------------
# every state, every handler, every (state, event) pair


def test_every_state_that_is_not_final_is_driven_above() -> None:
    for name, (table, _) in FLOWS.items():
        untested = {s for s in table.states if table.spec(s).kind != "final"} - COVERED[name]
        assert not untested, (name, untested)
        assert all(
            table.spec(s).run is not None for s in table.states if table.spec(s).kind != "final"
        )


@pytest.mark.parametrize("flow", list(FLOWS))
def test_handler_method_names_are_unchanged(flow: str) -> None:
    table, _ = FLOWS[flow]
    handlers = {s: table.spec(s).handler for s in table.states if table.spec(s).handler}
    assert handlers == RELEASED_HANDLERS[flow]
    if flow == "sign_in":
        assert RELEASED_HANDLERS["sign_in"] == sign_in.HANDLER_FOR_STATE
    from cognito_flows.flows import _render as docs_gen

    assert docs_gen.handlers_for(flow) == RELEASED_HANDLERS[flow]


def _kwargs_for(row: Any) -> dict[str, Any]:
    """Plausible keyword arguments for a row's callback (what the flow would pass)."""
    if row is None or row.before is None:
        return {}
    values: dict[str, Any] = {
        "response": {"ChallengeName": "SMS_MFA", "Session": "s", "ChallengeParameters": {}},
        "now": 0.0,
        "session_validity": 180.0,
        "session": "s",
        "error": CodeMismatchError("x", code="CodeMismatchException"),
        "device_key": "k",
        "device_group_key": "g",
        "device_name": None,
    }
    params = inspect.signature(row.before).parameters
    return {k: v for k, v in values.items() if k in params and params[k].default is inspect._empty}


def _pairs() -> st.SearchStrategy[tuple[str, str, str]]:
    def for_flow(name: str) -> st.SearchStrategy[tuple[str, str, str]]:
        table, _ = FLOWS[name]
        events = [*table.events, "SOMETHING_ELSE", "UnknownException"]
        return st.tuples(st.just(name), st.sampled_from(table.states), st.sampled_from(events))

    return st.sampled_from(list(FLOWS)).flatmap(for_flow)


def _data(name: str, state: str) -> Any:
    _, data_class = FLOWS[name]
    required = {
        f.name: "x"
        for f in attrs.fields(data_class)
        if f.default is attrs.NOTHING and f.name != "state"
    }
    return data_class(**required, state=state)


@settings(max_examples=400, deadline=None)
@given(_pairs())
def test_every_state_event_pair_moves_to_a_declared_state_or_fails_the_flow(
    pair: tuple[str, str, str],
) -> None:
    name, state, event = pair
    table, _ = FLOWS[name]
    data = _data(name, state)
    row = table.row(state, event)
    if state in table.final and row is None:
        with pytest.raises(ProtocolError):
            table.advance(data, event)
        assert data.state == state
        return
    failure = table.advance(data, event, **_kwargs_for(row))
    assert data.state in table.states
    if row is None:
        assert isinstance(failure, ProtocolError)
        assert data.state == "FAILED" and data.error_code == "ProtocolError"
    else:
        assert failure is None
        assert data.state == (state if row.dest == "=" else row.dest)


@settings(max_examples=200, deadline=None)
@given(_pairs())
def test_the_machine_runs_the_same_rows_as_the_table(pair: tuple[str, str, str]) -> None:
    # The driver fires events through the shared transitions machine; the sans-I/O tests use
    # the table's rows directly. They must agree on every pair.
    name, state, event = pair
    table, _ = FLOWS[name]
    kwargs = _kwargs_for(table.row(state, event))
    by_table, by_machine = _data(name, state), _data(name, state)
    try:
        table.apply(by_table, event, **kwargs)
        expected: Any = by_table.state
    except ProtocolError:
        expected = ProtocolError
    try:
        asyncio.run(table.fire(by_machine, event, **kwargs))
        got: Any = by_machine.state
    except ProtocolError:
        got = ProtocolError
    assert got == expected
    if expected is not ProtocolError:
        assert attrs.asdict(by_machine) == attrs.asdict(by_table)
