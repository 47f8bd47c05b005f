"""The forgot-password flow: ForgotPassword, then ConfirmForgotPassword.

States: ``INITIAL`` -> ``CONFIRM_FORGOT_PASSWORD`` (waiting for the code and a new
password; a wrong or expired code and a password that breaks the policy stay here with a
typed error; asking for a new code stays here) -> ``DONE``.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import CognitoFlowsError, InvalidAnswerError
from ..steps import ResetPassword, Step, require_code, require_text
from ._common import (
    delivery,
    record_delivery,
    record_error,
    record_outcome_unknown,
    spec_step,
    user_params,
)
from ._table import Call, Fire, FlowTable, State, Steps, Transition, request, request_twice

__all__ = [
    "FORGOT_PASSWORD",
    "SPECS",
    "STATES",
    "TRANSITIONS",
    "ForgotPasswordData",
    "send_code",
    "step_for",
]


@attrs.define(repr=False)
class ForgotPasswordData:
    """The plain data of one password reset (never the code or the new password)."""

    username: str
    state: str = "INITIAL"
    client_metadata: dict[str, str] = attrs.field(factory=dict)
    delivery_medium: str | None = None
    delivery_destination: str | None = None
    delivery_attribute: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"ForgotPasswordData(state={self.state!r}, username={self.username!r})"


def send_code(data: ForgotPasswordData, rt: Any, answer: Any = None) -> Steps:
    """ForgotPassword: Cognito sends a code (INITIAL, and ``resend()``)."""
    call = Call("ForgotPassword", user_params(data))
    response = yield from request_twice(FORGOT_PASSWORD, data, call)
    if response is not None:
        yield Fire("CodeDeliveryDetails", {"response": response})


def _reset(data: ForgotPasswordData, rt: Any, answer: Any) -> Steps:
    """CONFIRM_FORGOT_PASSWORD: ConfirmForgotPassword with the code and the new password."""
    code, password = answer
    params = {"ConfirmationCode": code, "Password": password, **user_params(data)}
    call = Call("ConfirmForgotPassword", params)
    if (yield from request(FORGOT_PASSWORD, data, call)) is not None:
        yield Fire("ConfirmForgotPassword")


def _a_reset(data: ForgotPasswordData, value: Any) -> tuple[str, str]:
    if isinstance(value, tuple) and len(value) == 2:
        value = ResetPassword(*value)
    if not isinstance(value, ResetPassword):
        raise InvalidAnswerError("answer with ResetPassword(code, new_password)")
    return require_code(value.code), require_text(value.password, "the new password")


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State("INITIAL", kind="start", run=send_code, sends="ForgotPassword (Username)"),
    State(
        "CONFIRM_FORGOT_PASSWORD",
        handler="confirm_forgot_password",
        run=_reset,
        validate=_a_reset,
        shows="where the code went (`delivery`)",
        answer="`ResetPassword(code, new_password)` or a `(code, new_password)` tuple",
        sends="ConfirmForgotPassword (`resend()`: ForgotPassword)",
    ),
    State("DONE", kind="final", next_flow="sign_in", shows="`next_flow`: sign_in"),
    State(
        "RESET_UNKNOWN",
        kind="final",
        next_flow="sign_in",
        shows="ConfirmForgotPassword lost its answer: the password may have been reset "
        "(sign in with the new password to find out; `error` is the OutcomeUnknownError)",
    ),
    State("FAILED", kind="final", shows="the error"),
)

STATES = tuple(spec.name for spec in SPECS)
_WAITING = ("CONFIRM_FORGOT_PASSWORD",)

#: The whole forgot-password automaton.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "CodeDeliveryDetails", ("INITIAL", *_WAITING), "CONFIRM_FORGOT_PASSWORD", record_delivery
    ),
    Transition("ConfirmForgotPassword", _WAITING, "DONE"),
    # The reset may have happened: not FAILED (a resend would say "code expired").
    Transition("OutcomeUnknown", _WAITING, "RESET_UNKNOWN", record_outcome_unknown),
    Transition("CodeMismatchException", _WAITING, "=", record_error),
    Transition("ExpiredCodeException", _WAITING, "=", record_error),
    Transition("InvalidPasswordException", _WAITING, "=", record_error),
    Transition("PasswordHistoryPolicyViolationException", _WAITING, "=", record_error),
    Transition("failed", ("INITIAL", *_WAITING), "FAILED", record_error),
)

#: The forgot-password flow's table and shared machine.
FORGOT_PASSWORD = FlowTable("forgot_password", specs=SPECS, transitions=TRANSITIONS)


def step_for(
    data: ForgotPasswordData, rt: Any, *, error: CognitoFlowsError | None, retry: bool
) -> Step:
    """The step of a password reset: what its state's spec says the host sees."""
    return spec_step(
        FORGOT_PASSWORD,
        data.state,
        error=error,
        retry=retry,
        delivery=delivery(data),
        username=data.username,
    )
