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

from ..errors import CognitoError
from ._table import FlowTable, State, Transition

__all__ = ["SIGN_UP", "SPECS", "STATES", "TRANSITIONS", "SignUpData"]


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
    session: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"SignUpData(state={self.state!r}, username={self.username!r})"


def record_delivery(data: Any, *, response: Mapping[str, Any]) -> None:
    details = response.get("CodeDeliveryDetails") or {}
    data.delivery_medium = details.get("DeliveryMedium")
    data.delivery_destination = details.get("Destination")
    data.delivery_attribute = details.get("AttributeName")
    data.error_code = data.error_message = None


def _record_sign_up(data: SignUpData, *, response: Mapping[str, Any]) -> None:
    data.user_sub = response.get("UserSub")
    record_delivery(data, response=response)


def _record_confirmed(data: SignUpData, *, response: Mapping[str, Any]) -> None:
    session = response.get("Session")
    data.session = session if isinstance(session, str) and session else None
    data.error_code = data.error_message = None


def record_error(data: Any, *, error: CognitoError) -> None:
    """Count a rejected answer and keep its code and message (no secrets in either)."""
    data.attempts += 1
    data.error_code = error.code
    data.error_message = error.message


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State(
        "INITIAL",
        kind="start",
        answer="nothing (the password was given when the flow was made)",
        sends="SignUp (Username, Password, UserAttributes, ValidationData)",
    ),
    State(
        "CONFIRM_SIGN_UP",
        handler="confirm_sign_up",
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
    Transition("ResendConfirmationCode", ("CONFIRM_SIGN_UP",), "=", record_delivery),
    Transition("ConfirmSignUp", ("CONFIRM_SIGN_UP",), "CONFIRMED", _record_confirmed),
    Transition("CodeMismatchException", ("CONFIRM_SIGN_UP",), "=", record_error),
    Transition("ExpiredCodeException", ("CONFIRM_SIGN_UP",), "=", record_error),
    Transition("failed", ("INITIAL", "CONFIRM_SIGN_UP"), "FAILED", record_error),
)

#: The sign-up flow's table and shared machine.
SIGN_UP = FlowTable("sign_up", specs=SPECS, transitions=TRANSITIONS)
