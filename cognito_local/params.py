"""Reading request members the way Cognito validates them, and the operation registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ServiceError

if TYPE_CHECKING:
    from .state import Backend

__all__ = ["OPERATIONS", "Operation", "Params", "RequestContext", "operation"]


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _validation(name: str, constraint: str, value: object = None) -> ServiceError:
    shown = "null" if value is None else repr(value) if not isinstance(value, str) else f"'{value}'"
    if isinstance(value, str) and ("Password" in name or "Secret" in name or "Code" in name):
        shown = "'[PROTECTED]'"
    return ServiceError(
        "InvalidParameterException",
        f"1 validation error detected: Value {shown} at '{_camel(name)}' failed to satisfy "
        f"constraint: {constraint}",
    )


class Params:
    """The JSON members of one request, with typed, validating accessors."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return self.data.get(name) is not None

    def req_str(self, name: str, *, min_len: int = 1, max_len: int | None = None) -> str:
        """A required string member."""
        value = self.data.get(name)
        if value is None:
            raise _validation(name, "Member must not be null")
        return self._check_str(name, value, min_len, max_len)

    def opt_str(self, name: str, *, min_len: int = 1, max_len: int | None = None) -> str | None:
        """An optional string member (``None`` when absent or null)."""
        value = self.data.get(name)
        if value is None:
            return None
        return self._check_str(name, value, min_len, max_len)

    @staticmethod
    def _check_str(name: str, value: object, min_len: int, max_len: int | None) -> str:
        if not isinstance(value, str):
            raise ServiceError("SerializationException", f"Expected a string for {name}")
        if len(value) < min_len:
            raise _validation(
                name, f"Member must have length greater than or equal to {min_len}", value
            )
        if max_len is not None and len(value) > max_len:
            raise _validation(
                name, f"Member must have length less than or equal to {max_len}", value
            )
        return value

    def opt_bool(self, name: str) -> bool | None:
        """An optional boolean member."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise ServiceError("SerializationException", f"Expected a boolean for {name}")
        return value

    def opt_int(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An optional integer member, range-checked."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ServiceError("SerializationException", f"Expected an integer for {name}")
        if minimum is not None and value < minimum:
            raise _validation(
                name, f"Member must have value greater than or equal to {minimum}", value
            )
        if maximum is not None and value > maximum:
            raise _validation(
                name, f"Member must have value less than or equal to {maximum}", value
            )
        return value

    def enum(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
        """An optional (or required) member restricted to ``allowed``."""
        value = self.req_str(name) if required else self.opt_str(name)
        if value is not None and value not in allowed:
            raise _validation(
                name, f"Member must satisfy enum value set: [{', '.join(allowed)}]", value
            )
        return value

    def str_map(self, name: str) -> dict[str, str]:
        """A string-to-string map member; null values are dropped (as the JS SDK sends them)."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ServiceError("SerializationException", f"Expected a map for {name}")
        out: dict[str, str] = {}
        for key, item in value.items():
            if item is None:
                continue
            if not isinstance(item, str):
                raise ServiceError("SerializationException", f"Expected string values in {name}")
            out[str(key)] = item
        return out

    def opt_dict(self, name: str) -> dict[str, Any] | None:
        """An optional structure member."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ServiceError("SerializationException", f"Expected a structure for {name}")
        return dict(value)

    def opt_list(self, name: str) -> list[Any] | None:
        """An optional list member."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise ServiceError("SerializationException", f"Expected a list for {name}")
        return value

    def str_list(self, name: str) -> list[str] | None:
        """An optional list of strings."""
        value = self.opt_list(name)
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise ServiceError("SerializationException", f"Expected strings in {name}")
        return [str(v) for v in value]

    def attributes(self, name: str) -> list[tuple[str, str]] | None:
        """An ``AttributeListType`` member as ``(Name, Value)`` pairs."""
        value = self.opt_list(name)
        if value is None:
            return None
        out: list[tuple[str, str]] = []
        for item in value:
            if not isinstance(item, Mapping) or not isinstance(item.get("Name"), str):
                raise _validation(f"{name}.member.name", "Member must not be null")
            val = item.get("Value", "")
            if val is None:
                val = ""
            if not isinstance(val, str):
                raise ServiceError("SerializationException", f"Expected a string value in {name}")
            out.append((item["Name"], val))
        return out


@attrs.define(eq=False)
class RequestContext:
    """What a handler knows about the request besides its members."""

    backend: Backend
    operation: str
    source_ip: str = "127.0.0.1"
    signed: bool = False


Handler = Callable[[RequestContext, Params], Awaitable[dict[str, Any]]]


@attrs.frozen
class Operation:
    """A registered cognito-idp operation."""

    name: str
    handler: Handler
    signed: bool


#: Every implemented operation, by name.
OPERATIONS: dict[str, Operation] = {}


def operation(name: str, *, signed: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the cognito-idp operation ``name``.

    ``signed=True`` marks an IAM-authorised (admin) operation, which requires a SigV4
    ``Authorization`` header.
    """

    def register(handler: Handler) -> Handler:
        OPERATIONS[name] = Operation(name=name, handler=handler, signed=signed)
        return handler

    return register
