"""Tests of cognito_flows.errors: the code -> class mapping for every Cognito error class,
NotAuthorizedException / ResourceNotFoundException refinement by message, and secret-free
str/repr."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from cognito_flows import errors
from cognito_flows.errors import (
    CognitoError,
    CognitoFlowsError,
    DeviceNotFoundError,
    IncorrectCredentialsError,
    InvalidSessionError,
    NotAuthorizedError,
    PasswordAttemptsExceededError,
    ResourceNotFoundError,
    SecretHashMismatchError,
    TokenRevokedError,
    UserDisabledError,
    error_class_for_code,
    from_botocore_response,
    from_cognito,
)

EXPORTED_CLASSES = {
    name: obj
    for name in errors.__all__
    if inspect.isclass(obj := getattr(errors, name)) and issubclass(obj, BaseException)
}
CODED_CLASSES = {
    name: cls
    for name, cls in EXPORTED_CLASSES.items()
    if issubclass(cls, CognitoError) and cls.code_name
}
REGISTERED = dict(errors._REGISTRY)

# Classes that share their parent's code and are chosen by Cognito's message.
REFINED: dict[type[CognitoError], list[tuple[str, str]]] = {
    IncorrectCredentialsError: [("NotAuthorizedException", "Incorrect username or password.")],
    PasswordAttemptsExceededError: [("NotAuthorizedException", "Password attempts exceeded")],
    InvalidSessionError: [
        ("NotAuthorizedException", "Invalid session for the user, session is expired."),
        ("NotAuthorizedException", "Invalid session for the user, session can only be used once."),
    ],
    SecretHashMismatchError: [
        ("NotAuthorizedException", "Unable to verify secret hash for client abc"),
    ],
    UserDisabledError: [("NotAuthorizedException", "User is disabled.")],
    TokenRevokedError: [
        ("NotAuthorizedException", "Access Token has been revoked"),
        ("NotAuthorizedException", "Refresh Token has been revoked"),
        ("NotAuthorizedException", "Invalid Refresh Token"),
    ],
    DeviceNotFoundError: [("ResourceNotFoundException", "Device does not exist.")],
}


def botocore_response(
    code: str,
    message: str = "Something happened.",
    *,
    request_id: str = "6f2c4f8e-1111-2222-3333-444455556666",
    status: int = 400,
) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": request_id},
            "RetryAttempts": 0,
        },
    }


def test_every_coded_class_is_covered_here() -> None:
    """A new error class must be added to REGISTERED (its own code) or REFINED (by message)."""
    assert CODED_CLASSES, "no classes found"
    uncovered = {
        name
        for name, cls in CODED_CLASSES.items()
        if cls not in REGISTERED.values() and cls not in REFINED
    }
    assert uncovered == set()
    assert set(REGISTERED.values()) <= set(CODED_CLASSES.values())
    assert len(REGISTERED) >= 25


@pytest.mark.parametrize("code", sorted(REGISTERED))
def test_registered_code_maps_to_its_class(code: str) -> None:
    cls = REGISTERED[code]
    assert error_class_for_code(code) is cls
    assert cls.code_name == code

    err = from_botocore_response(
        botocore_response(code, "Something happened.", request_id="req-1", status=400),
        "InitiateAuth",
    )
    assert type(err) is cls
    assert err.code == code
    assert err.message == "Something happened."
    assert err.request_id == "req-1"
    assert err.http_status == 400
    assert err.operation == "InitiateAuth"
    assert isinstance(err, CognitoFlowsError)

    typed = from_cognito(code, "Other.", operation="AdminGetUser", request_id="r2", http_status=500)
    assert type(typed) is cls
    assert (typed.code, typed.message, typed.operation, typed.request_id, typed.http_status) == (
        code,
        "Other.",
        "AdminGetUser",
        "r2",
        500,
    )

    namespaced = from_cognito(f"com.amazon.coral.service#{code}", "x")
    assert type(namespaced) is cls and namespaced.code == code


@pytest.mark.parametrize(
    ("cls", "code", "message"),
    [(cls, code, message) for cls, cases in REFINED.items() for code, message in cases]
    + [
        pytest.param(
            SecretHashMismatchError,
            "NotAuthorizedException",
            "Client abc is configured with secret but SECRET_HASH was not received",
        ),
        pytest.param(
            TokenRevokedError,
            "NotAuthorizedException",
            "Access Token has expired",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_refinement_by_message(cls: type[CognitoError], code: str, message: str) -> None:
    err = from_botocore_response(
        botocore_response(code, message, request_id="req-9", status=400), "RespondToAuthChallenge"
    )
    assert type(err) is cls
    assert isinstance(err, REGISTERED[code])  # still catchable as the parent class
    assert (err.code, err.message, err.request_id, err.http_status, err.operation) == (
        code,
        message,
        "req-9",
        400,
        "RespondToAuthChallenge",
    )
    assert type(from_cognito(code, message)) is cls


@pytest.mark.parametrize(
    "message",
    [
        "",
        "Something else.",
        "Username/client id combination not found.",
        "Invalid device key given.",
    ],
)
def test_unknown_not_authorized_message_is_plain(message: str) -> None:
    err = from_cognito("NotAuthorizedException", message)
    assert type(err) is NotAuthorizedError


def test_resource_not_found_other_message_is_plain() -> None:
    err = from_cognito("ResourceNotFoundException", "User pool client abc does not exist.")
    assert type(err) is ResourceNotFoundError


def test_device_message_only_refines_resource_not_found() -> None:
    assert type(from_cognito("InvalidParameterException", "Device does not exist.")) is (
        errors.InvalidParameterError
    )
    assert type(from_cognito("UserNotFoundException", "User is disabled.")) is (
        errors.UserNotFoundError
    )


def test_unknown_code() -> None:
    err = from_botocore_response(
        botocore_response(
            "com.amazon.coral#SomethingNewException", "Brand new.", request_id="req-new", status=400
        ),
        "InitiateAuth",
    )
    assert type(err) is CognitoError
    assert err.code == "SomethingNewException"
    assert (err.message, err.request_id, err.http_status) == ("Brand new.", "req-new", 400)
    assert error_class_for_code("SomethingNewException") is CognitoError


def test_response_without_error_members() -> None:
    err = from_botocore_response({}, None)
    assert type(err) is CognitoError
    assert err.code == "UnknownError"
    assert err.request_id is None and err.http_status is None and err.message == ""


@pytest.mark.parametrize("name", sorted(EXPORTED_CLASSES))
def test_every_exported_class_derives_from_base(name: str) -> None:
    assert issubclass(EXPORTED_CLASSES[name], CognitoFlowsError)


SECRETS = ("hunter2-P@ssw0rd", "123456", "eyJraWQiOiJ0b2tlbi1zZWNyZXQ", "secret-hash-value")


@pytest.mark.parametrize("code", sorted(REGISTERED))
def test_str_and_repr_show_only_code_message_operation(code: str) -> None:
    err = from_cognito(
        code, "Cognito says no.", operation="InitiateAuth", request_id="req-1", http_status=400
    )
    text = str(err)
    assert code in text and "Cognito says no." in text and "InitiateAuth" in text
    assert text == f"{code} in InitiateAuth: Cognito says no."
    rep = repr(err)
    assert code in rep and "Cognito says no." in rep
    for secret in SECRETS:
        assert secret not in text and secret not in rep


def test_str_without_message_or_operation() -> None:
    assert str(from_cognito("CodeMismatchException")) == "CodeMismatchException"
    assert str(from_cognito("CodeMismatchException", operation="ConfirmSignUp")) == (
        "CodeMismatchException in ConfirmSignUp"
    )


def test_flow_errors_do_not_echo_answers() -> None:
    err = errors.MissingHandlerError("SMS_MFA")
    assert err.challenge == "SMS_MFA" and "SMS_MFA" in str(err)
    assert issubclass(errors.UnknownChallengeError, errors.ProtocolError)
    assert issubclass(errors.UnknownChallengeError, errors.FlowError)
    assert issubclass(errors.InvalidAnswerError, ValueError)


def test_module_docstring_draws_the_whole_tree() -> None:
    import textwrap

    from cognito_flows import errors

    assert textwrap.indent(errors._hierarchy(), "    ") in (errors.__doc__ or "")


def test_every_public_exception_lives_in_errors_and_says_what_to_do() -> None:
    import importlib
    import pkgutil
    import sys
    from pathlib import Path

    import cognito_flows
    from cognito_flows import errors

    # the site's generator is a build tool beside docs/hooks.py, not part of the wheel
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
    import docs_gen

    for info in pkgutil.walk_packages(cognito_flows.__path__, "cognito_flows."):
        if info.name.startswith(("cognito_flows.local", "cognito_flows.cli")):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, errors.CognitoFlowsError)
                and not name.startswith("_")
            ):
                assert value.__module__ == "cognito_flows.errors", (info.name, name)
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, errors.CognitoFlowsError):
            assert "What to do:" in (value.__doc__ or ""), name
            assert docs_gen.advice_for(value) != "See the class documentation.", name


def test_every_error_code_of_the_operations_used_has_a_class() -> None:
    """Each error code botocore's model lists for an operation the library calls maps to its
    own class (not the generic CognitoError)."""
    import re
    from pathlib import Path

    import botocore.session

    from cognito_flows import errors

    model = botocore.session.get_session().get_service_model("cognito-idp")
    package = Path(errors.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    used = [name for name in model.operation_names if re.search(rf"[\"']{name}[\"']", source)]
    assert "InitiateAuth" in used and "StartWebAuthnRegistration" in used
    missing = sorted(
        {
            shape.name
            for name in used
            for shape in model.operation_model(name).error_shapes
            if errors.error_class_for_code(shape.name) is errors.CognitoError
        }
    )
    assert missing == []


# --------------------------------------------------------------------------------------
# A wrong code during TOTP setup is a CodeMismatchError, as docs/errors.md leads users to
# expect ("a wrong code ... CodeMismatchError"), end to end against the local Cognito.


async def test_wrong_code_during_totp_setup_is_a_code_mismatch(pools: Any) -> None:
    import pyotp

    from cognito_flows.account import Account

    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "tess")
    account = Account(pool, await pool.sign_in("tess", "Corr3ct-Horse!"))
    flow = account.totp_setup_flow()
    step = await flow.start()
    assert step.totp is not None
    right = pyotp.TOTP(step.totp.secret).at(pools.local.clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    step = await flow.answer(wrong)
    assert step.retry
    assert isinstance(step.error, errors.CodeMismatchError), type(step.error)
    step = await flow.answer(right)
    assert step.done and step.error is None


async def test_wrong_code_at_sign_in_mfa_setup_is_a_code_mismatch(pools: Any) -> None:
    import pyotp

    pool = await pools.pool(mfa="ON")
    await pools.user(pool, "theo")
    flow = pool.sign_in_flow("theo", "Corr3ct-Horse!")
    step = await flow.start()
    if step.state == "MFA_SETUP":
        step = await flow.answer("SOFTWARE_TOKEN_MFA")
    assert step.state == "MFA_SETUP_SOFTWARE_TOKEN" and step.totp is not None
    right = pyotp.TOTP(step.totp.secret).at(pools.local.clock.now())
    step = await flow.answer(f"{(int(right) + 1) % 1_000_000:06d}")
    assert step.state == "MFA_SETUP_SOFTWARE_TOKEN" and step.retry
    assert isinstance(step.error, errors.CodeMismatchError), type(step.error)
