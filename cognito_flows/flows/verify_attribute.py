"""Verifying a user attribute (``email``, ``phone_number``) of a signed-in user.

States: ``INITIAL`` -> (GetUserAttributeVerificationCode: Cognito sends a code) ->
``CONFIRM_ATTRIBUTE`` (waiting for the code; a wrong or expired code stays here, asking for
a new code stays here) -> (VerifyUserAttribute) -> ``VERIFIED``.

A flow may also begin in ``CONFIRM_ATTRIBUTE`` when Cognito already sent the code (after
UpdateUserAttributes changed the attribute). Sans-I/O: data and table only.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..errors import CognitoError, CognitoFlowsError, OutcomeUnknownError
from ..steps import CodeDelivery, Step
from ._common import a_code, record_delivery, record_error, record_outcome_unknown, spec_step
from ._table import (
    ACCESS_TOKEN,
    Call,
    Fire,
    FlowTable,
    State,
    Steps,
    Transition,
    reject,
    request_twice,
)

__all__ = [
    "SPECS",
    "STATES",
    "TRANSITIONS",
    "VERIFY_ATTRIBUTE",
    "VerifyAttributeData",
    "send_code",
    "step_for",
]


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


def send_code(data: VerifyAttributeData, rt: Any, answer: Any = None) -> Steps:
    """GetUserAttributeVerificationCode: Cognito sends a code (INITIAL, ``resend()``)."""
    token = yield ACCESS_TOKEN
    params = {
        "AccessToken": token,
        "AttributeName": data.attribute,
        "ClientMetadata": dict(data.client_metadata) or None,
    }
    call = Call("GetUserAttributeVerificationCode", params)
    response = yield from request_twice(VERIFY_ATTRIBUTE, data, call)
    if response is not None:
        yield Fire("CodeDeliveryDetails", {"response": response})


def _verify(data: VerifyAttributeData, rt: Any, code: Any) -> Steps:
    """CONFIRM_ATTRIBUTE: VerifyUserAttribute with the code."""
    token = yield ACCESS_TOKEN
    params = {"AccessToken": token, "AttributeName": data.attribute, "Code": code}
    try:
        yield Call("VerifyUserAttribute", params)
    except OutcomeUnknownError as exc:
        # The answer was lost: GetUser says whether Cognito verified the attribute
        # (``<attribute>_verified``, API reference, VerifyUserAttribute / GetUser).
        user = yield Call("GetUser", {"AccessToken": token})
        values = {a.get("Name"): a.get("Value") for a in user.get("UserAttributes") or ()}
        if values.get(f"{data.attribute}_verified") == "true":
            yield Fire("VerifyUserAttribute")
        else:
            yield Fire("OutcomeUnknown", {"error": exc}, error=exc)
        return
    except CognitoError as exc:
        yield from reject(VERIFY_ATTRIBUTE, data, exc)
        return
    yield Fire("VerifyUserAttribute")


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State(
        "INITIAL",
        kind="start",
        run=send_code,
        sends="GetUserAttributeVerificationCode (AttributeName)",
    ),
    State(
        "CONFIRM_ATTRIBUTE",
        handler="verify_attribute",
        run=_verify,
        validate=a_code,
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
    # VerifyUserAttribute lost its answer and GetUser shows the attribute unverified.
    Transition("OutcomeUnknown", _WAITING, "=", record_outcome_unknown),
    Transition("failed", ("INITIAL", *_WAITING), "FAILED", record_error),
)

#: The attribute-verification flow's table and shared machine.
VERIFY_ATTRIBUTE = FlowTable("verify_attribute", specs=SPECS, transitions=TRANSITIONS)


def step_for(
    data: VerifyAttributeData, rt: Any, *, error: CognitoFlowsError | None, retry: bool
) -> Step:
    """The step of an attribute verification: what its state's spec says the host sees."""
    delivery = None
    if data.delivery_medium or data.delivery_destination:
        delivery = CodeDelivery(
            medium=data.delivery_medium,
            destination=data.delivery_destination,
            attribute=data.delivery_attribute or data.attribute,
        )
    return spec_step(
        VERIFY_ATTRIBUTE,
        data.state,
        error=error,
        retry=retry,
        delivery=delivery,
        username=data.username,
    )
