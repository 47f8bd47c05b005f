"""TOTP setup outside sign-in: a signed-in user adds an authenticator app.

States: ``INITIAL`` -> (AssociateSoftwareToken: Cognito returns a secret) ->
``VERIFY_SOFTWARE_TOKEN`` (waiting for a code from the app; a wrong code stays here, a new
secret may be asked for here) -> (VerifySoftwareToken) -> ``VERIFIED`` -> ``DONE``.
``VERIFIED`` is answered by the library: it calls SetUserMFAPreference when the host asked
for TOTP to become the preferred MFA method, and otherwise ends the flow at once.

Like every flow module it is sans-I/O: data, the table, and nothing that calls Cognito. The
TOTP secret is not part of the data (a snapshot never holds it); the driver keeps it in
memory to show it to the host.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import attrs

from ..errors import (
    CognitoError,
    CognitoFlowsError,
    EnableSoftwareTokenMFAError,
    InvalidAnswerError,
    InvalidParameterError,
    OutcomeUnknownError,
    ProtocolError,
    SoftwareTokenMFANotFoundError,
    hidden,
    masked,
)
from ..steps import Step, TotpCode, TotpSetup, require_code
from ._common import record_error, record_outcome_unknown, spec_step
from ._table import (
    ACCESS_TOKEN,
    Call,
    Effect,
    Fire,
    FlowTable,
    State,
    Steps,
    Transition,
    reject,
    request,
    request_twice,
)

__all__ = [
    "SPECS",
    "STATES",
    "TOTP_SETUP",
    "TRANSITIONS",
    "TotpSetupData",
    "TotpSetupRuntime",
    "associate",
    "step_for",
]


@attrs.define(repr=False)
class TotpSetupData:
    """The plain data of one TOTP setup (never the secret, a code or the access token).

    Attributes:
        username: the user's Cognito user name (the account shown in the app).
        state: the current state.
        prefer: make TOTP the preferred MFA method once verified.
        device_name: the friendly name of the authenticator, if given.
        error_code / error_message: the last Cognito error; attempts: wrong codes so far.
    """

    username: str
    state: str = "INITIAL"
    prefer: bool = False
    device_name: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"TotpSetupData(state={self.state!r}, username={self.username!r})"


def _clear_error(data: TotpSetupData) -> None:
    data.error_code = data.error_message = None


def _associated(data: TotpSetupData) -> None:
    _clear_error(data)


def _verified(data: TotpSetupData, *, device_name: str | None = None) -> None:
    data.device_name = device_name
    _clear_error(data)


@masked
@attrs.define(repr=False)
class TotpSetupRuntime:
    """The secret to show (in memory only: never in the data, so never in a snapshot)."""

    secret: str | None = attrs.field(default=None, repr=hidden)

    def __repr__(self) -> str:
        return "TotpSetupRuntime(<hidden>)"


def associate(data: TotpSetupData, rt: TotpSetupRuntime, answer: Any = None) -> Steps:
    """AssociateSoftwareToken: a new secret (INITIAL, and ``new_secret()``)."""
    token = yield ACCESS_TOKEN
    call = Call("AssociateSoftwareToken", {"AccessToken": token})
    # A lost answer is sent once more: the second secret replaces the first (which no
    # one saw), so the app is set up with the one shown.
    response = yield from request_twice(TOTP_SETUP, data, call)
    if response is None:
        return
    secret = response.get("SecretCode")
    if not isinstance(secret, str) or not secret:
        raise ProtocolError("AssociateSoftwareToken returned no SecretCode")
    rt.secret = secret
    yield Fire("AssociateSoftwareToken")


def _verify(data: TotpSetupData, rt: TotpSetupRuntime, answer: Any) -> Steps:
    """VERIFY_SOFTWARE_TOKEN: VerifySoftwareToken with the app's code."""
    code, name = answer
    token = yield ACCESS_TOKEN
    params = {"AccessToken": token, "UserCode": code, "FriendlyDeviceName": name}
    try:
        response = yield Call("VerifySoftwareToken", params)
    except OutcomeUnknownError as exc:
        if (yield from _totp_verified(data, token)):
            yield Fire("VerifySoftwareToken", {"device_name": name})
            rt.secret = None
        else:
            yield Fire("OutcomeUnknown", {"error": exc}, error=exc)
        return
    except CognitoError as exc:
        yield from reject(TOTP_SETUP, data, exc)
        return
    if response.get("Status") != "SUCCESS":
        error = EnableSoftwareTokenMFAError(
            "VerifySoftwareToken did not succeed", operation="VerifySoftwareToken"
        )
        yield Fire("EnableSoftwareTokenMFAException", {"error": error}, error=error)
        return
    yield Fire("VerifySoftwareToken", {"device_name": name})
    rt.secret = None


def _totp_verified(data: TotpSetupData, token: str) -> Generator[Effect, Any, bool]:
    """After a lost VerifySoftwareToken answer: whether Cognito verified the TOTP.

    GetUser lists ``SOFTWARE_TOKEN_MFA`` in ``UserMFASettingList`` once TOTP MFA is enabled.
    If it is not listed, SetUserMFAPreference enabling it is the probe: Cognito refuses to
    enable a TOTP the user has not verified with InvalidParameterException "User has not
    verified software token mfa" (InvalidParameterException is in the API reference's
    errors of SetUserMFAPreference; the message is Cognito's, which the local Cognito
    answers too). When the flow
    is not to make TOTP preferred, the probe's enabling is undone at once (it was not
    enabled before), so the user's MFA settings end as a verified setup leaves them.
    """
    user = yield Call("GetUser", {"AccessToken": token})
    if "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or ()):
        return True
    settings = {"Enabled": True, "PreferredMfa": data.prefer}
    try:
        yield Call(
            "SetUserMFAPreference", {"AccessToken": token, "SoftwareTokenMfaSettings": settings}
        )
    except (InvalidParameterError, SoftwareTokenMFANotFoundError) as exc:
        if isinstance(exc, InvalidParameterError) and "not verified" not in exc.message:
            raise
        return False
    if not data.prefer:
        yield Call(
            "SetUserMFAPreference",
            {"AccessToken": token, "SoftwareTokenMfaSettings": {"Enabled": False}},
        )
    return True


def _finish(data: TotpSetupData, rt: TotpSetupRuntime, answer: Any) -> Steps:
    """VERIFIED: SetUserMFAPreference when TOTP is to be preferred."""
    if not data.prefer:
        yield Fire("no_preference")
        return
    token = yield ACCESS_TOKEN
    settings = {"Enabled": True, "PreferredMfa": True}
    call = Call(
        "SetUserMFAPreference", {"AccessToken": token, "SoftwareTokenMfaSettings": settings}
    )
    if (yield from request(TOTP_SETUP, data, call)) is not None:
        yield Fire("SetUserMFAPreference")


def _a_totp_code(data: TotpSetupData, value: Any) -> tuple[str, str | None]:
    name: str | None = None
    if isinstance(value, TotpCode):
        value, name = value.code, value.device_name
    if name is not None and not isinstance(name, str):
        raise InvalidAnswerError("the device name must be a string")
    return require_code(value, digits=(6, 6)), name


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State("INITIAL", kind="start", run=associate, sends="AssociateSoftwareToken (AccessToken)"),
    State(
        "VERIFY_SOFTWARE_TOKEN",
        handler="verify_software_token",
        run=_verify,
        validate=_a_totp_code,
        shows="the secret and its otpauth:// URI (`totp`; not after a resume)",
        answer="the 6-digit code, or `TotpCode(code, device_name)`",
        sends="VerifySoftwareToken (`new_secret()`: AssociateSoftwareToken)",
    ),
    State(
        "VERIFIED",
        kind="library",
        run=_finish,
        sends="SetUserMFAPreference when TOTP is to be preferred, else nothing",
    ),
    State("DONE", kind="final"),
    State("FAILED", kind="final", shows="the error"),
)

STATES = tuple(spec.name for spec in SPECS)
_WAITING = ("VERIFY_SOFTWARE_TOKEN",)

#: The whole TOTP-setup automaton.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "AssociateSoftwareToken", ("INITIAL", *_WAITING), "VERIFY_SOFTWARE_TOKEN", _associated
    ),
    Transition("VerifySoftwareToken", _WAITING, "VERIFIED", _verified),
    Transition("CodeMismatchException", _WAITING, "=", record_error),
    Transition("EnableSoftwareTokenMFAException", _WAITING, "=", record_error),
    # VerifySoftwareToken lost its answer and the probe found TOTP not verified: the code
    # was not taken; the host may send a new one.
    Transition("OutcomeUnknown", _WAITING, "=", record_outcome_unknown),
    Transition("SetUserMFAPreference", ("VERIFIED",), "DONE"),
    Transition("no_preference", ("VERIFIED",), "DONE"),
    Transition("failed", ("INITIAL", *_WAITING, "VERIFIED"), "FAILED", record_error),
)

#: The TOTP-setup flow's table and shared machine.
TOTP_SETUP = FlowTable("totp_setup", specs=SPECS, transitions=TRANSITIONS)


def step_for(
    data: TotpSetupData,
    rt: TotpSetupRuntime,
    *,
    error: CognitoFlowsError | None,
    retry: bool,
    issuer: str = "AWSCognito",
) -> Step:
    """The step of a TOTP setup: what its state's spec says the host sees."""
    spec = TOTP_SETUP.spec(data.state)
    totp = None
    if spec.handler is not None and rt.secret:
        totp = TotpSetup(secret=rt.secret, account=data.username, issuer=issuer)
    return spec_step(
        TOTP_SETUP, data.state, error=error, retry=retry, totp=totp, username=data.username
    )
