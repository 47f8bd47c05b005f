"""Errors the emulator answers, in Cognito's JSON 1.1 wire form."""

from __future__ import annotations

__all__ = [
    "ServiceError",
    "code_mismatch",
    "expired_code",
    "invalid_parameter",
    "missing_parameter",
    "not_authorized",
    "resource_not_found",
    "user_not_found",
]


class ServiceError(Exception):
    """An error answered to the client as ``{"__type": code, "message": message}``.

    Attributes:
        code: the Cognito error code, for example ``"NotAuthorizedException"``.
        message: the human-readable message (Cognito's own wording where known).
        status: the HTTP status (400 for client errors, 500 for internal ones).
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_authorized(message: str) -> ServiceError:
    """``NotAuthorizedException`` with ``message``."""
    return ServiceError("NotAuthorizedException", message)


def invalid_parameter(message: str) -> ServiceError:
    """``InvalidParameterException`` with ``message``."""
    return ServiceError("InvalidParameterException", message)


def missing_parameter(name: str) -> ServiceError:
    """Cognito's error for a missing AuthParameters/ChallengeResponses entry."""
    return ServiceError("InvalidParameterException", f"Missing required parameter {name}")


def resource_not_found(message: str) -> ServiceError:
    """``ResourceNotFoundException`` with ``message``."""
    return ServiceError("ResourceNotFoundException", message)


def user_not_found() -> ServiceError:
    """``UserNotFoundException: User does not exist.``"""
    return ServiceError("UserNotFoundException", "User does not exist.")


CODE_MISMATCH = "Invalid verification code provided, please try again."
CODE_EXPIRED = "Invalid code provided, please request a code again."


def code_mismatch(message: str = CODE_MISMATCH) -> ServiceError:
    """``CodeMismatchException``."""
    return ServiceError("CodeMismatchException", message)


def expired_code(message: str = CODE_EXPIRED) -> ServiceError:
    """``ExpiredCodeException``."""
    return ServiceError("ExpiredCodeException", message)
