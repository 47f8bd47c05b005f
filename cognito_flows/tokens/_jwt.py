"""JWT helpers shared by the token set, the JWKS cache and the verifier: decoding a compact
JWS WITHOUT verifying anything, and the checks on its JSON values.

Nothing here checks a signature or a claim; :mod:`cognito_flows.tokens.verifier` does.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, Literal, TypeGuard

from ..errors import MalformedTokenError

__all__ = ["ALGORITHM", "MAX_TOKEN_CHARS", "TokenUse", "is_number", "split_jws"]

TokenUse = Literal["id", "access"]

#: Longest token the verifier parses. Cognito's tokens are a few KiB (an id token with
#: many attributes and groups stays far below this); anything longer is refused unparsed.
MAX_TOKEN_CHARS = 32 * 1024

#: The only signing algorithm accepted (Cognito signs with RS256), whatever a token says.
ALGORITHM = "RS256"


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        # RecursionError: JSON nested deeper than the interpreter's recursion limit.
        raise MalformedTokenError("token segment is not base64url-encoded JSON") from None


def split_jws(token: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS, unverified."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise MalformedTokenError("token is not a compact JWS (three dot-separated parts)")
    if len(token) > MAX_TOKEN_CHARS:
        raise MalformedTokenError(f"token is longer than {MAX_TOKEN_CHARS} characters")
    header_seg, payload_seg, _ = token.split(".")
    header = _b64url_json(header_seg)
    payload = _b64url_json(payload_seg)
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise MalformedTokenError("token header or payload is not a JSON object")
    return header, payload


def is_number(value: object) -> TypeGuard[float]:
    """A finite JSON number (not a bool, not NaN or infinite, small enough for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False
