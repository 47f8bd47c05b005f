"""Checks of what a host passes in, shared by the pool and the CLI.

A user name reaches Cognito as JSON text, SECRET_HASH's HMAC input and the SRP hashes, all of
which need it encodable as UTF-8. A ``str`` with lone surrogates (Python's stand-in for the
invalid UTF-8 bytes of a command line, ``os.fsdecode``) is not: it must be refused up front
as bad input, like a password is (:func:`cognito_flows.engine.require_text`), rather than
fail later inside botocore or the SRP code.
"""

from __future__ import annotations

from .errors import InvalidAnswerError

__all__ = ["require_username"]


def require_username(value: object, what: str = "the user name") -> str:
    """Validate a user name (or alias) given by the host; returns it unchanged.

    Raises:
        InvalidAnswerError: not a string, empty, or not valid Unicode text (lone
            surrogates). The message never quotes the value.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidAnswerError(f"{what} is empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidAnswerError(f"{what} is not valid Unicode text") from None
    return value
