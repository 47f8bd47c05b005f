"""The repr of a secret field: every printer that follows attrs' field reprs (``repr()``,
``rich.print``, ``rich.inspect``, rich tracebacks with locals, field-walking loggers) shows
that a value is there, never the value."""

from __future__ import annotations

__all__ = ["hidden"]


def hidden(value: object) -> str:
    """``None`` and empty values as they are; anything else as ``<hidden>``."""
    if value is None:
        return "None"
    if isinstance(value, str | bytes | dict | list | tuple) and not value:
        return repr(value)
    return "<hidden>"
