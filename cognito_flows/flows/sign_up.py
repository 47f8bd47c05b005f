"""The sign-up flow: SignUp, then ConfirmSignUp with the code Cognito sent.

States: ``INITIAL`` -> ``CONFIRM_SIGN_UP`` (waiting for the code; a wrong or expired code
stays here, ResendConfirmationCode stays here) -> ``CONFIRMED``. A pool whose pre-sign-up
trigger confirms users answers SignUp with ``UserConfirmed`` and the flow is confirmed at
once. ``CONFIRMED`` may carry the Session that ConfirmSignUp returns, which signs the user
in without the password (auto sign-in, USER_AUTH).

Like every flow module it is sans-I/O: data, the table, and nothing that calls Cognito.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import (
    CognitoError,
    CognitoFlowsError,
    InvalidSessionError,
    NotAuthorizedError,
    OutcomeUnknownError,
    hidden,
    masked,
)
from ..steps import Step
from ._common import (
    a_code,
    attribute_list,
    delivery,
    record_delivery,
    record_error,
    record_outcome_unknown,
    spec_step,
    user_params,
)
from ._table import (
    Call,
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
    "SIGN_UP",
    "SPECS",
    "STATES",
    "TRANSITIONS",
    "SignUpData",
    "SignUpRuntime",
    "resend",
    "step_for",
]


@masked
@attrs.define(repr=False)
class SignUpData:
    """The plain data of one sign-up (what a snapshot holds; never the password).

    Attributes:
        username: the user name (or e-mail / phone when the pool uses them as user names).
        state: the current state.
        attributes: user attributes sent with SignUp.
        validation_data / client_metadata: passed to Lambda triggers.
        user_sub: the new user's ``sub``.
        delivery_medium / delivery_destination / delivery_attribute: where the code went.
        session: ConfirmSignUp's Session, for auto sign-in.
        error_code / error_message: the last Cognito error; attempts: wrong codes so far.
    """

    username: str
    state: str = "INITIAL"
    attributes: dict[str, str] = attrs.field(factory=dict)
    validation_data: dict[str, str] = attrs.field(factory=dict)
    client_metadata: dict[str, str] = attrs.field(factory=dict)
    user_sub: str | None = None
    delivery_medium: str | None = None
    delivery_destination: str | None = None
    delivery_attribute: str | None = None
    session: str | None = attrs.field(default=None, repr=hidden)
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"SignUpData(state={self.state!r}, username={self.username!r})"


def _record_sign_up(data: SignUpData, *, response: Mapping[str, Any]) -> None:
    data.user_sub = response.get("UserSub")
    record_delivery(data, response=response)


def _record_confirmed(data: SignUpData, *, response: Mapping[str, Any]) -> None:
    session = response.get("Session")
    data.session = session if isinstance(session, str) and session else None
    data.error_code = data.error_message = None


@masked
@attrs.define(repr=False)
class SignUpRuntime:
    """What one sign-up holds besides its data (never in a snapshot): the password, for
    SignUp and the sign-in after it, and SignUp's Session, for auto sign-in."""

    password: str | None = attrs.field(default=None, repr=hidden)
    sign_up_session: str | None = attrs.field(default=None, repr=hidden)

    def __repr__(self) -> str:
        return "SignUpRuntime(<hidden>)"


def _sign_up(data: SignUpData, rt: SignUpRuntime, answer: Any) -> Steps:
    """INITIAL: SignUp; confirmed at once when a trigger confirms the user."""
    # No password: a passwordless user (the pool must allow passwordless sign-in).
    params = {
        "Password": rt.password or None,
        "UserAttributes": attribute_list(data.attributes) or None,
        "ValidationData": attribute_list(data.validation_data) or None,
        **user_params(data),
    }
    response = yield from request(SIGN_UP, data, Call("SignUp", params))
    if response is None:
        return
    rt.sign_up_session = response.get("Session")
    event = "UserConfirmed" if response.get("UserConfirmed") else "CodeDeliveryDetails"
    yield Fire(event, {"response": response})


def _confirm(data: SignUpData, rt: SignUpRuntime, code: Any) -> Steps:
    """CONFIRM_SIGN_UP: ConfirmSignUp, with SignUp's Session while it is valid."""
    params = {"ConfirmationCode": code, **user_params(data)}
    if rt.sign_up_session is not None:
        # SignUp's session (for auto sign-in) may have expired while the user read their
        # e-mail: confirm without it; sign-in then falls back to the password.
        try:
            response = yield Call("ConfirmSignUp", {**params, "Session": rt.sign_up_session})
        except InvalidSessionError:
            rt.sign_up_session = None
        except OutcomeUnknownError:
            yield from _probe_confirmed(data, params)
            return
        except CognitoError as exc:
            yield from reject(SIGN_UP, data, exc)
            return
        else:
            yield Fire("ConfirmSignUp", {"response": response})
            return
    try:
        response = yield Call("ConfirmSignUp", params)
    except OutcomeUnknownError:
        yield from _probe_confirmed(data, params)
        return
    except CognitoError as exc:
        yield from reject(SIGN_UP, data, exc)
        return
    yield Fire("ConfirmSignUp", {"response": response})


#: ConfirmSignUp's answer for a user who is confirmed already (API reference, ConfirmSignUp:
#: NotAuthorizedException; the message is Cognito's "User cannot be confirmed. Current
#: status is CONFIRMED", as measured and as the local Cognito answers).
_ALREADY_CONFIRMED = "Current status is CONFIRMED"


def _probe_confirmed(data: SignUpData, params: Mapping[str, Any]) -> Steps:
    """ConfirmSignUp lost its answer: send it once more (without the spent Session). Either
    it confirms the user now, or Cognito says the user is CONFIRMED already: both are the
    success the first call may have been."""
    try:
        response = yield Call("ConfirmSignUp", dict(params))
    except NotAuthorizedError as exc:
        if _ALREADY_CONFIRMED not in exc.message:
            yield from reject(SIGN_UP, data, exc)
            return
        response = {}
    except (CognitoError, OutcomeUnknownError) as exc:
        yield from reject(SIGN_UP, data, exc)
        return
    yield Fire("ConfirmSignUp", {"response": response})


def resend(data: SignUpData, rt: SignUpRuntime) -> Steps:
    """ResendConfirmationCode (in CONFIRM_SIGN_UP)."""
    call = Call("ResendConfirmationCode", user_params(data))
    response = yield from request_twice(SIGN_UP, data, call)
    if response is not None:
        yield Fire("ResendConfirmationCode", {"response": response})


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State(
        "INITIAL",
        kind="start",
        run=_sign_up,
        answer="nothing (the password was given when the flow was made)",
        sends="SignUp (Username, Password, UserAttributes, ValidationData)",
    ),
    State(
        "CONFIRM_SIGN_UP",
        handler="confirm_sign_up",
        run=_confirm,
        validate=a_code,
        shows="where the code went (`delivery`)",
        answer="the code",
        sends="ConfirmSignUp (`resend()`: ResendConfirmationCode)",
    ),
    State(
        "CONFIRMED",
        kind="final",
        next_flow="sign_in",
        shows="`next_flow`: sign_in (with ConfirmSignUp's Session when Cognito gave one)",
    ),
    State("FAILED", kind="final", shows="the error"),
)

STATES = tuple(spec.name for spec in SPECS)

#: The whole sign-up automaton.
TRANSITIONS: tuple[Transition, ...] = (
    Transition("CodeDeliveryDetails", ("INITIAL",), "CONFIRM_SIGN_UP", _record_sign_up),
    Transition("UserConfirmed", ("INITIAL",), "CONFIRMED", _record_sign_up),
    # SignUp lost its answer: the user may exist (with a code sent): confirm or resend.
    Transition("OutcomeUnknown", ("INITIAL",), "CONFIRM_SIGN_UP", record_outcome_unknown),
    Transition("ResendConfirmationCode", ("CONFIRM_SIGN_UP",), "=", record_delivery),
    Transition("ConfirmSignUp", ("CONFIRM_SIGN_UP",), "CONFIRMED", _record_confirmed),
    Transition("CodeMismatchException", ("CONFIRM_SIGN_UP",), "=", record_error),
    Transition("ExpiredCodeException", ("CONFIRM_SIGN_UP",), "=", record_error),
    Transition("failed", ("INITIAL", "CONFIRM_SIGN_UP"), "FAILED", record_error),
)

#: The sign-up flow's table and shared machine.
SIGN_UP = FlowTable("sign_up", specs=SPECS, transitions=TRANSITIONS)


def step_for(
    data: SignUpData, rt: SignUpRuntime, *, error: CognitoFlowsError | None, retry: bool
) -> Step:
    """The step of a sign-up: what its state's spec says the host sees."""
    return spec_step(
        SIGN_UP,
        data.state,
        error=error,
        retry=retry,
        delivery=delivery(data),
        username=data.username,
    )
