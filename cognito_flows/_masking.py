"""The repr of a secret field: every printer that follows attrs' field reprs (``repr()``,
``rich.print``, ``rich.inspect``, rich tracebacks with locals, field-walking loggers) shows
that a value is there, never the value."""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["hidden", "masked"]


def hidden(value: object) -> str:
    """``None`` and empty values as they are; anything else as ``<hidden>``."""
    if value is None:
        return "None"
    if isinstance(value, str | bytes | dict | list | tuple) and not value:
        return repr(value)
    return "<hidden>"


T = TypeVar("T", bound=type)


def masked(cls: T) -> T:
    """Class decorator (above ``@attrs.define``): leave the masked fields out of ``dir()``,
    so ``rich.inspect``, which lists every public attribute by value, skips them too."""
    hidden_names = frozenset(f.name for f in attrs.fields(cls) if f.repr is not True)
    base_dir: Any = cls.__dir__

    def __dir__(self: object) -> list[str]:
        return [name for name in base_dir(self) if name not in hidden_names]

    cls.__dir__ = __dir__  # type: ignore[method-assign, assignment]
    return cls
