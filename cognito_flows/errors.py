"""The exception hierarchy of ``cognito_flows``.

Every exception the library raises derives from :class:`CognitoFlowsError`.

* :class:`CognitoError` and its subclasses stand for an error *answered by Cognito*. Each
  Cognito error code maps to one class (``NotAuthorizedException`` ->
  :class:`NotAuthorizedError`), keeping the original ``code``, ``message``, ``request_id``,
  ``operation`` and HTTP status. Cognito overloads ``NotAuthorizedException`` for several
  unrelated situations; :func:`from_cognito` refines it by message into
  :class:`IncorrectCredentialsError`, :class:`PasswordAttemptsExceededError`,
  :class:`InvalidSessionError`, :class:`SecretHashMismatchError` and friends, which all
  remain ``NotAuthorizedError`` subclasses.
* :class:`SrpError` is raised by the SRP math when a server value is unsafe.
* :class:`ProtocolError` is raised when a response from Cognito has an unexpected shape.
* :class:`FlowError` and its subclasses are raised by the flow engine.

No exception text ever contains a password, code, token, secret or SRP value: messages
are built only from Cognito's own error message, operation names and challenge names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "AliasExistsError",
    "CodeDeliveryFailureError",
    "CodeMismatchError",
    "CognitoError",
    "CognitoFlowsError",
    "ConcurrentModificationError",
    "ConfigurationError",
    "DeviceNotFoundError",
    "EnableSoftwareTokenMFAError",
    "ExpiredCodeError",
    "FlowConflictError",
    "FlowError",
    "FlowExpiredError",
    "FlowFinishedError",
    "ForbiddenError",
    "HandlerError",
    "IncorrectCredentialsError",
    "InternalErrorError",
    "InvalidAnswerError",
    "InvalidLambdaResponseError",
    "InvalidParameterError",
    "InvalidPasswordError",
    "InvalidSessionError",
    "InvalidUserPoolConfigurationError",
    "LimitExceededError",
    "MFAMethodNotFoundError",
    "MissingHandlerError",
    "NotAuthorizedError",
    "PasswordAttemptsExceededError",
    "PasswordHistoryPolicyViolationError",
    "PasswordResetRequiredError",
    "ProtocolError",
    "RefreshTokenReuseError",
    "ResourceNotFoundError",
    "SecretHashMismatchError",
    "SnapshotError",
    "ServiceUnavailableError",
    "SoftwareTokenMFANotFoundError",
    "SrpError",
    "TokenRevokedError",
    "TokenVerificationError",
    "TooManyFailedAttemptsError",
    "TooManyRequestsError",
    "UnexpectedLambdaError",
    "UnknownChallengeError",
    "UnsupportedOperationError",
    "UnsupportedTokenTypeError",
    "UserDisabledError",
    "UserLambdaValidationError",
    "UserNotConfirmedError",
    "UserNotFoundError",
    "UsernameExistsError",
    "error_class_for_code",
    "from_cognito",
]


class CognitoFlowsError(Exception):
    """Base class of every exception raised by ``cognito_flows``."""


class ConfigurationError(CognitoFlowsError):
    """The library was configured inconsistently (for example no region can be derived)."""


class SrpError(CognitoFlowsError):
    """An SRP value from the server is unsafe (``B mod N == 0`` or ``u == 0``) or malformed."""


class ProtocolError(CognitoFlowsError):
    """A response from Cognito does not have the shape the protocol requires."""


class TokenVerificationError(CognitoFlowsError):
    """A JWT failed verification (signature, issuer, audience, token use or expiry)."""


# --------------------------------------------------------------------------------------
# Errors answered by Cognito


class CognitoError(CognitoFlowsError):
    """An error answered by Cognito.

    Attributes:
        code: Cognito's error code, for example ``"NotAuthorizedException"``.
        message: Cognito's own error message (never contains secrets sent by the client).
        operation: the Cognito operation that failed, for example ``"InitiateAuth"``.
        request_id: the AWS request id, when the response carried one.
        http_status: the HTTP status code of the response, when known.
    """

    #: The Cognito error code this class stands for (``""`` for the generic class).
    code_name: ClassVar[str] = ""

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        operation: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.code: str = code or self.code_name or "UnknownError"
        self.message: str = message
        self.operation = operation
        self.request_id = request_id
        self.http_status = http_status
        super().__init__(message)

    def __str__(self) -> str:
        where = f" in {self.operation}" if self.operation else ""
        return f"{self.code}{where}: {self.message}" if self.message else f"{self.code}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"operation={self.operation!r}, request_id={self.request_id!r})"
        )


_REGISTRY: dict[str, type[CognitoError]] = {}


def _code(code: str) -> Any:
    def register(cls: type[CognitoError]) -> type[CognitoError]:
        cls.code_name = code
        _REGISTRY[code] = cls
        return cls

    return register


@_code("NotAuthorizedException")
class NotAuthorizedError(CognitoError):
    """Cognito refused the request (``NotAuthorizedException``); see the refined subclasses."""


class IncorrectCredentialsError(NotAuthorizedError):
    """Wrong user name or password ("Incorrect username or password.")."""


class PasswordAttemptsExceededError(NotAuthorizedError):
    """Too many wrong passwords: the user is temporarily locked out."""


class InvalidSessionError(NotAuthorizedError):
    """The challenge ``Session`` is invalid, already used or expired."""


class SecretHashMismatchError(NotAuthorizedError):
    """SECRET_HASH is missing or wrong for a client that has a secret."""


class UserDisabledError(NotAuthorizedError):
    """The user is disabled."""


class TokenRevokedError(NotAuthorizedError):
    """The access or refresh token was revoked, expired or is not valid."""


@_code("UserNotFoundException")
class UserNotFoundError(CognitoError):
    """No such user (only answered when PreventUserExistenceErrors is off)."""


@_code("UserNotConfirmedException")
class UserNotConfirmedError(CognitoError):
    """The user signed up but has not confirmed the account yet."""


@_code("PasswordResetRequiredException")
class PasswordResetRequiredError(CognitoError):
    """An administrator reset the password; the user must run forgot-password."""


@_code("CodeMismatchException")
class CodeMismatchError(CognitoError):
    """The code (confirmation, MFA, TOTP) is wrong."""


@_code("ExpiredCodeException")
class ExpiredCodeError(CognitoError):
    """The code has expired or was already used."""


@_code("InvalidPasswordException")
class InvalidPasswordError(CognitoError):
    """The password breaks the pool's password policy."""


@_code("PasswordHistoryPolicyViolationException")
class PasswordHistoryPolicyViolationError(InvalidPasswordError):
    """The new password was used recently."""


@_code("InvalidParameterException")
class InvalidParameterError(CognitoError):
    """A parameter is missing or malformed."""


@_code("LimitExceededException")
class LimitExceededError(CognitoError):
    """A per-user or per-account limit was reached (for example code sends)."""


@_code("TooManyRequestsException")
class TooManyRequestsError(CognitoError):
    """Throttled. The client layer retries these before raising."""


@_code("TooManyFailedAttemptsException")
class TooManyFailedAttemptsError(CognitoError):
    """Too many failed attempts for this operation."""


@_code("UsernameExistsException")
class UsernameExistsError(CognitoError):
    """A user with that name already exists."""


@_code("AliasExistsException")
class AliasExistsError(CognitoError):
    """An e-mail or phone number is already used as an alias by another user."""


@_code("ResourceNotFoundException")
class ResourceNotFoundError(CognitoError):
    """A pool, client or device does not exist."""


class DeviceNotFoundError(ResourceNotFoundError):
    """The remembered device no longer exists ("Device does not exist.")."""


@_code("CodeDeliveryFailureException")
class CodeDeliveryFailureError(CognitoError):
    """Cognito could not deliver the code."""


@_code("InvalidUserPoolConfigurationException")
class InvalidUserPoolConfigurationError(CognitoError):
    """The user pool is not configured for this request."""


@_code("MFAMethodNotFoundException")
class MFAMethodNotFoundError(CognitoError):
    """No MFA method is available for the user."""


@_code("SoftwareTokenMFANotFoundException")
class SoftwareTokenMFANotFoundError(CognitoError):
    """TOTP MFA is not set up for the user."""


@_code("EnableSoftwareTokenMFAException")
class EnableSoftwareTokenMFAError(CodeMismatchError):
    """The TOTP code given while enabling software token MFA is wrong.

    A :class:`CodeMismatchError`: the API reference describes
    ``EnableSoftwareTokenMFAException`` as "thrown when there is a code mismatch and the
    service fails to configure the software token TOTP multi-factor authentication (MFA)"
    (VerifySoftwareToken), so ``except CodeMismatchError`` catches every wrong code.
    """


@_code("UnsupportedOperationException")
class UnsupportedOperationError(CognitoError):
    """The operation is not supported for this pool or client."""


@_code("UnsupportedTokenTypeException")
class UnsupportedTokenTypeError(CognitoError):
    """The token type is not supported by this operation."""


@_code("RefreshTokenReuseException")
class RefreshTokenReuseError(CognitoError):
    """A rotated refresh token was used again after its grace period."""


@_code("ForbiddenException")
class ForbiddenError(CognitoError):
    """AWS WAF or the pool's settings refused the request."""


@_code("InternalErrorException")
class InternalErrorError(CognitoError):
    """Cognito had an internal error (retried by the client layer first)."""


@_code("ServiceUnavailable")
class ServiceUnavailableError(CognitoError):
    """Cognito was unavailable (retried by the client layer first)."""


@_code("ConcurrentModificationException")
class ConcurrentModificationError(CognitoError):
    """Another request changed the same resource at the same time."""


@_code("InvalidLambdaResponseException")
class InvalidLambdaResponseError(CognitoError):
    """A Lambda trigger answered something Cognito could not use."""


@_code("UnexpectedLambdaException")
class UnexpectedLambdaError(CognitoError):
    """A Lambda trigger failed."""


@_code("UserLambdaValidationException")
class UserLambdaValidationError(CognitoError):
    """A Lambda trigger rejected the request."""


# Refinements of NotAuthorizedException, matched on Cognito's message (first match wins).
_NOT_AUTHORIZED_REFINEMENTS: tuple[tuple[re.Pattern[str], type[NotAuthorizedError]], ...] = (
    (re.compile(r"password attempts exceeded", re.I), PasswordAttemptsExceededError),
    (re.compile(r"secret[ _]hash", re.I), SecretHashMismatchError),
    (
        re.compile(r"invalid session|session is expired|session can only be used once", re.I),
        InvalidSessionError,
    ),
    (re.compile(r"user is disabled", re.I), UserDisabledError),
    (
        re.compile(
            r"token (has been |has )?(revoked|expired)|invalid (refresh|access) token|"
            r"refresh token has (been revoked|expired)",
            re.I,
        ),
        TokenRevokedError,
    ),
    (re.compile(r"incorrect username or password", re.I), IncorrectCredentialsError),
)


def error_class_for_code(code: str) -> type[CognitoError]:
    """The exception class for a Cognito error code (``CognitoError`` when unknown)."""
    return _REGISTRY.get(code, CognitoError)


def from_cognito(
    code: str,
    message: str = "",
    *,
    operation: str | None = None,
    request_id: str | None = None,
    http_status: int | None = None,
) -> CognitoError:
    """Build the typed exception for a Cognito error code and message."""
    code = code.rsplit("#", 1)[-1]  # "com.amazon.coral#FooException" -> "FooException"
    cls = error_class_for_code(code)
    if cls is NotAuthorizedError:
        for pattern, refined in _NOT_AUTHORIZED_REFINEMENTS:
            if pattern.search(message):
                cls = refined
                break
    elif cls is ResourceNotFoundError and re.search(r"device does not exist", message, re.I):
        cls = DeviceNotFoundError
    return cls(
        message, code=code, operation=operation, request_id=request_id, http_status=http_status
    )


def from_botocore_response(response: Mapping[str, Any], operation: str | None) -> CognitoError:
    """Build the typed exception from a botocore ``ClientError.response`` mapping."""
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    return from_cognito(
        str(error.get("Code") or "UnknownError"),
        str(error.get("Message") or ""),
        operation=operation,
        request_id=meta.get("RequestId"),
        http_status=meta.get("HTTPStatusCode"),
    )


# --------------------------------------------------------------------------------------
# Flow engine errors


class FlowError(CognitoFlowsError):
    """Base class of errors raised by the flow engine."""


class MissingHandlerError(FlowError):
    """A challenge arrived for which the host supplied no handler."""

    def __init__(self, challenge: str) -> None:
        self.challenge = challenge
        super().__init__(f"no handler for challenge {challenge}")


class UnknownChallengeError(ProtocolError, FlowError):
    """Cognito returned a ChallengeName this library does not know."""

    def __init__(self, challenge: str) -> None:
        self.challenge = challenge
        super().__init__(f"unknown challenge {challenge!r}")


class InvalidAnswerError(FlowError, ValueError):
    """The host's answer to a step is malformed (wrong type, empty or non-numeric code...)."""


class HandlerError(FlowError):
    """A host handler raised; the original exception is chained as ``__cause__``."""


class FlowFinishedError(FlowError):
    """The flow is already finished and cannot take another answer."""


class FlowExpiredError(FlowError):
    """The flow's Cognito session expired; start the flow again."""


class SnapshotError(FlowError):
    """A snapshot cannot be resumed: malformed, another version, another pool or client."""


class FlowConflictError(FlowError):
    """Another worker changed the stored flow first (compare-and-set lost)."""
