"""The sign-in flow: its data, its whole transition table, and its pure decisions.

Rules of this module (sans-I/O, like h11's ``_state.py``):

* No Cognito calls, no clock, no randomness. The driver (:mod:`cognito_flows.drivers.sign_in`)
  does the I/O and asks this module two questions: "given this Cognito response, which event
  is it?" (:func:`event_for_response`, :func:`event_for_error`) and "what do I send to answer
  this state?" (the ``responses_*`` functions).
* The whole automaton is :data:`TRANSITIONS`, one table. The docs' diagram is generated from
  it, so the two cannot drift apart.

Theory of operation. A state is named after Cognito's ChallengeName while the flow waits for
that challenge's answer. Events are named after what Cognito answered: a ChallengeName
(``SOFTWARE_TOKEN_MFA``), ``AuthenticationResult``, ``NewDeviceMetadata`` (signed in and a new
device may be remembered), an operation that succeeded (``AssociateSoftwareToken``,
``VerifySoftwareToken``, ``ConfirmDevice``), or an error code (``CodeMismatchException``
keeps the flow where it is for another answer). A few lower-case events are the host's own
choices (``choose_email``) or the driver's (``session_expired``, ``failed``, ``restart``).
States marked internal are answered by the library itself (SRP proofs, device proofs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import (
    CodeMismatchError,
    CognitoError,
    DeviceNotFoundError,
    EnableSoftwareTokenMFAError,
    ExpiredCodeError,
    InternalErrorError,
    InvalidParameterError,
    InvalidPasswordError,
    InvalidSessionError,
    LimitExceededError,
    NotAuthorizedError,
    PasswordResetRequiredError,
    ProtocolError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnknownChallengeError,
    UserNotConfirmedError,
)
from ._table import FlowTable, State, Transition

__all__ = [
    "AUTH_FLOWS",
    "CHALLENGES",
    "HANDLER_FOR_STATE",
    "SIGN_IN",
    "SPECS",
    "STATES",
    "TRANSITIONS",
    "SignInData",
    "event_for_error",
    "event_for_response",
]

#: ``flow=`` names accepted by ``UserPool.sign_in`` -> (AuthFlow, is admin).
AUTH_FLOWS: dict[str, tuple[str, bool]] = {
    "srp": ("USER_SRP_AUTH", False),
    "password": ("USER_PASSWORD_AUTH", False),
    "custom": ("CUSTOM_AUTH", False),
    "custom-srp": ("CUSTOM_AUTH", False),
    "user-auth": ("USER_AUTH", False),
    "admin-srp": ("USER_SRP_AUTH", True),
    "admin-password": ("ADMIN_USER_PASSWORD_AUTH", True),
    "admin-no-srp": ("ADMIN_NO_SRP_AUTH", True),
    "admin-custom": ("CUSTOM_AUTH", True),
    "admin-user-auth": ("USER_AUTH", True),
}

#: Every ChallengeName Cognito can return that this flow handles.
CHALLENGES: tuple[str, ...] = (
    "PASSWORD_VERIFIER",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "NEW_PASSWORD_REQUIRED",
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "EMAIL_OTP",
    "SMS_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "SELECT_CHALLENGE",
    "PASSWORD",
    "PASSWORD_SRP",
    "CUSTOM_CHALLENGE",
)

_CODE = "the code (digits)"


def _code_state(name: str, key: str, handler: str) -> State:
    return State(
        name,
        handler=handler,
        challenge=name,
        shows="where the code went (`delivery`)",
        answer=_CODE,
        sends=f"RespondToAuthChallenge {key}",
    )


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State(
        "INITIAL",
        kind="start",
        answer="the password, when the flow was made without one and needs it",
        sends="InitiateAuth (SRP_A, PASSWORD or neither, as the AuthFlow needs; DEVICE_KEY)",
    ),
    State(
        "PASSWORD_VERIFIER",
        kind="library",
        handler="password",
        challenge="PASSWORD_VERIFIER",
        answer="the password, only after a resume (the library answers it otherwise)",
        sends="RespondToAuthChallenge PASSWORD_CLAIM_SIGNATURE (SRP proof)",
    ),
    State(
        "DEVICE_SRP_AUTH",
        kind="library",
        challenge="DEVICE_SRP_AUTH",
        sends="RespondToAuthChallenge SRP_A of the remembered device",
    ),
    State(
        "DEVICE_PASSWORD_VERIFIER",
        kind="library",
        challenge="DEVICE_PASSWORD_VERIFIER",
        sends="RespondToAuthChallenge PASSWORD_CLAIM_SIGNATURE (device proof)",
    ),
    State(
        "NEW_PASSWORD_REQUIRED",
        handler="new_password_required",
        challenge="NEW_PASSWORD_REQUIRED",
        shows="`required_attributes`, `user_attributes`",
        answer="the new password, or `NewPassword(password, {attribute: value})`",
        sends="RespondToAuthChallenge NEW_PASSWORD (+ userAttributes.*)",
    ),
    _code_state("SMS_MFA", "SMS_MFA_CODE", "sms_mfa"),
    _code_state("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE", "software_token_mfa"),
    _code_state("EMAIL_OTP", "EMAIL_OTP_CODE", "email_otp"),
    _code_state("SMS_OTP", "SMS_OTP_CODE", "sms_otp"),
    State(
        "SELECT_MFA_TYPE",
        handler="select_mfa_type",
        challenge="SELECT_MFA_TYPE",
        shows="`options` (MFAS_CAN_CHOOSE)",
        answer="one of the options (`SMS`, `TOTP`, `EMAIL` aliases accepted)",
        sends="RespondToAuthChallenge ANSWER",
    ),
    State(
        "MFA_SETUP",
        handler="mfa_setup",
        challenge="MFA_SETUP",
        auto="single_option",
        shows="`options` (MFAS_CAN_SETUP)",
        answer="the MFA type to set up (answered by the library when only one is offered)",
        sends="AssociateSoftwareToken (TOTP), or nothing (EMAIL_OTP: asks for the address)",
    ),
    State(
        "SELECT_CHALLENGE",
        handler="select_challenge",
        challenge="SELECT_CHALLENGE",
        shows="`options` (AvailableChallenges)",
        answer="a first factor (`PASSWORD`, `PASSWORD_SRP`, `EMAIL_OTP`, `SMS_OTP`...)",
        sends="RespondToAuthChallenge ANSWER (with PASSWORD or SRP_A when it is known)",
    ),
    State(
        "PASSWORD",
        handler="password",
        challenge="PASSWORD",
        answer="the password",
        sends="RespondToAuthChallenge PASSWORD",
    ),
    State(
        "PASSWORD_SRP",
        handler="password",
        challenge="PASSWORD_SRP",
        answer="the password",
        sends="RespondToAuthChallenge SRP_A",
    ),
    State(
        "CUSTOM_CHALLENGE",
        handler="custom_challenge",
        challenge="CUSTOM_CHALLENGE",
        shows="`parameters` (the public challenge parameters)",
        answer="the answer (text)",
        sends="RespondToAuthChallenge ANSWER",
    ),
    State(
        "MFA_SETUP_SOFTWARE_TOKEN",
        handler="mfa_setup",
        challenge="MFA_SETUP",
        shows="the secret and its otpauth:// URI (`totp`)",
        answer="the 6-digit code, or `TotpCode(code, device_name)`",
        sends="VerifySoftwareToken",
    ),
    State(
        "MFA_SETUP_VERIFIED",
        kind="library",
        sends="RespondToAuthChallenge MFA_SETUP",
    ),
    State(
        "MFA_SETUP_EMAIL",
        handler="mfa_setup",
        challenge="MFA_SETUP",
        answer="the e-mail address",
        sends="RespondToAuthChallenge MFA_SETUP EMAIL",
    ),
    State(
        "REMEMBER_DEVICE",
        handler="remember_device",
        shows="`tokens`, `device_key`",
        answer="True or False (default False when there is no handler)",
        sends="ConfirmDevice (+ UpdateDeviceStatus), then the device store; or nothing",
    ),
    State("DONE", kind="final", shows="`tokens`"),
    State("FAILED", kind="final", shows="the error"),
    State("EXPIRED", kind="final", shows="the error; `restart()` begins again"),
    State(
        "CONFIRM_SIGN_UP",
        kind="final",
        next_flow="confirm_sign_up",
        shows="`next_flow`: confirm_sign_up (the user is not confirmed)",
    ),
    State(
        "RESET_PASSWORD",
        kind="final",
        next_flow="forgot_password",
        shows="`next_flow`: forgot_password (Cognito requires a password reset)",
    ),
)

_SPEC = {spec.name: spec for spec in SPECS}

#: States the library answers by itself.
INTERNAL: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.kind == "library")

FINAL: tuple[str, ...] = tuple(spec.name for spec in SPECS if spec.kind == "final")

STATES: tuple[str, ...] = tuple(spec.name for spec in SPECS)

#: The handler method (handler mode) that answers each state the host may be asked in.
HANDLER_FOR_STATE: dict[str, str] = {
    spec.name: spec.handler for spec in SPECS if spec.handler is not None
}

#: The ChallengeName a sub-state of the library answers (for handlers keyed by it).
CHALLENGE_OF_STATE: dict[str, str] = {
    spec.name: spec.challenge
    for spec in SPECS
    if spec.challenge is not None and spec.challenge != spec.name
}

#: MFA names as Cognito spells them in SELECT_MFA_TYPE / MFA_SETUP, with friendly aliases.
MFA_ALIASES: dict[str, str] = {
    "SMS": "SMS_MFA",
    "SMS_MFA": "SMS_MFA",
    "TOTP": "SOFTWARE_TOKEN_MFA",
    "SOFTWARE_TOKEN": "SOFTWARE_TOKEN_MFA",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA",
    "EMAIL": "EMAIL_OTP",
    "EMAIL_OTP": "EMAIL_OTP",
}

# States from which the driver makes a Cognito call whose answer fires an event.
_CALLING = (
    "INITIAL",
    *CHALLENGES,
    "MFA_SETUP_SOFTWARE_TOKEN",
    "MFA_SETUP_VERIFIED",
    "MFA_SETUP_EMAIL",
)
_ACTIVE = (*_CALLING, "REMEMBER_DEVICE")
_CODE_STATES = (
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "EMAIL_OTP",
    "SMS_OTP",
    "MFA_SETUP_SOFTWARE_TOKEN",
    "CUSTOM_CHALLENGE",
)
_DEVICE_STATES = ("INITIAL", "PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")


@attrs.define(repr=False)
class SignInData:
    """The plain data of one sign-in flow (what a snapshot holds; never a password).

    Attributes:
        username: what the user typed (a user name or an alias).
        auth_flow: Cognito's AuthFlow (``USER_SRP_AUTH``...).
        admin: use AdminInitiateAuth / AdminRespondToAuthChallenge.
        custom_srp: CUSTOM_AUTH that starts with SRP (``CHALLENGE_NAME=SRP_A``).
        state: the current state.
        cognito_username: the ``USERNAME`` to send in challenge answers (Cognito's).
        user_id_for_srp: ``USER_ID_FOR_SRP`` from the SRP challenge.
        session: the newest Cognito ``Session``.
        session_expires_at: when that session expires (epoch seconds, estimated).
        challenge_name: the last ChallengeName Cognito returned.
        challenge_parameters: its ChallengeParameters.
        device_key / device_group_key: the remembered device used for this sign-in.
        new_device_key / new_device_group_key: NewDeviceMetadata waiting to be remembered.
        preferred_challenge: USER_AUTH's PREFERRED_CHALLENGE.
        client_metadata: ClientMetadata passed on every call that takes it.
        error_code / error_message: the last Cognito error.
        attempts: wrong answers in the current state.
    """

    username: str
    auth_flow: str = "USER_SRP_AUTH"
    admin: bool = False
    custom_srp: bool = False
    state: str = "INITIAL"
    cognito_username: str | None = None
    user_id_for_srp: str | None = None
    session: str | None = None
    session_expires_at: float | None = None
    challenge_name: str | None = None
    challenge_parameters: dict[str, str] = attrs.field(factory=dict)
    available_challenges: list[str] | None = None
    device_key: str | None = None
    device_group_key: str | None = None
    new_device_key: str | None = None
    new_device_group_key: str | None = None
    preferred_challenge: str | None = None
    # None rather than empty containers: thousands of flows may wait at once.
    client_metadata: dict[str, str] | None = None
    analytics_metadata: dict[str, str] | None = None
    user_context_data: dict[str, str] | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    @property
    def answer_username(self) -> str:
        """The ``USERNAME`` for challenge answers (and their SECRET_HASH)."""
        return self.cognito_username or self.user_id_for_srp or self.username

    def __repr__(self) -> str:
        return (
            f"SignInData(state={self.state!r}, username={self.username!r}, "
            f"auth_flow={self.auth_flow!r}, challenge={self.challenge_name!r})"
        )


# --------------------------------------------------------------------------------------
# Transition callbacks: they only change data.


def _record_challenge(
    data: SignInData, *, response: Mapping[str, Any], now: float, session_validity: float
) -> None:
    data.challenge_name = response.get("ChallengeName")
    params = dict(response.get("ChallengeParameters") or {})
    data.challenge_parameters = params
    available = response.get("AvailableChallenges")
    data.available_challenges = [str(c) for c in available] if available else None
    if params.get("USER_ID_FOR_SRP"):
        data.user_id_for_srp = params["USER_ID_FOR_SRP"]
    if params.get("USERNAME"):
        data.cognito_username = params["USERNAME"]
    _record_session(
        data, session=response.get("Session"), now=now, session_validity=session_validity
    )
    data.attempts = 0
    data.error_code = data.error_message = None


def _record_session(
    data: SignInData, *, session: str | None, now: float, session_validity: float
) -> None:
    # PASSWORD_VERIFIER after USER_SRP_AUTH may come without a Session.
    data.session = session
    data.session_expires_at = now + session_validity if session else None


def _record_totp(
    data: SignInData, *, session: str | None, now: float, session_validity: float
) -> None:
    # The TOTP secret itself stays in the driver's memory, never in the data (snapshots).
    _record_session(data, session=session, now=now, session_validity=session_validity)


def _record_done(data: SignInData, **_: Any) -> None:
    data.session = None
    data.session_expires_at = None
    data.challenge_parameters = {}
    data.error_code = data.error_message = None


def _record_new_device(data: SignInData, *, device_key: str, device_group_key: str) -> None:
    _record_done(data)
    data.new_device_key = device_key
    data.new_device_group_key = device_group_key


def _record_error(
    data: SignInData,
    *,
    error: CognitoError | None = None,
    code: str | None = None,
    message: str | None = None,
) -> None:
    data.attempts += 1
    data.error_code = error.code if error is not None else code
    data.error_message = error.message if error is not None else message


def _record_final_error(data: SignInData, **kwargs: Any) -> None:
    _record_error(data, **kwargs)
    data.session = None
    data.session_expires_at = None


def _forget_device(data: SignInData, **_: Any) -> None:
    data.device_key = None
    data.device_group_key = None
    data.session = None
    data.challenge_name = None
    data.challenge_parameters = {}


def _reset(data: SignInData, **_: Any) -> None:
    _record_final_error(data)
    data.attempts = 0
    data.error_code = data.error_message = None
    data.challenge_name = None
    data.challenge_parameters = {}
    data.cognito_username = data.user_id_for_srp = None


#: Error events that keep the flow in its state for another answer.
RETRY_EVENTS = frozenset(
    {
        "CodeMismatchException",
        "ExpiredCodeException",
        "EnableSoftwareTokenMFAException",
        "InvalidPasswordException",
        "InvalidParameterException",
    }
)

#: The whole sign-in automaton.
TRANSITIONS: tuple[Transition, ...] = (
    *(Transition(name, _CALLING, name, _record_challenge) for name in CHALLENGES),
    Transition("AuthenticationResult", _CALLING, "DONE", _record_done),
    Transition("NewDeviceMetadata", _CALLING, "REMEMBER_DEVICE", _record_new_device),
    Transition("ConfirmDevice", ("REMEMBER_DEVICE",), "DONE"),
    Transition("device_not_remembered", ("REMEMBER_DEVICE",), "DONE"),
    Transition("AssociateSoftwareToken", ("MFA_SETUP",), "MFA_SETUP_SOFTWARE_TOKEN", _record_totp),
    Transition(
        "VerifySoftwareToken", ("MFA_SETUP_SOFTWARE_TOKEN",), "MFA_SETUP_VERIFIED", _record_session
    ),
    Transition("choose_email", ("MFA_SETUP",), "MFA_SETUP_EMAIL"),
    Transition("choose_password", ("SELECT_CHALLENGE",), "PASSWORD"),
    Transition("choose_password_srp", ("SELECT_CHALLENGE",), "PASSWORD_SRP"),
    Transition("CodeMismatchException", _CODE_STATES, "=", _record_error),
    # e.g. "Your software token has already been used once.": another code may still pass.
    Transition("ExpiredCodeException", _CODE_STATES, "=", _record_error),
    Transition(
        "EnableSoftwareTokenMFAException", ("MFA_SETUP_SOFTWARE_TOKEN",), "=", _record_error
    ),
    Transition("InvalidPasswordException", ("NEW_PASSWORD_REQUIRED",), "=", _record_error),
    Transition(
        "InvalidParameterException",
        ("NEW_PASSWORD_REQUIRED", "MFA_SETUP_EMAIL"),
        "=",
        _record_error,
    ),
    Transition("ResourceNotFoundException", _DEVICE_STATES, "INITIAL", _forget_device),
    Transition("UserNotConfirmedException", _CALLING, "CONFIRM_SIGN_UP", _record_final_error),
    Transition("PasswordResetRequiredException", _CALLING, "RESET_PASSWORD", _record_final_error),
    Transition("session_expired", _ACTIVE, "EXPIRED", _record_final_error),
    Transition("NotAuthorizedException", _CALLING, "FAILED", _record_final_error),
    Transition("failed", _ACTIVE, "FAILED", _record_final_error),
    Transition("restart", ("FAILED", "EXPIRED"), "INITIAL", _reset),
)

#: The sign-in flow's table and shared machine.
SIGN_IN = FlowTable("sign_in", specs=SPECS, transitions=TRANSITIONS)


# --------------------------------------------------------------------------------------
# Decisions


def event_for_response(response: Mapping[str, Any]) -> str:
    """The event that a successful InitiateAuth / RespondToAuthChallenge answer fires.

    Raises:
        UnknownChallengeError: a ChallengeName this library does not know.
        ProtocolError: neither ChallengeName nor AuthenticationResult.
    """
    result = response.get("AuthenticationResult")
    if isinstance(result, Mapping) and result.get("AccessToken"):
        metadata = result.get("NewDeviceMetadata")
        if isinstance(metadata, Mapping) and metadata.get("DeviceKey"):
            return "NewDeviceMetadata"
        return "AuthenticationResult"
    name = response.get("ChallengeName")
    if isinstance(name, str) and name:
        if name not in CHALLENGES:
            raise UnknownChallengeError(name)
        return name
    raise ProtocolError("Cognito answered with neither ChallengeName nor AuthenticationResult")


def event_for_error(error: CognitoError, state: str, *, has_device: bool) -> str | None:
    """The event a Cognito error fires in ``state``; ``None``: re-raise, flow unchanged.

    Transient errors (throttling after retries, limits, internal errors) return ``None``:
    the flow keeps its state and the same answer can be sent again.
    """
    if isinstance(error, ExpiredCodeError) and SIGN_IN.can(state, "ExpiredCodeException"):
        return "ExpiredCodeException"  # the session decides: a dead one says InvalidSession
    if isinstance(error, (InvalidSessionError, ExpiredCodeError)):
        return "session_expired"
    if isinstance(error, DeviceNotFoundError) and has_device:
        return "ResourceNotFoundException"
    if isinstance(error, UserNotConfirmedError):
        return "UserNotConfirmedException"
    if isinstance(error, PasswordResetRequiredError):
        return "PasswordResetRequiredException"
    for cls, event in (
        (CodeMismatchError, "CodeMismatchException"),
        (EnableSoftwareTokenMFAError, "EnableSoftwareTokenMFAException"),
        (InvalidPasswordError, "InvalidPasswordException"),
        (InvalidParameterError, "InvalidParameterException"),
    ):
        if isinstance(error, cls) and SIGN_IN.can(state, event):
            return event
    if isinstance(error, NotAuthorizedError):
        return "NotAuthorizedException"
    if isinstance(
        error,
        (TooManyRequestsError, LimitExceededError, InternalErrorError, ServiceUnavailableError),
    ):
        return None
    return "failed"


def needs_password(data: SignInData) -> bool:
    """Whether starting this sign-in needs the password (plain or for SRP)."""
    if data.auth_flow in (
        "USER_PASSWORD_AUTH",
        "ADMIN_USER_PASSWORD_AUTH",
        "ADMIN_NO_SRP_AUTH",
        "USER_SRP_AUTH",
    ):
        return True
    if data.auth_flow == "CUSTOM_AUTH":
        return data.custom_srp
    return data.auth_flow == "USER_AUTH" and data.preferred_challenge in (
        "PASSWORD",
        "PASSWORD_SRP",
    )


def json_list(value: str | None) -> tuple[str, ...]:
    """Parse a JSON list challenge parameter (``MFAS_CAN_SETUP``...), tolerating junk.

    moto sends Python reprs (``"['SOFTWARE_TOKEN_MFA']"``); those are accepted too.
    """
    if not value:
        return ()
    try:
        parsed = json.loads(value)
    except ValueError:
        try:
            parsed = json.loads(value.replace("'", '"'))
        except ValueError:
            return ()
    if isinstance(parsed, list):
        return tuple(str(x) for x in parsed)
    return ()


def json_dict(value: str | None) -> dict[str, str]:
    """Parse a JSON object challenge parameter (``userAttributes``), tolerating junk."""
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def required_attributes(params: Mapping[str, str]) -> tuple[str, ...]:
    """NEW_PASSWORD_REQUIRED's required attributes, without the ``userAttributes.`` prefix."""
    names = json_list(params.get("requiredAttributes"))
    return tuple(a.removeprefix("userAttributes.") for a in names)


def available_options(data: SignInData) -> tuple[str, ...]:
    """The choices of a selection state (MFA types or first factors)."""
    params = data.challenge_parameters
    if data.state == "SELECT_MFA_TYPE":
        return json_list(params.get("MFAS_CAN_CHOOSE"))
    if data.state == "MFA_SETUP":
        return json_list(params.get("MFAS_CAN_SETUP"))
    if data.state == "SELECT_CHALLENGE":
        return tuple(data.available_challenges or ()) or json_list(
            params.get("AvailableChallenges")
        )
    return ()
