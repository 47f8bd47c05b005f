"""The sign-in flow: its data, its states, its whole transition table, its decisions.

Rules of this module (sans-I/O, like h11's ``_state.py``; each state's row carries its side
effect, like h2's ``stream.py``):

* No Cognito calls, no clock, no randomness, no asyncio. Each state has a spec
  (:data:`SPECS`): its kind, its handler, what the step shows, how an answer is validated,
  and its step function: a generator that, given the flow's data, its runtime values and
  the validated answer, yields the effects to perform (the Cognito request, SRP math, a
  device-store read or write, the tokens, the event to fire). The driver
  (:mod:`cognito_flows.drivers.base`) performs them and nothing else.
* The whole automaton is :data:`TRANSITIONS`, one table. The docs' diagram and per-state
  tables are generated from the table and the specs, so they cannot drift apart.

Theory of operation. A state is named after Cognito's ChallengeName while the flow waits for
that challenge's answer. Events are named after what Cognito answered: a ChallengeName
(``SOFTWARE_TOKEN_MFA``), ``AuthenticationResult``, ``NewDeviceMetadata`` (signed in and a new
device may be remembered), an operation that succeeded (``AssociateSoftwareToken``,
``VerifySoftwareToken``, ``ConfirmDevice``), or an error code (``CodeMismatchException``
keeps the flow where it is for another answer). A few lower-case events are the host's own
choices (``choose_email``) or the library's (``session_expired``, ``failed``, ``restart``).
States of kind ``library`` are answered by the library itself (SRP proofs, device proofs);
MFA_SETUP is too when Cognito offers a single MFA type (``auto="single_option"``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..errors import (
    CognitoError,
    CognitoFlowsError,
    DeviceKeyExistsError,
    DeviceNotFoundError,
    EnableSoftwareTokenMFAError,
    FlowExpiredError,
    InvalidAnswerError,
    PhoneNumberRequiredError,
    ProtocolError,
    SrpError,
    UnknownChallengeError,
    hidden,
    masked,
)
from ..passkeys import credential_json, request_options
from ..steps import CodeDelivery, NewPassword, Step, TotpCode, TotpSetup, require_code, require_text
from ._common import a_code
from ._table import Call, Compute, Device, Fire, FlowTable, State, Steps, Tokens, Transition

__all__ = [
    "AUTH_FLOWS",
    "CHALLENGES",
    "HANDLER_FOR_STATE",
    "PHASES",
    "SIGN_IN",
    "SPECS",
    "STATES",
    "TRANSITIONS",
    "SignInData",
    "SignInRuntime",
    "event_for_error",
    "event_for_response",
    "restart",
    "step_for",
]

log = logging.getLogger("cognito_flows.sign_in")

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
    "WEB_AUTHN",
)

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


#: AuthFlows that send the password itself, not an SRP_A.
_PLAIN_PASSWORD_FLOWS = ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")


@masked
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
    session: str | None = attrs.field(default=None, repr=hidden)
    session_expires_at: float | None = None
    challenge_name: str | None = None
    challenge_parameters: dict[str, str] = attrs.field(factory=dict, repr=hidden)
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


@masked
@attrs.define(repr=False)
class SignInRuntime:
    """What one sign-in holds besides its data: never part of a snapshot.

    Attributes:
        password: the password, until it is used (kept after ``CONFIRM_SIGN_UP`` only).
        remember_device: the host's answer to REMEMBER_DEVICE given up front.
        ephemeral: the SRP ephemeral of the running exchange.
        tokens: the tokens of a finished sign-in.
        totp_secret: the secret shown in MFA_SETUP_SOFTWARE_TOKEN.
        user_pool_id: the pool (the SRP pool name; UserPoolId of admin calls).
        device_name: the name given to a remembered device.
        device_secret: the new device's password and verifier, from the first ConfirmDevice
            until the device store holds them (a retry sends the same verifier).
        device_confirm_sent: a ConfirmDevice was sent for the new device.
        device_confirmed: the new device is confirmed.
        device_remembered: whether it is remembered (``None``: not known).
    """

    password: str | None = attrs.field(default=None, repr=hidden)
    remember_device: bool | None = None
    ephemeral: Any = attrs.field(default=None, repr=hidden)
    tokens: Any = attrs.field(default=None, repr=hidden)
    totp_secret: str | None = attrs.field(default=None, repr=hidden)
    user_pool_id: str = ""
    device_name: str | None = None
    device_secret: Any = attrs.field(default=None, repr=hidden)
    device_confirm_sent: bool = False
    device_confirmed: bool = False
    device_remembered: bool | None = None

    def __repr__(self) -> str:
        return "SignInRuntime(<hidden>)"


# --------------------------------------------------------------------------------------
# Transition callbacks: they only change data.


def _record_challenge(
    data: SignInData, *, response: Mapping[str, Any], now: float, session_validity: float
) -> None:
    name = response.get("ChallengeName")
    # Strings this module already holds are shared, not kept once per waiting flow.
    data.challenge_name = _CHALLENGE_NAMES.get(name, name) if isinstance(name, str) else name
    raw: Mapping[str, str] = response.get("ChallengeParameters") or {}
    available = response.get("AvailableChallenges")
    data.available_challenges = [str(c) for c in available] if available else None
    if raw.get("USER_ID_FOR_SRP"):
        data.user_id_for_srp = _same(raw["USER_ID_FOR_SRP"], data.username)
    if raw.get("USERNAME"):
        data.cognito_username = _same(raw["USERNAME"], data.username)
    if name in _KEEPS_NAMES:
        data.challenge_parameters = dict(raw)
    else:
        # Recorded above; only the SRP proofs and a custom challenge's parameters use them.
        data.challenge_parameters = {
            k: v for k, v in raw.items() if k not in ("USER_ID_FOR_SRP", "USERNAME")
        }
    _record_session(
        data, session=response.get("Session"), now=now, session_validity=session_validity
    )
    data.attempts = 0
    data.error_code = data.error_message = None


#: Challenges whose parameters keep USERNAME / USER_ID_FOR_SRP (also recorded in the data).
_KEEPS_NAMES = frozenset(
    {"PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"}
)


_CHALLENGE_NAMES = {name: name for name in CHALLENGES}


def _same(value: str, known: str) -> str:
    """``known`` when it has the same text: one string instead of one per waiting flow."""
    return known if value == known else value


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
        # A refused passkey assertion: Cognito keeps the WEB_AUTHN challenge for another
        # try, as for a wrong code (the browser may ask the user again).
        "NotAuthorizedException",
        "WebAuthnOriginNotAllowedException",
        "WebAuthnRelyingPartyMismatchException",
        "WebAuthnCredentialNotSupportedException",
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
    Transition(
        "phone_number_required", ("MFA_SETUP",), "PHONE_NUMBER_REQUIRED", _record_final_error
    ),
    Transition("choose_password", ("SELECT_CHALLENGE",), "PASSWORD"),
    Transition("choose_password_srp", ("SELECT_CHALLENGE",), "PASSWORD_SRP"),
    Transition("CodeMismatchException", _CODE_STATES, "=", _record_error),
    # e.g. "Your software token has already been used once.": another code may still pass.
    Transition("ExpiredCodeException", _CODE_STATES, "=", _record_error),
    Transition(
        "EnableSoftwareTokenMFAException", ("MFA_SETUP_SOFTWARE_TOKEN",), "=", _record_error
    ),
    Transition("InvalidPasswordException", ("NEW_PASSWORD_REQUIRED",), "=", _record_error),
    *(
        Transition(code, ("WEB_AUTHN",), "=", _record_error)
        for code in (
            "NotAuthorizedException",
            "WebAuthnOriginNotAllowedException",
            "WebAuthnRelyingPartyMismatchException",
            "WebAuthnCredentialNotSupportedException",
        )
    ),
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
        if name == "WEB_AUTHN":
            # The host cannot answer without the options (a JSON string; amplify-js v6
            # handleWebAuthnSignInResult.ts parses it the same way).
            params = response.get("ChallengeParameters")
            if request_options(params if isinstance(params, Mapping) else {}) is None:
                raise ProtocolError("WEB_AUTHN came without CREDENTIAL_REQUEST_OPTIONS")
        return name
    raise ProtocolError("Cognito answered with neither ChallengeName nor AuthenticationResult")


def event_for_error(
    error: CognitoError, state: str, *, has_device: bool | None = None
) -> str | None:
    """The event a Cognito error fires in ``state``; ``None``: re-raise, flow unchanged.

    The one mapping of every flow (:meth:`FlowTable.event_for_error`); ``has_device`` is
    accepted for compatibility and not needed (only the device refinement of
    ``ResourceNotFoundException`` forgets the device).
    """
    return SIGN_IN.event_for_error(error, state)


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

    moto sends Python reprs (``"['SOFTWARE_TOKEN_MFA']"``); those are accepted too. JSON
    nested deeper than the interpreter's recursion limit is junk like any other.
    """
    if not value:
        return ()
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        try:
            parsed = json.loads(value.replace("'", '"'))
        except (ValueError, RecursionError):
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
    except (ValueError, RecursionError):
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
        # SMS MFA cannot be set up in a sign-in: it needs a phone_number attribute first
        # (API reference, InitiateAuth ChallengeName MFA_SETUP: "collect a phone_number or
        # email attribute for the user. Then restart the authentication flow"). amplify-js
        # filters it out the same way (getAllowedMfaSetupTypes in signInHelpers.ts).
        return tuple(o for o in json_list(params.get("MFAS_CAN_SETUP")) if o != "SMS_MFA")
    if data.state == "SELECT_CHALLENGE":
        return tuple(data.available_challenges or ()) or json_list(
            params.get("AvailableChallenges")
        )
    return ()


# --------------------------------------------------------------------------------------
# Requests and step functions. Each is a generator of effects (a Cognito request, SRP math,
# a device-store read or write, tokens, an event); the driver performs them in order.


def _common(data: SignInData, rt: SignInRuntime) -> dict[str, Any]:
    """What every InitiateAuth / RespondToAuthChallenge of this sign-in carries."""
    params: dict[str, Any] = {}
    if data.client_metadata:
        params["ClientMetadata"] = dict(data.client_metadata)
    if data.admin:
        params["UserPoolId"] = rt.user_pool_id
        if data.user_context_data:
            params["ContextData"] = dict(data.user_context_data)
    else:
        if data.analytics_metadata:
            params["AnalyticsMetadata"] = dict(data.analytics_metadata)
        if data.user_context_data:
            params["UserContextData"] = dict(data.user_context_data)
    return params


def _respond(
    data: SignInData, rt: SignInRuntime, challenge: str, responses: dict[str, str]
) -> Call:
    """RespondToAuthChallenge (admin or not); the client adds SECRET_HASH over USERNAME."""
    responses.setdefault("USERNAME", data.answer_username)
    if data.device_key:
        # As AWS's client does on every answer: Cognito ties the answer to the device.
        responses.setdefault("DEVICE_KEY", data.device_key)
    operation = "AdminRespondToAuthChallenge" if data.admin else "RespondToAuthChallenge"
    return Call(
        operation,
        {
            "ChallengeName": challenge,
            "ChallengeResponses": responses,
            "Session": data.session,
            **_common(data, rt),
        },
    )


def _fail(rt: SignInRuntime, error: CognitoFlowsError) -> Steps:
    rt.password = rt.ephemeral = None
    yield Fire("failed", {"code": type(error).__name__, "message": str(error)}, error=error)


def _rejected(data: SignInData, rt: SignInRuntime, error: CognitoError) -> Steps:
    """A Cognito error: the event it names; a missing device is forgotten and the sign-in
    starts again without it."""
    event = SIGN_IN.event_for_error(error, data.state)
    if event is None:
        raise error
    if event == "ResourceNotFoundException":
        log.info("remembered device no longer exists; signing in without it")
        yield Device("delete")
        yield Fire(event)
        if rt.password or not needs_password(data):
            yield from _initiate(data, rt, None)
        return
    yield Fire(event, {"error": error}, error=error)
    if data.state in SIGN_IN.final:
        rt.ephemeral = None
        if data.state != "CONFIRM_SIGN_UP":
            rt.password = None  # kept only to sign in after confirming the sign-up


def _answered(data: SignInData, rt: SignInRuntime, response: Mapping[str, Any]) -> Steps:
    """A Cognito answer: tokens, or the challenge it names."""
    try:
        event = event_for_response(response)
    except ProtocolError as exc:
        yield from _fail(rt, exc)
        return
    if event in ("AuthenticationResult", "NewDeviceMetadata"):
        result = response["AuthenticationResult"]
        known = data.device_key if event == "AuthenticationResult" else None
        try:
            yield Tokens(result, device_key=known)
        except ProtocolError as exc:  # e.g. no IdToken or ExpiresIn
            yield from _fail(rt, exc)
            return
        rt.password = rt.ephemeral = None
        if event == "AuthenticationResult":
            yield Fire(event)
            return
        meta = result["NewDeviceMetadata"]
        yield Fire(
            event,
            {
                "device_key": str(meta["DeviceKey"]),
                "device_group_key": str(meta.get("DeviceGroupKey") or ""),
            },
        )
        yield from _confirm_device(data, rt, retry=False)
        if rt.remember_device is not None and rt.device_confirmed:
            yield from _remember(data, rt, rt.remember_device)
        return
    if not SIGN_IN.can(data.state, event):
        yield from _fail(rt, ProtocolError(f"Cognito asked for {event} in {data.state}"))
        return
    _forget_spent_secrets(data, rt, event)
    yield Fire(event, {"response": response}, timed=True)


#: Challenges whose answer needs the SRP ephemeral of the exchange that led to them.
_NEEDS_EPHEMERAL = frozenset({"PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"})
#: Challenges after which the password is never sent again (MFA, its setup, a new password,
#: a code as first factor), unless a remembered device may still send the flow back to
#: InitiateAuth (ResourceNotFoundException on a device step).
_PASSWORD_SPENT = frozenset(
    {
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
        "EMAIL_OTP",
        "SMS_OTP",
        "SELECT_MFA_TYPE",
        "MFA_SETUP",
        "NEW_PASSWORD_REQUIRED",
    }
)


def _forget_spent_secrets(data: SignInData, rt: SignInRuntime, event: str) -> None:
    """Drop what the challenge ``event`` leads to can no longer use: a flow waiting for MFA
    keeps neither the SRP ephemeral (about 600 B) nor the password."""
    if event not in _NEEDS_EPHEMERAL:
        rt.ephemeral = None
    if event in _PASSWORD_SPENT and not data.device_key:
        rt.password = None


def _send(data: SignInData, rt: SignInRuntime, call: Call) -> Steps:
    """Send ``call`` and fire the event its answer (or error) names."""
    try:
        response = yield call
    except DeviceNotFoundError as exc:
        responses = call.params.get("ChallengeResponses")
        if data.state in _DEVICE_STATES or not isinstance(responses, Mapping):
            yield from _rejected(data, rt, exc)
            return
        if "DEVICE_KEY" not in responses:
            yield from _rejected(data, rt, exc)
            return
        # A device the pool forgot, found while answering an MFA (or other) challenge
        # ("Device does not exist."): forget it and send the same answer without it, as
        # amplify-js retries without the device key (retryOnResourceNotFoundException.ts).
        log.info("remembered device no longer exists; answering without it")
        yield Device("delete")
        data.device_key = data.device_group_key = None
        without = {k: v for k, v in responses.items() if k != "DEVICE_KEY"}
        yield from _send(
            data,
            rt,
            Call(
                call.operation, {**call.params, "ChallengeResponses": without}, call.secret_hash_for
            ),
        )
        return
    except CognitoError as exc:
        yield from _rejected(data, rt, exc)
        return
    yield from _answered(data, rt, response)


def _initiate(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    """INITIAL: InitiateAuth with what the AuthFlow needs (SRP_A, PASSWORD, neither)."""
    if answer is not None:
        rt.password = answer
    if data.device_key is None:
        device = yield Device("get")
        if device is not None:
            data.device_key = device.device_key
            data.device_group_key = device.device_group_key
    flow = data.auth_flow
    auth: dict[str, str] = {"USERNAME": data.username}
    if flow == "USER_AUTH" and data.preferred_challenge:
        auth["PREFERRED_CHALLENGE"] = data.preferred_challenge
    if needs_password(data):
        if not rt.password:
            raise InvalidAnswerError("this sign-in flow needs the password")
        if flow in _PLAIN_PASSWORD_FLOWS or data.preferred_challenge == "PASSWORD":
            auth["PASSWORD"] = rt.password
        else:
            rt.ephemeral = yield Compute("start_ephemeral")
            auth["SRP_A"] = rt.ephemeral.srp_a
            if flow == "CUSTOM_AUTH":
                auth["CHALLENGE_NAME"] = "SRP_A"
    if data.device_key:
        auth["DEVICE_KEY"] = data.device_key
    operation = "AdminInitiateAuth" if data.admin else "InitiateAuth"
    # USER_AUTH may continue a confirmed sign-up's session (auto sign-in).
    session = data.session if flow == "USER_AUTH" else None
    params = {"AuthFlow": flow, "AuthParameters": auth, "Session": session}
    yield from _send(data, rt, Call(operation, {**params, **_common(data, rt)}))


def _password_verifier(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    """PASSWORD_VERIFIER: the SRP proof (waits for the password after a resume)."""
    if answer is not None:
        rt.password = answer
    if not rt.password:
        return  # wait for answer(password): the flow was resumed without it
    if rt.ephemeral is None:
        # Resumed in another process: the SRP_A of this session is gone.
        yield from _fail(rt, FlowExpiredError("the SRP exchange was interrupted; restart"))
        return
    params = dict(data.challenge_parameters)
    try:
        responses = yield Compute(
            "password_verifier_response",
            (rt.ephemeral, params),
            {"user_pool_id": rt.user_pool_id, "password": rt.password},
            timestamp=True,
        )
    except SrpError as exc:
        yield from _fail(rt, exc)
        return
    data.user_id_for_srp = _same(responses["USERNAME"], data.username)
    # Cognito sends USERNAME and USER_ID_FOR_SRP with the same value; moto sends the sub as
    # USER_ID_FOR_SRP and expects USERNAME back. Sign with USER_ID_FOR_SRP, answer with
    # USERNAME, as Amplify Swift and pycognito do.
    responses["USERNAME"] = params.get("USERNAME") or responses["USERNAME"]
    data.cognito_username = _same(responses["USERNAME"], data.username)
    if data.device_key:
        responses["DEVICE_KEY"] = data.device_key
    yield from _send(data, rt, _respond(data, rt, "PASSWORD_VERIFIER", responses))


def _device_srp_auth(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    """DEVICE_SRP_AUTH: SRP_A of the remembered device."""
    device = yield Device("get")
    if device is None:
        message = "Cognito asked for a device proof but no device is remembered"
        yield from _fail(rt, FlowExpiredError(message))
        return
    try:
        rt.ephemeral = yield Compute("start_ephemeral")
    except SrpError as exc:
        yield from _fail(rt, exc)
        return
    responses = {
        "USERNAME": data.answer_username,
        "DEVICE_KEY": device.device_key,
        "SRP_A": rt.ephemeral.srp_a,
    }
    yield from _send(data, rt, _respond(data, rt, "DEVICE_SRP_AUTH", responses))


def _device_password_verifier(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    """DEVICE_PASSWORD_VERIFIER: the device's SRP proof."""
    device = yield Device("get")
    if device is None or rt.ephemeral is None:
        yield from _fail(rt, FlowExpiredError("the device proof was interrupted; restart"))
        return
    try:
        responses = yield Compute(
            "device_password_verifier_response",
            (rt.ephemeral, dict(data.challenge_parameters)),
            {
                "device_group_key": device.device_group_key,
                "device_key": device.device_key,
                "device_password": device.device_password,
                "user_id_for_srp": data.answer_username,
            },
            timestamp=True,
        )
    except SrpError as exc:
        yield from _fail(rt, exc)
        return
    yield from _send(data, rt, _respond(data, rt, "DEVICE_PASSWORD_VERIFIER", responses))


def _code_answer(key: str) -> Callable[[SignInData, SignInRuntime, Any], Steps]:
    def run(data: SignInData, rt: SignInRuntime, code: Any) -> Steps:
        yield from _send(data, rt, _respond(data, rt, data.state, {key: code}))

    run.__name__ = f"answer_{key.lower()}"
    return run


def _select_mfa_type(data: SignInData, rt: SignInRuntime, choice: Any) -> Steps:
    yield from _send(data, rt, _respond(data, rt, "SELECT_MFA_TYPE", {"ANSWER": choice}))


def _mfa_setup(data: SignInData, rt: SignInRuntime, choice: Any) -> Steps:
    """MFA_SETUP: set up the chosen MFA type; the library chooses when one is offered."""
    if choice is None:
        options = available_options(data)
        if not options and "SMS_MFA" in json_list(data.challenge_parameters.get("MFAS_CAN_SETUP")):
            # Only SMS is left: the host must add a phone number and sign in again
            # (amplify-js: "Cannot initiate MFA setup from available types").
            error = PhoneNumberRequiredError()
            rt.password = None
            yield Fire(
                "phone_number_required",
                {"code": error.code, "message": error.message},
                error=error,
            )
            return
        if len(options) != 1:
            return  # the host chooses
        choice = options[0]
    if choice == "EMAIL_OTP":
        yield Fire("choose_email")
        return
    if choice != "SOFTWARE_TOKEN_MFA":
        raise InvalidAnswerError(f"MFA type {choice} cannot be set up here")
    try:
        response = yield Call("AssociateSoftwareToken", {"Session": data.session})
    except CognitoError as exc:
        yield from _rejected(data, rt, exc)
        return
    secret = response.get("SecretCode")
    if not isinstance(secret, str) or not secret:
        yield from _fail(rt, ProtocolError("AssociateSoftwareToken returned no SecretCode"))
        return
    rt.totp_secret = secret
    session = response.get("Session") or data.session
    yield Fire("AssociateSoftwareToken", {"session": session}, timed=True)


def _verify_totp(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    """MFA_SETUP_SOFTWARE_TOKEN: VerifySoftwareToken with the app's code."""
    code, name = answer
    params = {"Session": data.session, "UserCode": code, "FriendlyDeviceName": name}
    try:
        response = yield Call("VerifySoftwareToken", params)
    except CognitoError as exc:
        yield from _rejected(data, rt, exc)
        return
    if response.get("Status") != "SUCCESS":
        error = EnableSoftwareTokenMFAError(
            "VerifySoftwareToken did not succeed", operation="VerifySoftwareToken"
        )
        yield from _rejected(data, rt, error)
        return
    session = response.get("Session") or data.session
    yield Fire("VerifySoftwareToken", {"session": session}, timed=True)


def _mfa_setup_verified(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    yield from _send(data, rt, _respond(data, rt, "MFA_SETUP", {}))


def _mfa_setup_email(data: SignInData, rt: SignInRuntime, email: Any) -> Steps:
    yield from _send(data, rt, _respond(data, rt, "MFA_SETUP", {"EMAIL": email}))


def _send_password(data: SignInData, rt: SignInRuntime, which: str) -> Steps:
    """The password for PASSWORD / PASSWORD_SRP (chosen in SELECT_CHALLENGE or asked)."""
    via_select = data.challenge_name == "SELECT_CHALLENGE"
    responses: dict[str, str] = {"ANSWER": which} if via_select else {}
    if which == "PASSWORD":
        responses["PASSWORD"] = rt.password or ""
    else:
        rt.ephemeral = yield Compute("start_ephemeral")
        responses["SRP_A"] = rt.ephemeral.srp_a
    challenge = "SELECT_CHALLENGE" if via_select else which
    yield from _send(data, rt, _respond(data, rt, challenge, responses))


def _select_challenge(data: SignInData, rt: SignInRuntime, choice: Any) -> Steps:
    """SELECT_CHALLENGE: a password factor goes on to its state unless it is known."""
    if choice in ("PASSWORD", "PASSWORD_SRP"):
        if not rt.password:
            yield Fire("choose_password" if choice == "PASSWORD" else "choose_password_srp")
            return
        yield from _send_password(data, rt, choice)
        return
    yield from _send(data, rt, _respond(data, rt, "SELECT_CHALLENGE", {"ANSWER": choice}))


def _password(data: SignInData, rt: SignInRuntime, password: Any) -> Steps:
    rt.password = password
    yield from _send_password(data, rt, data.state)


def _custom_challenge(data: SignInData, rt: SignInRuntime, answer: Any) -> Steps:
    yield from _send(data, rt, _respond(data, rt, "CUSTOM_CHALLENGE", {"ANSWER": answer}))


def _web_authn(data: SignInData, rt: SignInRuntime, credential: Any) -> Steps:
    """WEB_AUTHN: the browser's AuthenticationResponseJSON as CREDENTIAL (a JSON string, as
    the API reference's RespondToAuthChallenge example and amplify-js v6 send it)."""
    yield from _send(data, rt, _respond(data, rt, "WEB_AUTHN", {"CREDENTIAL": credential}))


def _new_password(data: SignInData, rt: SignInRuntime, responses: Any) -> Steps:
    yield from _send(data, rt, _respond(data, rt, "NEW_PASSWORD_REQUIRED", dict(responses)))


def _remember_device(data: SignInData, rt: SignInRuntime, remember: Any) -> Steps:
    yield from _remember(data, rt, bool(remember))


def _confirm_device(data: SignInData, rt: SignInRuntime, *, retry: bool) -> Steps:
    """ConfirmDevice for NewDeviceMetadata, remembered or not, as amplify-js does
    (``packages/auth/src/providers/cognito/utils/getNewDeviceMetadata.ts``): with device
    tracking on, a refresh with an unconfirmed device key is refused ("Invalid Refresh
    Token", Knowledge Center ``cognito-invalid-refresh-token-error``; API reference
    GetTokensFromRefreshToken ``DeviceKey``: "You must provide the confirmed device key").

    The device secret is made once and kept until the device store holds it (or the user
    does not remember the device), so a
    ConfirmDevice whose answer was lost (:class:`OutcomeUnknownError`) is sent again with
    the same verifier; ``DeviceKeyExistsException`` on that retry is the success it proves
    (ConfirmDevice refuses a device that is already confirmed). Sets ``rt.device_confirmed``;
    with ``retry`` an error is raised (the flow stays in REMEMBER_DEVICE), without it the
    flow waits there with the secret (answering REMEMBER_DEVICE tries again).
    """
    tokens = rt.tokens
    if rt.device_confirmed or tokens is None or not data.new_device_key:
        return
    group_key = data.new_device_group_key or ""
    if rt.device_secret is None:
        rt.device_secret = yield Compute("generate_device_secret", (group_key, data.new_device_key))
    secret = rt.device_secret
    resent = rt.device_confirm_sent
    rt.device_confirm_sent = True
    try:
        response = yield Call(
            "ConfirmDevice",
            {
                "AccessToken": tokens.access_token,
                "DeviceKey": data.new_device_key,
                "DeviceSecretVerifierConfig": secret.verifier_config,
                "DeviceName": rt.device_name,
            },
        )
    except DeviceKeyExistsError:
        if not resent:
            # Confirmed by someone else, with a verifier this flow does not hold.
            rt.device_confirmed, rt.device_secret = True, None
            return
        response = None  # our earlier ConfirmDevice was applied; its answer was lost
    except CognitoFlowsError as exc:  # a Cognito or connection error, or a lost answer
        if retry:
            raise
        code = getattr(exc, "code", None) or type(exc).__name__
        log.warning("could not confirm the device (will retry): %s", code)
        return
    rt.device_confirmed = True
    rt.device_remembered = (
        None if response is None else not response.get("UserConfirmationNecessary", False)
    )


def _remember(data: SignInData, rt: SignInRuntime, remember: bool) -> Steps:
    """REMEMBER_DEVICE: the device is confirmed (again, if that failed), then remembered or
    not with UpdateDeviceStatus (API reference ConfirmDevice / UpdateDeviceStatus;
    amplify-js ``rememberDevice.ts``). ConfirmDevice remembers it by itself in a pool that
    does not ask the user (``UserConfirmationNecessary`` false)."""
    yield from _confirm_device(data, rt, retry=True)
    if remember and rt.device_secret is None and rt.device_remembered is not True:
        # Confirmed with a secret this process never held: the flow was resumed from a
        # snapshot (which never holds a device password) or another client confirmed it.
        # Remembering it would make a remembered device no one can answer
        # DEVICE_PASSWORD_VERIFIER for, so it stays (or is set) not remembered.
        log.warning(
            "the new device cannot be remembered: its secret is not in this process "
            "(answer REMEMBER_DEVICE where the sign-in ran, or pass remember_device=)"
        )
        remember = False
    status = None
    if rt.device_confirmed and data.new_device_key:
        if remember and rt.device_remembered is not True:
            status = "remembered"
        elif not remember and rt.device_remembered is not False:
            status = "not_remembered"
    if status is not None and rt.tokens is not None:
        try:
            yield Call(
                "UpdateDeviceStatus",
                {
                    "AccessToken": rt.tokens.access_token,
                    "DeviceKey": data.new_device_key,
                    "DeviceRememberedStatus": status,
                },
            )
            rt.device_remembered = status == "remembered"
        except CognitoFlowsError as exc:
            # Signed in and the device confirmed all the same; only its status is unchanged.
            code = getattr(exc, "code", None) or type(exc).__name__
            log.warning("could not update the device status: %s", code)
    secret = rt.device_secret
    if remember and rt.device_remembered is not False and secret is not None:
        group_key = data.new_device_group_key or ""
        yield Device("put", data.new_device_key or "", group_key, secret.device_password)
    rt.device_secret = None  # stored, or not needed: an unremembered device skips nothing
    yield Fire(
        "ConfirmDevice"
        if remember and rt.device_remembered is not False
        else "device_not_remembered"
    )


def restart(data: SignInData, rt: SignInRuntime) -> Steps:
    """After ``FAILED`` or ``EXPIRED``: back to INITIAL, then InitiateAuth again."""
    yield Fire("restart")
    yield from _initiate(data, rt, None)


# --------------------------------------------------------------------------------------
# Answer validation: pure checks of the host's raw answer; nothing is sent when they raise.


def _choice(value: Any, options: tuple[str, ...], aliases: Mapping[str, str]) -> str:
    text = require_text(value, "the choice").strip().upper()
    choice = aliases.get(text, text)
    if options and choice not in options:
        raise InvalidAnswerError(f"choose one of {', '.join(options)}")
    return choice


def _optional_password(data: SignInData, value: Any) -> str | None:
    return None if value is None else require_text(value, "the password")


def _a_password(data: SignInData, value: Any) -> str:
    return require_text(value, "the password")


def _an_mfa_type(data: SignInData, value: Any) -> str:
    return _choice(value, available_options(data), MFA_ALIASES)


def _a_first_factor(data: SignInData, value: Any) -> str:
    return _choice(value, available_options(data), {})


def _a_totp_code(data: SignInData, value: Any) -> tuple[str, str | None]:
    name: str | None = None
    if isinstance(value, TotpCode):
        value, name = value.code, value.device_name
    return require_code(value, digits=(6, 6)), name


def _an_email(data: SignInData, value: Any) -> str:
    email = require_text(value, "the e-mail address").strip()
    if "@" not in email:
        raise InvalidAnswerError("an e-mail address is needed")
    return email


def _a_credential(data: SignInData, value: Any) -> str:
    return json.dumps(credential_json(value), separators=(",", ":"))


def _a_custom_answer(data: SignInData, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return require_text(value, "the answer")


def _a_new_password(data: SignInData, value: Any) -> dict[str, str]:
    """NEW_PASSWORD_REQUIRED's ChallengeResponses (NEW_PASSWORD, userAttributes.*)."""
    if isinstance(value, str):
        value = NewPassword(value)
    if not isinstance(value, NewPassword) or not isinstance(value.attributes, Mapping):
        raise InvalidAnswerError(
            "answer NEW_PASSWORD_REQUIRED with a str or NewPassword(password, {name: value})"
        )
    require_text(value.password, "the new password")
    params = data.challenge_parameters
    current = json_dict(params.get("userAttributes"))
    missing = [
        a for a in required_attributes(params) if not value.attributes.get(a) and not current.get(a)
    ]
    if missing:
        raise InvalidAnswerError(f"required attributes missing: {', '.join(missing)}")
    responses = {"NEW_PASSWORD": value.password}
    for name, attr_value in value.attributes.items():
        if not isinstance(attr_value, str):
            raise InvalidAnswerError(f"attribute {name} must be a string")
        responses[f"userAttributes.{name}"] = attr_value
    return responses


def _a_yes_or_no(data: SignInData, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidAnswerError("answer REMEMBER_DEVICE with True or False")
    return value


# --------------------------------------------------------------------------------------
# States


_CODE = "the code (digits)"


def _code_state(name: str, key: str, handler: str) -> State:
    return State(
        name,
        handler=handler,
        run=_code_answer(key),
        validate=a_code,
        challenge=name,
        shows="where the code went (`delivery`)",
        answer=_CODE,
        sends=f"RespondToAuthChallenge {key}",
    )


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State(
        "INITIAL",
        run=_initiate,
        validate=_optional_password,
        kind="start",
        answer="the password, when the flow was made without one and needs it",
        sends="InitiateAuth (SRP_A, PASSWORD or neither, as the AuthFlow needs; DEVICE_KEY)",
    ),
    State(
        "PASSWORD_VERIFIER",
        run=_password_verifier,
        validate=_optional_password,
        kind="library",
        handler="password",
        challenge="PASSWORD_VERIFIER",
        answer="the password, only after a resume (the library answers it otherwise)",
        sends="RespondToAuthChallenge PASSWORD_CLAIM_SIGNATURE (SRP proof)",
    ),
    State(
        "DEVICE_SRP_AUTH",
        run=_device_srp_auth,
        kind="library",
        challenge="DEVICE_SRP_AUTH",
        sends="RespondToAuthChallenge SRP_A of the remembered device",
    ),
    State(
        "DEVICE_PASSWORD_VERIFIER",
        run=_device_password_verifier,
        kind="library",
        challenge="DEVICE_PASSWORD_VERIFIER",
        sends="RespondToAuthChallenge PASSWORD_CLAIM_SIGNATURE (device proof)",
    ),
    State(
        "NEW_PASSWORD_REQUIRED",
        run=_new_password,
        validate=_a_new_password,
        handler="new_password_required",
        challenge="NEW_PASSWORD_REQUIRED",
        shows="`required_attributes`, `user_attributes`",
        answer="the new password, or `NewPassword(password, {attribute: value})`",
        sends="RespondToAuthChallenge NEW_PASSWORD (+ userAttributes.*)",
    ),
    _code_state("SMS_MFA", "SMS_MFA_CODE", "sms_mfa"),
    attrs.evolve(
        _code_state("SOFTWARE_TOKEN_MFA", "SOFTWARE_TOKEN_MFA_CODE", "software_token_mfa"),
        shows="`friendly_device_name` (FRIENDLY_DEVICE_NAME: which authenticator app)",
    ),
    _code_state("EMAIL_OTP", "EMAIL_OTP_CODE", "email_otp"),
    _code_state("SMS_OTP", "SMS_OTP_CODE", "sms_otp"),
    State(
        "SELECT_MFA_TYPE",
        run=_select_mfa_type,
        validate=_an_mfa_type,
        handler="select_mfa_type",
        challenge="SELECT_MFA_TYPE",
        shows="`options` (MFAS_CAN_CHOOSE)",
        answer="one of the options (`SMS`, `TOTP`, `EMAIL` aliases accepted)",
        sends="RespondToAuthChallenge ANSWER",
    ),
    State(
        "MFA_SETUP",
        run=_mfa_setup,
        validate=_an_mfa_type,
        handler="mfa_setup",
        challenge="MFA_SETUP",
        auto="single_option",
        shows="`options` (MFAS_CAN_SETUP)",
        answer="the MFA type to set up (answered by the library when only one is offered)",
        sends="AssociateSoftwareToken (TOTP), or nothing (EMAIL_OTP: asks for the address)",
    ),
    State(
        "SELECT_CHALLENGE",
        run=_select_challenge,
        validate=_a_first_factor,
        handler="select_challenge",
        challenge="SELECT_CHALLENGE",
        shows="`options` (AvailableChallenges)",
        answer="a first factor (`PASSWORD`, `PASSWORD_SRP`, `EMAIL_OTP`, `SMS_OTP`...)",
        sends="RespondToAuthChallenge ANSWER (with PASSWORD or SRP_A when it is known)",
    ),
    State(
        "PASSWORD",
        run=_password,
        validate=_a_password,
        handler="password",
        challenge="PASSWORD",
        answer="the password",
        sends="RespondToAuthChallenge PASSWORD",
    ),
    State(
        "PASSWORD_SRP",
        run=_password,
        validate=_a_password,
        handler="password",
        challenge="PASSWORD_SRP",
        answer="the password",
        sends="RespondToAuthChallenge SRP_A",
    ),
    State(
        "CUSTOM_CHALLENGE",
        run=_custom_challenge,
        validate=_a_custom_answer,
        handler="custom_challenge",
        challenge="CUSTOM_CHALLENGE",
        shows="`parameters` (the public challenge parameters)",
        answer="the answer (text)",
        sends="RespondToAuthChallenge ANSWER",
    ),
    State(
        "WEB_AUTHN",
        run=_web_authn,
        validate=_a_credential,
        handler="web_authn",
        challenge="WEB_AUTHN",
        shows="`credential_request_options` (for `navigator.credentials.get`)",
        answer="the browser's credential JSON (`PublicKeyCredential.toJSON()`), dict or text",
        sends="RespondToAuthChallenge CREDENTIAL",
    ),
    State(
        "MFA_SETUP_SOFTWARE_TOKEN",
        run=_verify_totp,
        validate=_a_totp_code,
        handler="mfa_setup",
        challenge="MFA_SETUP",
        shows="the secret and its otpauth:// URI (`totp`)",
        answer="the 6-digit code, or `TotpCode(code, device_name)`",
        sends="VerifySoftwareToken",
    ),
    State(
        "MFA_SETUP_VERIFIED",
        run=_mfa_setup_verified,
        kind="library",
        sends="RespondToAuthChallenge MFA_SETUP",
    ),
    State(
        "MFA_SETUP_EMAIL",
        run=_mfa_setup_email,
        validate=_an_email,
        handler="mfa_setup",
        challenge="MFA_SETUP",
        answer="the e-mail address",
        sends="RespondToAuthChallenge MFA_SETUP EMAIL",
    ),
    State(
        "REMEMBER_DEVICE",
        run=_remember_device,
        validate=_a_yes_or_no,
        handler="remember_device",
        shows="`tokens`, `device_key`",
        answer="True or False (default False when there is no handler)",
        sends="ConfirmDevice (already sent unless it failed), then UpdateDeviceStatus "
        "remembered / not_remembered when that changes it",
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
        "PHONE_NUMBER_REQUIRED",
        kind="final",
        shows="the error (`PhoneNumberRequiredError`): MFA_SETUP offered only SMS MFA; add "
        "the user's `phone_number`, then sign in again",
    ),
    State(
        "RESET_PASSWORD",
        kind="final",
        next_flow="forgot_password",
        shows="`next_flow`: forgot_password (Cognito requires a password reset)",
    ),
)

#: The phases a sign-in passes through, for the docs' diagrams (an overview and one
#: diagram per phase instead of one hub of every arrow). A state left out is drawn in a
#: phase of its own.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "First factor",
        (
            "INITIAL",
            "SELECT_CHALLENGE",
            "PASSWORD",
            "PASSWORD_SRP",
            "PASSWORD_VERIFIER",
            "WEB_AUTHN",
        ),
    ),
    ("Remembered device", ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")),
    ("Challenges", ("NEW_PASSWORD_REQUIRED", "CUSTOM_CHALLENGE")),
    ("Codes and MFA", ("SELECT_MFA_TYPE", "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_OTP")),
    (
        "MFA setup",
        ("MFA_SETUP", "MFA_SETUP_SOFTWARE_TOKEN", "MFA_SETUP_VERIFIED", "MFA_SETUP_EMAIL"),
    ),
    ("Signed in", ("REMEMBER_DEVICE", "DONE")),
    ("Ended", ("FAILED", "EXPIRED", "CONFIRM_SIGN_UP", "RESET_PASSWORD", "PHONE_NUMBER_REQUIRED")),
)

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

#: The sign-in flow's table and shared machine.
SIGN_IN = FlowTable("sign_in", specs=SPECS, transitions=TRANSITIONS)


# --------------------------------------------------------------------------------------
# What the host sees


def step_for(
    data: SignInData,
    rt: SignInRuntime,
    *,
    error: CognitoFlowsError | None = None,
    retry: bool = False,
    issuer: str = "AWSCognito",
) -> Step:
    """The step of a sign-in: what its state's spec says the host sees."""
    state = data.state
    spec = SIGN_IN.spec(state)
    done = spec.kind == "final"
    params = data.challenge_parameters
    totp = None
    if state == "MFA_SETUP_SOFTWARE_TOKEN" and rt.totp_secret:
        totp = TotpSetup(secret=rt.totp_secret, account=data.username, issuer=issuer)
    asks_password = state == "NEW_PASSWORD_REQUIRED"
    return Step(
        flow=SIGN_IN.name,
        state=state,
        challenge=spec.challenge,
        done=done,
        handler=None if done else spec.handler,
        tokens=rt.tokens if state in ("DONE", "REMEMBER_DEVICE") else None,
        error=error,
        retry=retry and not done,
        next_flow=spec.next_flow,
        delivery=CodeDelivery.from_challenge(params),
        options=available_options(data),
        totp=totp,
        required_attributes=required_attributes(params) if asks_password else (),
        user_attributes=json_dict(params.get("userAttributes")) if asks_password else {},
        parameters={k: v for k, v in params.items() if k != "USERNAME"}
        if state == "CUSTOM_CHALLENGE"
        else {},
        credential_request_options=_safe_options(params) if state == "WEB_AUTHN" else None,
        session_expires_at=data.session_expires_at,
        username=data.answer_username,
        device_key=data.new_device_key or data.device_key,
        friendly_device_name=params.get("FRIENDLY_DEVICE_NAME") or None
        if state == "SOFTWARE_TOKEN_MFA"
        else None,
    )


def _safe_options(params: Mapping[str, str]) -> dict[str, Any] | None:
    # Checked when the challenge arrived (event_for_response); a resumed snapshot is trusted
    # no further than that.
    try:
        return request_options(params)
    except ProtocolError:
        return None
