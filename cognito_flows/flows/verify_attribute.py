"""Verifying a user attribute (``email``, ``phone_number``) of a signed-in user.

States: ``INITIAL`` -> (GetUserAttributeVerificationCode: Cognito sends a code) ->
``CONFIRM_ATTRIBUTE`` (waiting for the code; a wrong or expired code stays here, asking for
a new code stays here) -> (VerifyUserAttribute) -> ``VERIFIED``.

A flow may also begin in ``CONFIRM_ATTRIBUTE`` when Cognito already sent the code (after
UpdateUserAttributes changed the attribute). Sans-I/O: data and table only.
"""

from __future__ import annotations

import attrs

from ._table import FlowTable, State, Transition
from .sign_up import record_delivery, record_error

__all__ = ["SPECS", "STATES", "TRANSITIONS", "VERIFY_ATTRIBUTE", "VerifyAttributeData"]


@attrs.define(repr=False)
class VerifyAttributeData:
    """The plain data of one attribute verification (never the code or the access token).

    Attributes:
        attribute: the attribute's name (``email``, ``phone_number``).
        state: the current state.
        username: the user's Cognito user name, when known.
        client_metadata: passed to the custom message Lambda trigger.
        delivery_medium / delivery_destination / delivery_attribute: where the code went.
        error_code / error_message: the last Cognito error; attempts: wrong codes so far.
    """

    attribute: str
    state: str = "INITIAL"
    username: str | None = None
    client_metadata: dict[str, str] = attrs.field(factory=dict)
    delivery_medium: str | None = None
    delivery_destination: str | None = None
    delivery_attribute: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"VerifyAttributeData(state={self.state!r}, attribute={self.attribute!r})"


def _verified(data: VerifyAttributeData) -> None:
    data.error_code = data.error_message = None


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State("INITIAL", kind="start", sends="GetUserAttributeVerificationCode (AttributeName)"),
    State(
        "CONFIRM_ATTRIBUTE",
        handler="verify_attribute",
        shows="where the code went (`delivery`)",
        answer="the code",
        sends="VerifyUserAttribute (`resend()`: GetUserAttributeVerificationCode)",
    ),
    State("VERIFIED", kind="final"),
    State("FAILED", kind="final", shows="the error"),
)

STATES = tuple(spec.name for spec in SPECS)
_WAITING = ("CONFIRM_ATTRIBUTE",)

#: The whole attribute-verification automaton.
TRANSITIONS: tuple[Transition, ...] = (
    Transition("CodeDeliveryDetails", ("INITIAL", *_WAITING), "CONFIRM_ATTRIBUTE", record_delivery),
    Transition("VerifyUserAttribute", _WAITING, "VERIFIED", _verified),
    Transition("CodeMismatchException", _WAITING, "=", record_error),
    Transition("ExpiredCodeException", _WAITING, "=", record_error),
    Transition("failed", ("INITIAL", *_WAITING), "FAILED", record_error),
)

#: The attribute-verification flow's table and shared machine.
VERIFY_ATTRIBUTE = FlowTable("verify_attribute", specs=SPECS, transitions=TRANSITIONS)
