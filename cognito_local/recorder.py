"""An opt-in log of the cognito-idp requests the emulator received, secrets masked.

Off by default. Turn it on with ``local.backend.requests = RequestLog()``; every API call
that reaches an operation (``POST /`` with a known ``X-Amz-Target`` and a JSON object
body) is then kept as a :class:`RecordedRequest`: the operation name, its parsed body with
every secret replaced by ``"***"`` (so a key's presence is kept, never its value), and the
error code the emulator answered with (``None`` on success). Tests use it to compare what
two clients send for the same scenario (``tests/local/test_amplify.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["MASK", "RecordedRequest", "RequestLog", "mask_secrets"]

MASK = "***"

#: Members and parameter keys whose value is a secret (passwords, codes, proofs, tokens,
#: sessions, SRP values, device verifiers). ``ANSWER`` is masked unless it names a
#: challenge (SELECT_MFA_TYPE / SELECT_CHALLENGE answers are not secret).
SECRET_KEYS = frozenset(
    {
        "AccessToken",
        "AuthorizationCode",
        "ClientSecret",
        "Code",
        "ConfirmationCode",
        "Credential",
        "DeviceSecretVerifierConfig",
        "Password",
        "PreviousPassword",
        "ProposedPassword",
        "RefreshToken",
        "SecretCode",
        "Session",
        "Token",
        "UserCode",
        "CREDENTIAL",
        "DEVICE_PASSWORD",
        "EMAIL_OTP_CODE",
        "NEW_PASSWORD",
        "PASSWORD",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "PASSWORD_CLAIM_SIGNATURE",
        "REFRESH_TOKEN",
        "SECRET_HASH",
        "SMS_MFA_CODE",
        "SMS_OTP_CODE",
        "SOFTWARE_TOKEN_MFA_CODE",
        "SRP_A",
        "SecretHash",
    }
)
_CHALLENGE_NAMES = frozenset(
    {
        "SMS_MFA",
        "SMS_OTP",
        "EMAIL_OTP",
        "SOFTWARE_TOKEN_MFA",
        "PASSWORD",
        "PASSWORD_SRP",
        "WEB_AUTHN",
    }
)


def mask_secrets(value: Any, key: str | None = None) -> Any:
    """``value`` with every secret (see :data:`SECRET_KEYS`) replaced by :data:`MASK`."""
    if key is not None and value is not None:
        if key in SECRET_KEYS:
            return MASK
        if key == "ANSWER" and value not in _CHALLENGE_NAMES:
            return MASK
    if isinstance(value, Mapping):
        return {str(k): mask_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


@attrs.frozen
class RecordedRequest:
    """One API call: operation, masked body, and the error code answered (or None)."""

    operation: str
    body: dict[str, Any]
    error: str | None = None


class RequestLog:
    """The requests received while this log is installed on a backend, in order."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []

    def record(self, operation: str, body: Mapping[str, Any], error: str | None) -> None:
        """Keep one request (its secrets masked)."""
        self.requests.append(RecordedRequest(operation, mask_secrets(body), error))

    def clear(self) -> None:
        """Forget every request recorded so far."""
        self.requests.clear()

    def __len__(self) -> int:
        return len(self.requests)

    def __repr__(self) -> str:
        return f"RequestLog({len(self.requests)} requests)"
