"""Request members type-checked against botocore's cognito-idp model.

AWS deserialises a JSON 1.1 request against the operation's input shape before any
handler runs: a member of the wrong JSON type (a string where a structure or an integer
belongs, a list where a string belongs...) is a 400 ``SerializationException``. The
emulator does the same, so no handler ever sees a malformed member. Unknown members and
nulls are left to the handlers (null is "absent"; the JS SDK sends nulls in maps);
constraints (lengths, ranges, enums) are the handlers' business too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .errors import ServiceError

__all__ = ["check_request"]

_SCALARS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "String"),
    "blob": ((str,), "Blob"),
    "integer": ((int,), "Integer"),
    "long": ((int,), "Long"),
    "boolean": ((bool,), "Boolean"),
    "double": ((int, float), "Double"),
    "float": ((int, float), "Float"),
    "timestamp": ((int, float, str), "Timestamp"),
}


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    import botocore.loaders
    import botocore.model

    loader = botocore.loaders.Loader()
    return botocore.model.ServiceModel(
        loader.load_service_model("cognito-idp", "service-2"), "cognito-idp"
    )


@functools.cache
def _input_shape(operation: str) -> Any:
    model = _service_model()
    if operation not in model.operation_names:
        return None
    return model.operation_model(operation).input_shape


def _token(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


def _mismatch(value: object, expected: str) -> ServiceError:
    if isinstance(value, Mapping):
        message = "Start of structure or map found where not expected."
    elif isinstance(value, list):
        message = "Start of list found where not expected."
    else:
        message = f"{_token(value)} cannot be converted to {expected}"
    return ServiceError("SerializationException", message)


def _lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _pattern(shape: Any, name: str, value: object) -> None:
    """A string with a lone surrogate (valid JSON, invalid Unicode) cannot match the
    shape's pattern (every pattern of the model names Unicode classes or ASCII ranges):
    AWS's validation error, without echoing the value."""
    pattern = shape.metadata.get("pattern")
    if pattern and isinstance(value, str) and _lone_surrogate(value):
        member = name[:1].lower() + name[1:]
        raise ServiceError(
            "InvalidParameterException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}",
        )


def _check(shape: Any, value: object, name: str = "") -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise _mismatch(value, "a structure")
        members = shape.members
        for key, item in value.items():
            member = members.get(key)
            if member is not None and item is not None:
                _check(member, item, key)
        return
    if kind == "list":
        if not isinstance(value, list):
            raise _mismatch(value, "a list")
        for item in value:
            if item is not None:
                _check(shape.member, item, f"{name}.member")
        return
    if kind == "map":
        if not isinstance(value, Mapping):
            raise _mismatch(value, "a map")
        for key, item in value.items():
            _pattern(shape.key, f"{name}.key", key)
            if item is not None:
                _check(shape.value, item, f"{name}.value")
        return
    types, expected = _SCALARS.get(kind, ((object,), kind))
    if (
        not isinstance(value, types)
        or isinstance(value, (Mapping, list))
        or (isinstance(value, bool) and kind != "boolean")
    ):
        raise _mismatch(value, expected)
    _pattern(shape, name, value)


def check_request(operation: str, data: Mapping[str, Any]) -> None:
    """Raise SerializationException when a member of ``data`` has the wrong JSON type.

    Raises:
        ServiceError: ``SerializationException`` (HTTP 400).
    """
    shape = _input_shape(operation)
    if shape is not None:
        _check(shape, data)
