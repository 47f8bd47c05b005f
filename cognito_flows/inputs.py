"""Checks of what a host passes in, shared by the pool, the flow store and the CLI.

A user name reaches Cognito as JSON text, SECRET_HASH's HMAC input and the SRP hashes, all of
which need it encodable as UTF-8. A ``str`` with lone surrogates (Python's stand-in for the
invalid UTF-8 bytes of a command line, ``os.fsdecode``) is not: it must be refused up front
as bad input, like a password is (:func:`cognito_flows.engine.require_text`), rather than
fail later inside botocore or the SRP code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidAnswerError, SnapshotError

__all__ = ["require_complete_snapshot", "require_username"]

#: Per flow type, the states whose snapshot must carry the flow's result: a sign-in that
#: signed in (``DONE``, or ``REMEMBER_DEVICE`` after the tokens came) holds its tokens in
#: ``result.tokens``; without them a resumed flow would say DONE and hand out nothing.
_RESULT_STATES: dict[str, frozenset[str]] = {
    "sign_in": frozenset({"DONE", "REMEMBER_DEVICE"}),
}


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


def require_complete_snapshot(snapshot: object) -> None:
    """Refuse a snapshot that says its flow finished but lacks the result it finished with.

    Call it before resuming (``UserPool.resume`` and the flow store do). Snapshots of
    other states and flow types pass unchanged; their own checks happen on resume.

    Raises:
        SnapshotError: a sign-in snapshot in ``DONE`` or ``REMEMBER_DEVICE`` whose
            ``result.tokens`` is missing or is not a valid token set.
    """
    if not isinstance(snapshot, Mapping):
        raise SnapshotError("a snapshot must be a JSON object")
    states = _RESULT_STATES.get(snapshot.get("flow"))  # type: ignore[arg-type]
    data = snapshot.get("data")
    state = data.get("state") if isinstance(data, Mapping) else None
    if states is None or state not in states:
        return
    result: Any = snapshot.get("result")
    tokens = result.get("tokens") if isinstance(result, Mapping) else None
    if not isinstance(tokens, Mapping):
        raise SnapshotError(f"the snapshot says {state} but holds no tokens")
    try:
        from .tokens import TokenSet  # jwt and cryptography: only when a snapshot is read

        TokenSet.from_dict(tokens)
    except Exception as exc:  # TokenSetFormatError, or anything a forged value raises
        raise SnapshotError(
            f"the snapshot says {state} but its tokens are malformed ({type(exc).__name__})"
        ) from None
