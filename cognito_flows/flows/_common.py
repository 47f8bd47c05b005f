"""What the code flows share: the ``delivery_*`` and error fields' callbacks, the
parameters every unauthenticated code flow sends, and where the code went.

Sans-I/O, like every flow module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import CognitoError, CognitoFlowsError, InvalidAnswerError
from ..steps import CodeDelivery, Step, require_code

if TYPE_CHECKING:
    from ._table import FlowTable

__all__ = [
    "a_code",
    "attribute_list",
    "delivery",
    "record_delivery",
    "record_error",
    "record_outcome_unknown",
    "spec_step",
    "user_params",
]


def a_code(data: Any, value: Any) -> str:
    """A state's answer validator for a one-time code (``steps.require_code``)."""
    return require_code(value)


def spec_step(
    table: FlowTable,
    state: str,
    *,
    error: CognitoFlowsError | None,
    retry: bool,
    **shown: Any,
) -> Step:
    """The step a state's spec says the host sees (flow, state, done, handler, next flow),
    with what the flow shows besides (``shown``: delivery, user name, TOTP secret...)."""
    spec = table.spec(state)
    done = spec.kind == "final"
    return Step(
        flow=table.name,
        state=state,
        done=done,
        handler=spec.handler,
        error=error,
        retry=retry and not done,
        next_flow=spec.next_flow,
        **shown,
    )


def record_delivery(data: Any, *, response: Mapping[str, Any]) -> None:
    """Keep where Cognito sent the code (``CodeDeliveryDetails``); clear the last error."""
    details = response.get("CodeDeliveryDetails") or {}
    data.delivery_medium = details.get("DeliveryMedium")
    data.delivery_destination = details.get("Destination")
    data.delivery_attribute = details.get("AttributeName")
    data.error_code = data.error_message = None


def record_error(data: Any, *, error: CognitoError) -> None:
    """Count a rejected answer and keep its code and message (no secrets in either)."""
    data.attempts += 1
    data.error_code = error.code
    data.error_message = error.message


def record_outcome_unknown(data: Any, *, error: Any) -> None:
    """Keep a lost answer's marker (``OutcomeUnknown``) as the last error; not an attempt."""
    data.error_code = error.code
    data.error_message = error.message


def delivery(data: Any) -> CodeDelivery | None:
    """Where the code went, from a flow's ``delivery_*`` fields."""
    if not (data.delivery_medium or data.delivery_destination):
        return None
    return CodeDelivery(
        medium=data.delivery_medium,
        destination=data.delivery_destination,
        attribute=data.delivery_attribute,
    )


def user_params(data: Any) -> dict[str, Any]:
    """Username and ClientMetadata, as every call of the unauthenticated code flows sends
    (the client adds ClientId and SecretHash over the same Username)."""
    params: dict[str, Any] = {"Username": data.username}
    if data.client_metadata:
        params["ClientMetadata"] = dict(data.client_metadata)
    return params


def attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    """``[{"Name": ..., "Value": ...}]`` of a mapping of strings."""
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidAnswerError("attributes must map strings to strings")
    return [{"Name": k, "Value": v} for k, v in attributes.items()]
