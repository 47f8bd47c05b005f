"""The forgot-password flow: ForgotPassword, then ConfirmForgotPassword.

States: ``INITIAL`` -> ``CONFIRM_FORGOT_PASSWORD`` (waiting for the code and a new
password; a wrong or expired code and a password that breaks the policy stay here with a
typed error; asking for a new code stays here) -> ``DONE``.
"""

from __future__ import annotations

import attrs

from ._table import FlowTable, State, Transition
from .sign_up import record_delivery, record_error

__all__ = ["FORGOT_PASSWORD", "SPECS", "STATES", "TRANSITIONS", "ForgotPasswordData"]


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


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State("INITIAL", kind="start", sends="ForgotPassword (Username)"),
    State(
        "CONFIRM_FORGOT_PASSWORD",
        handler="confirm_forgot_password",
        shows="where the code went (`delivery`)",
        answer="`ResetPassword(code, new_password)` or a `(code, new_password)` tuple",
        sends="ConfirmForgotPassword (`resend()`: ForgotPassword)",
    ),
    State("DONE", kind="final", next_flow="sign_in", shows="`next_flow`: sign_in"),
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
    Transition("CodeMismatchException", _WAITING, "=", record_error),
    Transition("ExpiredCodeException", _WAITING, "=", record_error),
    Transition("InvalidPasswordException", _WAITING, "=", record_error),
    Transition("PasswordHistoryPolicyViolationException", _WAITING, "=", record_error),
    Transition("failed", ("INITIAL", *_WAITING), "FAILED", record_error),
)

#: The forgot-password flow's table and shared machine.
FORGOT_PASSWORD = FlowTable("forgot_password", specs=SPECS, transitions=TRANSITIONS)
