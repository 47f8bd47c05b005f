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
* :class:`OAuthError` and its subclasses stand for an error answered by a user pool
  domain's OAuth 2.0 endpoints (``/oauth2/token``, ``/oauth2/revoke``, ``/oauth2/userInfo``,
  or an ``error`` sent back to the redirect URI): ``code`` is the OAuth ``error``
  (``invalid_grant``...). :class:`InvalidGrantError` is also a :class:`NotAuthorizedError`,
  so a refresh token refused at ``/oauth2/token`` signs a ``TokenManager`` out like one
  refused by the API. ``OAUTH_ERRORS`` maps the ``error`` values to classes.
* :class:`SrpError` is raised by the SRP math when a server value is unsafe;
  :class:`SrpDeadlineError` when SRP work could not start before its session's deadline.
* :class:`ProtocolError` is raised when a response from Cognito has an unexpected shape.
* :class:`OutcomeUnknownError` is raised when a call Cognito may have applied lost its
  answer (an HTTP 5xx, a dropped connection or a read timeout after the request was sent)
  and the call was not resent because applying it twice is not safe.
* :class:`StoreUnavailableError` is raised when the flow store or the refresh coordinator
  cannot reach its backend (Redis).
* :class:`FlowError` and its subclasses are raised by the flow engine.

Each class's docstring ends with what to do about it ("What to do: ..."); the docs'
error page is generated from these docstrings. The whole tree, kept equal to the classes
by ``tests/test_errors.py``::

    CognitoFlowsError
    ├── CognitoConnectionError
    ├── CognitoError
    │   ├── AliasExistsError
    │   ├── CodeDeliveryFailureError
    │   ├── CodeMismatchError
    │   │   └── EnableSoftwareTokenMFAError
    │   ├── ConcurrentModificationError
    │   ├── DeviceKeyExistsError
    │   ├── ExpiredCodeError
    │   ├── FeatureUnavailableInTierError
    │   ├── ForbiddenError
    │   ├── InternalErrorError
    │   ├── InvalidEmailRoleAccessPolicyError
    │   ├── InvalidLambdaResponseError
    │   ├── InvalidOAuthFlowError
    │   ├── InvalidParameterError
    │   ├── InvalidPasswordError
    │   │   └── PasswordHistoryPolicyViolationError
    │   ├── InvalidSmsRoleAccessPolicyError
    │   ├── InvalidSmsRoleTrustRelationshipError
    │   ├── InvalidUserPoolConfigurationError
    │   ├── LimitExceededError
    │   ├── MFAMethodNotFoundError
    │   ├── NotAuthorizedError
    │   │   ├── IncorrectCredentialsError
    │   │   ├── InvalidSessionError
    │   │   ├── PasswordAttemptsExceededError
    │   │   ├── SecretHashMismatchError
    │   │   ├── TokenRevokedError
    │   │   └── UserDisabledError
    │   ├── OAuthError
    │   │   ├── InvalidClientError
    │   │   ├── InvalidGrantError (also NotAuthorizedError)
    │   │   ├── InvalidScopeError
    │   │   ├── OAuthStateError
    │   │   └── UnauthorizedClientError
    │   ├── OperationNotEnabledError
    │   ├── PasswordResetRequiredError
    │   ├── PreconditionNotMetError
    │   ├── RefreshTokenReuseError
    │   ├── ResourceNotFoundError
    │   │   └── DeviceNotFoundError
    │   ├── ScopeDoesNotExistError
    │   ├── ServiceUnavailableError
    │   ├── SoftwareTokenMFANotFoundError
    │   ├── TierChangeNotAllowedError
    │   ├── TooManyFailedAttemptsError
    │   ├── TooManyRequestsError
    │   ├── UnauthorizedError
    │   ├── UnexpectedLambdaError
    │   ├── UnsupportedOperationError
    │   ├── UnsupportedTokenTypeError
    │   ├── UnsupportedUserStateError
    │   ├── UserImportInProgressError
    │   ├── UserLambdaValidationError
    │   ├── UserNotConfirmedError
    │   ├── UserNotFoundError
    │   ├── UserPoolAddOnNotEnabledError
    │   ├── UserPoolTaggingError
    │   ├── UsernameExistsError
    │   ├── WebAuthnChallengeNotFoundError
    │   ├── WebAuthnClientMismatchError
    │   ├── WebAuthnConfigurationMissingError
    │   ├── WebAuthnCredentialNotSupportedError
    │   ├── WebAuthnNotEnabledError
    │   ├── WebAuthnOriginNotAllowedError
    │   └── WebAuthnRelyingPartyMismatchError
    ├── ConfigurationError
    ├── FlowError
    │   ├── FlowConflictError
    │   │   ├── FlowBusyError
    │   │   ├── RefreshBusyError
    │   │   └── StaleFlowError
    │   ├── FlowExpiredError
    │   │   └── StoredFlowExpiredError
    │   ├── FlowFinishedError
    │   ├── HandlerError
    │   ├── InvalidAnswerError (also ValueError)
    │   ├── MissingHandlerError
    │   ├── PhoneNumberRequiredError
    │   └── SnapshotError
    │       └── SnapshotDecryptError
    ├── JwksFetchError
    ├── OutcomeUnknownError
    ├── ProtocolError
    │   └── UnknownChallengeError (also FlowError)
    ├── SignedOutError
    ├── SrpError
    │   └── SrpDeadlineError
    ├── StoreUnavailableError
    ├── TokenSetFormatError (also ValueError)
    └── TokenVerificationError
        └── TokenRejectedError
            ├── BadAlgorithmError
            ├── BadSignatureError
            ├── MalformedTokenError
            ├── NonceMismatchError
            ├── TokenExpiredError
            ├── TokenNotYetValidError
            ├── UnknownKidError
            ├── WrongAudienceError
            ├── WrongIssuerError
            └── WrongTokenUseError

No exception text ever contains a password, code, token, secret or SRP value: messages
are built only from Cognito's own error message, operation names and challenge names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, final

import attrs

__all__ = [
    "AliasExistsError",
    "BadAlgorithmError",
    "BadSignatureError",
    "CodeDeliveryFailureError",
    "CodeMismatchError",
    "CognitoConnectionError",
    "CognitoError",
    "CognitoFlowsError",
    "ConcurrentModificationError",
    "ConfigurationError",
    "DeviceKeyExistsError",
    "DeviceNotFoundError",
    "EnableSoftwareTokenMFAError",
    "ExpiredCodeError",
    "FeatureUnavailableInTierError",
    "FlowBusyError",
    "FlowConflictError",
    "FlowError",
    "FlowExpiredError",
    "FlowFinishedError",
    "ForbiddenError",
    "HandlerError",
    "IncorrectCredentialsError",
    "InternalErrorError",
    "InvalidAnswerError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidScopeError",
    "InvalidEmailRoleAccessPolicyError",
    "InvalidLambdaResponseError",
    "InvalidOAuthFlowError",
    "InvalidParameterError",
    "InvalidPasswordError",
    "InvalidSessionError",
    "InvalidSmsRoleAccessPolicyError",
    "InvalidSmsRoleTrustRelationshipError",
    "InvalidUserPoolConfigurationError",
    "JwksFetchError",
    "LimitExceededError",
    "MFAMethodNotFoundError",
    "MalformedTokenError",
    "MissingHandlerError",
    "NonceMismatchError",
    "NotAuthorizedError",
    "OAUTH_ERRORS",
    "OAuthError",
    "OAuthStateError",
    "OperationNotEnabledError",
    "OutcomeUnknownError",
    "PasswordAttemptsExceededError",
    "PhoneNumberRequiredError",
    "PasswordHistoryPolicyViolationError",
    "PasswordResetRequiredError",
    "PreconditionNotMetError",
    "ProtocolError",
    "RefreshBusyError",
    "RefreshTokenReuseError",
    "ResourceNotFoundError",
    "ScopeDoesNotExistError",
    "SecretHashMismatchError",
    "ServiceUnavailableError",
    "SignedOutError",
    "SnapshotDecryptError",
    "SnapshotError",
    "SoftwareTokenMFANotFoundError",
    "SrpDeadlineError",
    "SrpError",
    "StaleFlowError",
    "StoreUnavailableError",
    "StoredFlowExpiredError",
    "TierChangeNotAllowedError",
    "TokenExpiredError",
    "TokenNotYetValidError",
    "TokenRejectedError",
    "TokenRevokedError",
    "TokenSetFormatError",
    "TokenVerificationError",
    "TooManyFailedAttemptsError",
    "TooManyRequestsError",
    "UnauthorizedClientError",
    "UnauthorizedError",
    "UnexpectedLambdaError",
    "UnknownChallengeError",
    "UnknownKidError",
    "UnsupportedOperationError",
    "UnsupportedTokenTypeError",
    "UnsupportedUserStateError",
    "UserDisabledError",
    "UserImportInProgressError",
    "UserLambdaValidationError",
    "UserNotConfirmedError",
    "UserNotFoundError",
    "UserPoolAddOnNotEnabledError",
    "UserPoolTaggingError",
    "UsernameExistsError",
    "WebAuthnChallengeNotFoundError",
    "WebAuthnClientMismatchError",
    "WebAuthnConfigurationMissingError",
    "WebAuthnCredentialNotSupportedError",
    "WebAuthnNotEnabledError",
    "WebAuthnOriginNotAllowedError",
    "WebAuthnRelyingPartyMismatchError",
    "WrongAudienceError",
    "WrongIssuerError",
    "WrongTokenUseError",
    "error_class_for_code",
    "from_cognito",
]


class CognitoFlowsError(Exception):
    """Base class of every exception raised by ``cognito_flows``.

    What to do: Catch this to handle every error of the library in one place.
    """


class ConfigurationError(CognitoFlowsError):
    """The library was configured inconsistently (for example no region can be derived).

    What to do: Fix the arguments: the user pool id must look like `<region>_<id>`, or pass
    `region=` explicitly.
    """


class SrpError(CognitoFlowsError):
    """An SRP value from the server is unsafe (``B mod N == 0`` or ``u == 0``) or malformed.

    What to do: Treat as an attack or a broken server: do not retry with the same server values.
    Start a new sign-in.
    """


class SrpDeadlineError(SrpError):
    """An SRP answer could not start in time: the Cognito session it answers would expire.

    Raised by :class:`~cognito_flows.srp.SrpExecutor` when SRP work is still queued less than
    ``deadline_margin`` seconds before its session's deadline (more sign-ins at once than the
    SRP workers can answer). Nothing was sent to Cognito; the sign-in ends as FAILED.

    What to do: Start the sign-in again (it is safe: Cognito saw no answer). If it happens
    often, give SRP more workers (``SrpExecutor(max_concurrency=...)``, a larger executor,
    gmpy2, more cores) or admit fewer sign-ins at once.
    """

    def __init__(
        self,
        message: str = "the SRP answer could not be computed before its "
        "Cognito session expires; nothing was sent, start the sign-in again",
    ) -> None:
        super().__init__(message)


class ProtocolError(CognitoFlowsError):
    """A response from Cognito does not have the shape the protocol requires.

    What to do: Cognito (or an emulator) answered something the protocol does not allow. Report it
    with the operation name; retrying rarely helps.
    """


class OutcomeUnknownError(CognitoFlowsError):
    """A call that Cognito may have applied lost its answer, and was not resent.

    The request reached Cognito, but the answer was an HTTP 5xx, the connection broke, the
    read timed out or the answer could not be parsed. For an operation that must not be
    applied twice (SignUp, ConfirmSignUp, RespondToAuthChallenge, ChangePassword,
    ConfirmDevice...) the client layer does not resend it: a resend would turn a success
    into a misleading error ("Current status is CONFIRMED", "Incorrect username or
    password").

    Attributes:
        operation: the Cognito operation, for example ``"SignUp"``.
        reason: what was lost (``"HTTP 500 InternalErrorException"``,
            ``"ConnectionClosedError"``, ``"ReadTimeoutError"``); never a request or
            response body.

    What to do: Do not report the operation as failed and do not resend it blindly: find
    out what happened first (sign in, GetUser, try the next step), or tell the user the
    outcome is not known. The flows and :class:`~cognito_flows.account.Account` reconcile
    it themselves where they can (docs/errors.md, "Lost answers").
    """

    #: The event a flow table names for a lost answer (not a Cognito error code).
    code = "OutcomeUnknown"

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        #: The text the flows record, as they record a Cognito error's message.
        self.message = (
            f"{operation}: the answer was lost ({reason}); Cognito may have applied the call, "
            "so it was not resent"
        )
        super().__init__(self.message)


class StoreUnavailableError(CognitoFlowsError):
    """The flow store or the refresh coordinator could not use its backend (Redis down,
    a timeout, a refused command).

    Nothing about the flow was decided by this error: a flow whose claim failed was not
    answered (nothing reached Cognito); a finished flow whose save failed keeps its result
    (see :attr:`cognito_flows.store.FlowCheckout.save_error`).

    Attributes:
        operation: the store operation that failed (``"claim"``, ``"save"``...).
        reason: the class name of the backend's exception (its message may quote data).

    What to do: Answer HTTP 503 and let the user try again once the store is back.
    """

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"the flow store failed during {operation}: {reason}")


class TokenVerificationError(CognitoFlowsError):
    """A JWT failed verification (signature, issuer, audience, token use or expiry).

    What to do: Reject the request that carried the token (HTTP 401).
    """


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

    What to do: Read `code`, `message`, `operation` and `request_id`; the subclasses below say what
    each code means.
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
    """Cognito refused the request (``NotAuthorizedException``); see the refined subclasses.

    What to do: Cognito refused; see the refined subclasses. Do not tell the user which part was
    wrong.
    """


class IncorrectCredentialsError(NotAuthorizedError):
    """Wrong user name or password ("Incorrect username or password.").

    What to do: Ask for the user name and password again (say only that one of them is wrong).
    """


class PasswordAttemptsExceededError(NotAuthorizedError):
    """Too many wrong passwords: the user is temporarily locked out.

    What to do: Tell the user to wait; Cognito's lockout grows with each failure. Offer forgot-
    password.
    """


class InvalidSessionError(NotAuthorizedError):
    """The challenge ``Session`` is invalid, already used or expired.

    What to do: The challenge session expired or was used: the flow ends in `EXPIRED`; call
    `flow.restart()` or start a new sign-in.
    """


class SecretHashMismatchError(NotAuthorizedError):
    """SECRET_HASH is missing or wrong for a client that has a secret.

    What to do: Pass the app client's `client_secret=` to `UserPool` (or use a client without a
    secret).
    """


class UserDisabledError(NotAuthorizedError):
    """The user is disabled.

    What to do: An administrator disabled the user; nothing the user can do.
    """


class TokenRevokedError(NotAuthorizedError):
    """The access or refresh token was revoked, expired or is not valid.

    What to do: Sign in again; the refresh or access token is no longer valid.
    """


@_code("UserNotFoundException")
class UserNotFoundError(CognitoError):
    """No such user (only answered when PreventUserExistenceErrors is off).

    What to do: Only seen when PreventUserExistenceErrors is off. Show the same message as for a
    wrong password.
    """


@_code("UserNotConfirmedException")
class UserNotConfirmedError(CognitoError):
    """The user signed up but has not confirmed the account yet.

    What to do: A sign-in ends in `CONFIRM_SIGN_UP`: run `flow.next_flow()` (or
    `pool.confirm_sign_up_flow`) with the code Cognito sent.
    """


@_code("PasswordResetRequiredException")
class PasswordResetRequiredError(CognitoError):
    """An administrator reset the password; the user must run forgot-password.

    What to do: A sign-in ends in `RESET_PASSWORD`: run the forgot-password flow
    (`flow.next_flow()`).
    """


@_code("CodeMismatchException")
class CodeMismatchError(CognitoError):
    """The code (confirmation, MFA, TOTP) is wrong.

    What to do: The flow stays in its step with `step.retry`: ask for the code again.
    """


@_code("ExpiredCodeException")
class ExpiredCodeError(CognitoError):
    """The code has expired or was already used.

    What to do: Ask for a new code (ResendConfirmationCode, or start the forgot-password flow
    again).
    """


@_code("InvalidPasswordException")
class InvalidPasswordError(CognitoError):
    """The password breaks the pool's password policy.

    What to do: Show the pool's password policy and ask again; the flow stays in its step.
    """


@_code("PasswordHistoryPolicyViolationException")
class PasswordHistoryPolicyViolationError(InvalidPasswordError):
    """The new password was used recently.

    What to do: Ask for a password the user has not used recently.
    """


@_code("InvalidParameterException")
class InvalidParameterError(CognitoError):
    """A parameter is missing or malformed.

    What to do: A missing or malformed parameter (an e-mail address, an attribute): fix the input;
    during NEW_PASSWORD_REQUIRED the flow stays in its step.
    """


@_code("LimitExceededException")
class LimitExceededError(CognitoError):
    """A per-user or per-account limit was reached (for example code sends).

    What to do: Back off for minutes, not seconds; the flow is unchanged and the same answer can be
    sent later.
    """


@_code("TooManyRequestsException")
class TooManyRequestsError(CognitoError):
    """Throttled. The client layer retries these before raising.

    What to do: Already retried with backoff by the client layer; try later. The flow is unchanged.
    """


@_code("TooManyFailedAttemptsException")
class TooManyFailedAttemptsError(CognitoError):
    """Too many failed attempts for this operation.

    What to do: Stop asking; start again later.
    """


@_code("UsernameExistsException")
class UsernameExistsError(CognitoError):
    """A user with that name already exists.

    What to do: Ask for another user name, or offer sign-in.
    """


@_code("AliasExistsException")
class AliasExistsError(CognitoError):
    """An e-mail or phone number is already used as an alias by another user.

    What to do: The e-mail or phone belongs to another user: ask for another one.
    """


@_code("ResourceNotFoundException")
class ResourceNotFoundError(CognitoError):
    """A pool, client or device does not exist.

    What to do: Check the user pool id, client id and region.
    """


class DeviceNotFoundError(ResourceNotFoundError):
    """The remembered device no longer exists ("Device does not exist.").

    What to do: The remembered device was forgotten on the server: the library drops it and signs in
    without it.
    """


@_code("CodeDeliveryFailureException")
class CodeDeliveryFailureError(CognitoError):
    """Cognito could not deliver the code.

    What to do: Check the user's e-mail or phone, or the pool's SES/SNS setup.
    """


@_code("InvalidUserPoolConfigurationException")
class InvalidUserPoolConfigurationError(CognitoError):
    """The user pool is not configured for this request.

    What to do: Enable what the flow needs on the pool or app client (an auth flow, MFA, e-mail
    sending).
    """


@_code("MFAMethodNotFoundException")
class MFAMethodNotFoundError(CognitoError):
    """No MFA method is available for the user.

    What to do: Set up an MFA method first (MFA setup flow).
    """


@_code("SoftwareTokenMFANotFoundException")
class SoftwareTokenMFANotFoundError(CognitoError):
    """TOTP MFA is not set up for the user.

    What to do: Run TOTP setup before enabling TOTP MFA.
    """


@_code("EnableSoftwareTokenMFAException")
class EnableSoftwareTokenMFAError(CodeMismatchError):
    """The TOTP code given while enabling software token MFA is wrong.

    A :class:`CodeMismatchError`: the API reference describes
    ``EnableSoftwareTokenMFAException`` as "thrown when there is a code mismatch and the
    service fails to configure the software token TOTP multi-factor authentication (MFA)"
    (VerifySoftwareToken), so ``except CodeMismatchError`` catches every wrong code.

    What to do: The TOTP code did not verify: ask for the next code from the authenticator app.
    """


@_code("UnsupportedOperationException")
class UnsupportedOperationError(CognitoError):
    """The operation is not supported for this pool or client.

    What to do: The pool or client does not allow this operation (for example token revocation is
    off).
    """


@_code("UnsupportedTokenTypeException")
class UnsupportedTokenTypeError(CognitoError):
    """The token type is not supported by this operation.

    What to do: Pass the kind of token the operation expects.
    """


@_code("RefreshTokenReuseException")
class RefreshTokenReuseError(CognitoError):
    """A rotated refresh token was used again after its grace period.

    What to do: Refresh token rotation is on and an old token was used: sign in again, and keep only
    the newest refresh token.
    """


@_code("ForbiddenException")
class ForbiddenError(CognitoError):
    """AWS WAF or the pool's settings refused the request.

    What to do: AWS WAF or the pool refused the request; check the WAF rules.
    """


@_code("InternalErrorException")
class InternalErrorError(CognitoError):
    """Cognito had an internal error (retried by the client layer first).

    What to do: Transient (already retried): try again later.
    """


@_code("ServiceUnavailable")
class ServiceUnavailableError(CognitoError):
    """Cognito was unavailable (retried by the client layer first).

    What to do: Transient (already retried): try again later.
    """


@_code("ConcurrentModificationException")
class ConcurrentModificationError(CognitoError):
    """Another request changed the same resource at the same time.

    What to do: Retry the operation.
    """


@_code("InvalidLambdaResponseException")
class InvalidLambdaResponseError(CognitoError):
    """A Lambda trigger answered something Cognito could not use.

    What to do: Fix the Lambda trigger's response shape.
    """


@_code("UnexpectedLambdaException")
class UnexpectedLambdaError(CognitoError):
    """A Lambda trigger failed.

    What to do: Fix the Lambda trigger (see its CloudWatch logs).
    """


@_code("UserLambdaValidationException")
class UserLambdaValidationError(CognitoError):
    """A Lambda trigger rejected the request.

    What to do: A trigger rejected the request on purpose: show its message to the user.
    """


# --------------------------------------------------------------------------------------
# More Cognito error codes (every code botocore's model lists for an operation the library
# calls has a class; tests/test_errors.py checks it)


@_code("DeviceKeyExistsException")
class DeviceKeyExistsError(CognitoError):
    """ConfirmDevice was called with a device key that is already confirmed.

    What to do: The device is already confirmed: keep using its stored device secret; if that
    secret is lost, forget the device and sign in again.
    """


@_code("FeatureUnavailableInTierException")
class FeatureUnavailableInTierError(CognitoError):
    """The feature is not part of the user pool's feature plan (Lite, Essentials, Plus).

    What to do: Upgrade the pool's feature plan, or do not use the feature (for example choice-
    based sign-in, e-mail MFA or passkeys need Essentials).
    """


@_code("InvalidEmailRoleAccessPolicyException")
class InvalidEmailRoleAccessPolicyError(CognitoError):
    """Cognito is not allowed to use the pool's e-mail identity (SES).

    What to do: Fix the pool's SES sending authorization; nothing the user can do.
    """


@_code("InvalidOAuthFlowException")
class InvalidOAuthFlowError(CognitoError):
    """The app client's OAuth flow settings are not valid.

    What to do: Fix AllowedOAuthFlows of the app client.
    """


@_code("InvalidSmsRoleAccessPolicyException")
class InvalidSmsRoleAccessPolicyError(CognitoError):
    """The pool's SMS role may not publish with Amazon SNS.

    What to do: Fix the SMS role's IAM policy; nothing the user can do.
    """


@_code("InvalidSmsRoleTrustRelationshipException")
class InvalidSmsRoleTrustRelationshipError(CognitoError):
    """The pool's SMS role does not trust cognito-idp.amazonaws.com (or the external id is
    wrong).

    What to do: Fix the SMS role's trust relationship; nothing the user can do.
    """


@_code("OperationNotEnabledException")
class OperationNotEnabledError(CognitoError):
    """The operation is not available in this region or for this pool's configuration.

    What to do: Enable what the operation needs on the pool (for example passkeys), or call it
    in the pool's primary region.
    """


@_code("PreconditionNotMetException")
class PreconditionNotMetError(CognitoError):
    """A precondition of the request is not met.

    What to do: Read Cognito's message: it names the precondition; fix it and retry.
    """


@_code("ScopeDoesNotExistException")
class ScopeDoesNotExistError(CognitoError):
    """An OAuth scope named in the request does not exist.

    What to do: Create the scope on a resource server or remove it from the client.
    """


@_code("TierChangeNotAllowedException")
class TierChangeNotAllowedError(CognitoError):
    """The pool's feature plan cannot be changed this way.

    What to do: Change the feature plan in a way Cognito allows (see its message).
    """


@_code("UnauthorizedException")
class UnauthorizedError(CognitoError):
    """The request is not authorized, for example an invalid access token (RevokeToken).

    What to do: Sign in again to get valid tokens.
    """


@_code("UnsupportedUserStateException")
class UnsupportedUserStateError(CognitoError):
    """The user is in a state the operation does not support.

    What to do: Check the user's status (for example resend an invitation only to
    FORCE_CHANGE_PASSWORD users).
    """


@_code("UserImportInProgressException")
class UserImportInProgressError(CognitoError):
    """A user import job is running for the pool.

    What to do: Wait for the import job to finish, then retry.
    """


@_code("UserPoolAddOnNotEnabledException")
class UserPoolAddOnNotEnabledError(CognitoError):
    """The pool's threat protection add-on (UserPoolAddOns) is not enabled.

    What to do: Enable threat protection on the pool, or do not call the operation.
    """


@_code("UserPoolTaggingException")
class UserPoolTaggingError(CognitoError):
    """A user pool tag could not be set or updated.

    What to do: Fix the tags (keys, values, count) and retry.
    """


@_code("WebAuthnNotEnabledException")
class WebAuthnNotEnabledError(CognitoError):
    """Passkeys are not enabled for the user pool (WEB_AUTHN is not an allowed first factor).

    What to do: Allow WEB_AUTHN in the pool's sign-in policy (AllowedFirstAuthFactors), or offer
    another factor.
    """


@_code("WebAuthnConfigurationMissingException")
class WebAuthnConfigurationMissingError(CognitoError):
    """The pool has no relying party id for passkeys and no domain.

    What to do: Set WebAuthnConfiguration.RelyingPartyId (SetUserPoolMfaConfig) or give the pool
    a domain.
    """


@_code("WebAuthnChallengeNotFoundException")
class WebAuthnChallengeNotFoundError(CognitoError):
    """The passkey registration challenge expired or was never requested.

    What to do: Start the passkey registration again and complete it promptly.
    """


@_code("WebAuthnRelyingPartyMismatchException")
class WebAuthnRelyingPartyMismatchError(CognitoError):
    """The passkey was made for another relying party id than the pool's.

    What to do: Create the passkey on a page whose domain is the pool's relying party id.
    """


@_code("WebAuthnClientMismatchException")
class WebAuthnClientMismatchError(CognitoError):
    """The registration was completed with another app client's access token than it was started
    with.

    What to do: Start and complete a passkey registration with tokens of the same app client.
    """


@_code("WebAuthnOriginNotAllowedException")
class WebAuthnOriginNotAllowedError(CognitoError):
    """The browser origin of the passkey credential does not align with the pool's relying party
    id.

    What to do: Serve the passkey page from the relying party's domain (or a subdomain) over
    HTTPS.
    """


@_code("WebAuthnCredentialNotSupportedException")
class WebAuthnCredentialNotSupportedError(CognitoError):
    """The passkey comes from an unsupported device or provider (or lacks user verification the
    pool requires).

    What to do: Ask the user for another authenticator, or relax the pool's UserVerification
    setting.
    """


# --------------------------------------------------------------------------------------
# OAuth 2.0 endpoint errors (developer guide: authorize, token, revoke, userInfo endpoints)


class OAuthError(CognitoError):
    """An OAuth 2.0 error from a user pool domain: ``code`` is its ``error`` (for example
    ``"invalid_request"``), ``message`` its ``error_description`` when one was sent.

    What to do: Read `code`; the subclasses below cover the errors a client can fix.
    """

    code_name: ClassVar[str] = ""
    #: The OAuth ``error`` value this class stands for.
    oauth_error: ClassVar[str] = ""

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        operation: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(
            message,
            code=code or self.oauth_error or "oauth_error",
            operation=operation,
            request_id=request_id,
            http_status=http_status,
        )


class InvalidGrantError(OAuthError, NotAuthorizedError):
    """``invalid_grant``: the code is used, expired, unknown, or for another redirect URI
    or PKCE verifier; or the refresh token is revoked or expired.

    What to do: Send the user to sign in again (a new authorization request).
    """

    oauth_error = "invalid_grant"


class InvalidClientError(OAuthError):
    """``invalid_client``: client authentication failed (unknown client, wrong secret).

    What to do: Check the client id and secret (a public client sends no secret).
    """

    oauth_error = "invalid_client"


class UnauthorizedClientError(OAuthError):
    """``unauthorized_client``: the app client does not allow this OAuth grant.

    What to do: Enable the grant on the app client (AllowedOAuthFlows and
    AllowedOAuthFlowsUserPoolClient).
    """

    oauth_error = "unauthorized_client"


class InvalidScopeError(OAuthError):
    """``invalid_scope``: a scope the app client does not allow, or an unknown one.

    What to do: Ask only for scopes in the app client's AllowedOAuthScopes (phone, email
    and profile need openid).
    """

    oauth_error = "invalid_scope"


class OAuthStateError(OAuthError):
    """The redirect back lacks the ``state`` of the authorization request, or a code:
    possibly a forged callback (CSRF). Nothing was sent to Cognito.

    What to do: Do not retry this callback; start a new sign-in.
    """

    oauth_error = "state_mismatch"


#: The OAuth ``error`` values with a class of their own.
OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    cls.oauth_error: cls
    for cls in (InvalidGrantError, InvalidClientError, UnauthorizedClientError, InvalidScopeError)
}


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
    """Base class of errors raised by the flow engine.

    What to do: A mistake in how the flow is driven; the subclasses say which.
    """


class MissingHandlerError(FlowError):
    """A challenge arrived for which the host supplied no handler.

    What to do: Add the handler method named in the message (see the flow pages), or drive the flow
    in step mode.
    """

    def __init__(self, challenge: str) -> None:
        self.challenge = challenge
        super().__init__(f"no handler for challenge {challenge}")


class UnknownChallengeError(ProtocolError, FlowError):
    """Cognito returned a ChallengeName this library does not know.

    What to do: Cognito sent a ChallengeName this version does not know: upgrade cognito_flows.
    """

    def __init__(self, challenge: str) -> None:
        self.challenge = challenge
        super().__init__(f"unknown challenge {challenge!r}")


class PhoneNumberRequiredError(FlowError):
    """MFA_SETUP offered only SMS MFA, which needs a phone number the user does not have.

    Cognito lists ``SMS_MFA`` in ``MFAS_CAN_SETUP`` for a user without a ``phone_number``
    (amplify-js ``getAllowedMfaSetupTypes`` filters it out and stops the same way); the API
    reference (InitiateAuth ``ChallengeName``, MFA_SETUP): "To set up SMS or email MFA,
    collect a phone_number or email attribute for the user. Then restart the
    authentication flow".

    What to do: Collect the user's phone number, add it (AdminUpdateUserAttributes, as the
    user cannot sign in yet), then sign in again. The sign-in ended in
    ``PHONE_NUMBER_REQUIRED``.
    """

    code = "PhoneNumberRequired"

    def __init__(self) -> None:
        self.message = "SMS MFA must be set up: add the user's phone_number, then sign in again"
        super().__init__(self.message)


class InvalidAnswerError(FlowError, ValueError):
    """The host's answer to a step is malformed (wrong type, empty or non-numeric code...).

    What to do: Fix the answer (type, empty value, non-digit code); nothing was sent and the flow is
    unchanged.
    """


class HandlerError(FlowError):
    """A host handler raised; the original exception is chained as ``__cause__``.

    What to do: Your handler raised; its exception is `__cause__`. The flow stays in its step.
    """


class FlowFinishedError(FlowError):
    """The flow is already finished and cannot take another answer.

    What to do: The flow already ended: read `flow.step`, or start a new flow.
    """


class FlowExpiredError(FlowError):
    """The flow's Cognito session expired; start the flow again.

    What to do: Start the flow again.
    """


class SnapshotError(FlowError):
    """A snapshot cannot be resumed: malformed, another version, another pool or client.

    What to do: Resume with the same pool and client, and a snapshot written by this version;
    otherwise start again.
    """


class FlowConflictError(FlowError):
    """Another worker changed the stored flow first (compare-and-set lost).

    What to do: Another worker answered the stored flow first: reload it and show its current step.
    """


# --------------------------------------------------------------------------------------
# Connection


class CognitoConnectionError(CognitoFlowsError):
    """Cognito could not be reached (after retries), or the connection broke or timed out.

    What to do: Cognito could not be reached (DNS, TLS, timeout): retry later; the flow is
    unchanged.
    """


# --------------------------------------------------------------------------------------
# Tokens


class TokenRejectedError(TokenVerificationError):
    """A JWT was rejected; ``reason`` says which check failed.

    Attributes:
        reason: one of ``expired``, ``not_yet_valid``, ``bad_signature``, ``wrong_issuer``,
            ``wrong_audience``, ``wrong_token_use``, ``unknown_kid``, ``malformed``,
            ``bad_algorithm``.
        token_use: the token use the caller expected (``"id"``/``"access"``), if any.

    What to do: Reject the token (HTTP 401); `reason` names the failed check. Never log the token.
    """

    reason: ClassVar[str] = "invalid"

    def __init__(self, message: str, *, token_use: str | None = None) -> None:
        self.token_use = token_use
        super().__init__(message)


class TokenExpiredError(TokenRejectedError):
    """``exp`` (plus the leeway) is in the past.

    What to do: The client should refresh its tokens and retry.
    """

    reason = "expired"


class TokenNotYetValidError(TokenRejectedError):
    """``iat`` or ``nbf`` is in the future (beyond the leeway).

    What to do: Check the clocks of this host and of the token's issuer.
    """

    reason = "not_yet_valid"


class BadSignatureError(TokenRejectedError):
    """The signature does not match the header and payload (tampered or wrong key).

    What to do: Reject the token: it was altered or signed with another key.
    """

    reason = "bad_signature"


class WrongIssuerError(TokenRejectedError):
    """``iss`` is not the configured issuer.

    What to do: The token comes from another user pool (or the emulator): reject it, or configure
    the verifier's issuer.
    """

    reason = "wrong_issuer"


class WrongAudienceError(TokenRejectedError):
    """The id token's ``aud`` or the access token's ``client_id`` is not the app client.

    What to do: The token was issued to another app client: reject it, or add that client id to the
    verifier.
    """

    reason = "wrong_audience"


class WrongTokenUseError(TokenRejectedError):
    """``token_use`` is not the expected one (an access token where an id token belongs).

    What to do: An id token was sent where an access token belongs (or the reverse): fix the client.
    """

    reason = "wrong_token_use"


class NonceMismatchError(TokenRejectedError):
    """The ID token's ``nonce`` is not the one sent with the authorization request.

    What to do: The ID token answers another authorization request: start a new sign-in.
    """

    reason = "nonce"


class UnknownKidError(TokenRejectedError):
    """The ``kid`` is not in the JWKS, even after the allowed re-fetch.

    What to do: The key is not in the pool's JWKS: a token of another pool, or a forgery.
    """

    reason = "unknown_kid"

    def __init__(self, message: str, *, kid: str, token_use: str | None = None) -> None:
        self.kid = kid
        super().__init__(message, token_use=token_use)


class MalformedTokenError(TokenRejectedError):
    """The text is not a JWS compact JWT, or a required claim is missing or mistyped.

    What to do: Reject the request: the text is not a Cognito JWT.
    """

    reason = "malformed"


class BadAlgorithmError(TokenRejectedError):
    """The header's ``alg`` is not ``RS256`` (``none``, ``HS256`` key confusion, ...).

    What to do: Reject the token: only RS256 is accepted (`none` and HS256 tokens are forgeries).
    """

    reason = "bad_algorithm"


class JwksFetchError(CognitoFlowsError):
    """The JWKS could not be fetched or parsed. Transient: the token was not judged.

    What to do: Transient: the token was not judged. Answer HTTP 503 and try again.
    """

    reason: ClassVar[str] = "jwks_unavailable"


class SignedOutError(CognitoFlowsError):
    """The :class:`TokenManager` holds no usable session; sign in again.

    Attributes:
        reason: ``"revoked"`` (Cognito refused the refresh token; the Cognito error is the
            ``__cause__``), ``"no_refresh_token"`` (expired and nothing to refresh with),
            ``"cleared"`` (the host called :meth:`TokenManager.clear`), ``"no_tokens"``
            (never signed in), or ``"user_not_found"``, ``"password_reset_required"``,
            ``"user_not_confirmed"`` (the refresh said the user is gone or must act first).

    What to do: Sign in again (`reason` says why the session ended).
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(message or f"signed out ({reason})")


class TokenSetFormatError(CognitoFlowsError, ValueError):
    """A saved token set (see :meth:`TokenSet.from_dict`) is malformed.

    What to do: The saved token set is corrupt or from another version: sign in again.
    """


# --------------------------------------------------------------------------------------
# Stored flows and shared refresh


def short_id(flow_id: str) -> str:
    """The first 6 characters of a flow id and an ellipsis: safe for logs and messages."""
    return f"{flow_id[:6]}..." if len(flow_id) > 6 else flow_id


class StoredFlowExpiredError(FlowExpiredError):
    """No stored flow has this id: it expired with its Cognito session, ended, or never was.

    Attributes:
        flow_id: a short, non-secret prefix of the id, for logs.

    What to do: The stored flow is gone (expired with its Cognito session, finished, or never
    existed): tell the user to start again.
    """

    def __init__(self, flow_id: str, message: str | None = None) -> None:
        self.flow_id = short_id(flow_id)
        super().__init__(message or f"flow {self.flow_id} expired or does not exist")


class FlowBusyError(FlowConflictError):
    """Another worker is answering this flow right now (it holds the claim's lease).

    Nothing was sent to Cognito. Show the current step again, or retry after the lease.

    What to do: Another worker is answering this flow: nothing was sent to Cognito. Show the current
    step again (`get_step`), or retry after the lease.
    """

    def __init__(self, flow_id: str) -> None:
        self.flow_id = short_id(flow_id)
        super().__init__(f"flow {self.flow_id} is being answered by another worker")


class StaleFlowError(FlowConflictError):
    """The stored flow changed since the version the caller holds (compare-and-set lost).

    Attributes:
        expected: the version the caller held.
        actual: the stored version.

    What to do: The user answered a step that is no longer current: show the current step
    (`get_step`) instead.
    """

    def __init__(self, flow_id: str, expected: int, actual: int | None) -> None:
        self.flow_id = short_id(flow_id)
        self.expected = expected
        self.actual = actual
        super().__init__(f"flow {self.flow_id} is at version {actual}, not {expected}")


class SnapshotDecryptError(SnapshotError):
    """A stored snapshot cannot be decrypted: no key, the wrong key, or altered data.

    What to do: Configure the key the flow was stored with (keep old keys in the key list while
    rotating); otherwise the flow is lost: start again.
    """


class RefreshBusyError(FlowConflictError):
    """Another worker held the refresh lock and no result came within ``wait_timeout``.

    What to do: Another worker's refresh did not finish in time: retry `get_tokens()`.
    """


def _hierarchy() -> str:
    """The exception tree as drawn in this module's docstring (a test keeps the two equal)."""
    classes = [
        value
        for name in __all__
        if isinstance(value := globals()[name], type) and issubclass(value, CognitoFlowsError)
    ]
    children: dict[type, list[type]] = {cls: [] for cls in classes}
    for cls in classes:
        if cls is not CognitoFlowsError:
            children[cls.__bases__[0]].append(cls)
    lines = ["CognitoFlowsError"]

    def walk(cls: type, prefix: str) -> None:
        kids = sorted(children[cls], key=lambda c: c.__name__)
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            also = [b.__name__ for b in kid.__bases__[1:]]
            note = f" (also {', '.join(also)})" if also else ""
            lines.append(f"{prefix}{'└── ' if last else '├── '}{kid.__name__}{note}")
            walk(kid, prefix + ("    " if last else "│   "))

    walk(CognitoFlowsError, "")
    return "\n".join(lines)


# ------------------------------------------------------------------ secret field reprs
# The repr of a secret attrs field: every printer that follows attrs' field reprs (repr(),
# rich.print, rich.inspect, rich tracebacks with locals, field walkers) shows that a value
# is there, never the value. Here, in the base layer, so that every layer may use them.


def hidden(value: object) -> str:
    """``None`` and empty values as they are; anything else as ``<hidden>``."""
    if value is None:
        return "None"
    if isinstance(value, str | bytes | dict | list | tuple) and not value:
        return repr(value)
    return "<hidden>"


_T = TypeVar("_T", bound=type)


def masked(cls: _T) -> _T:
    """Class decorator (above ``@attrs.define``): leave the masked fields out of ``dir()``,
    so ``rich.inspect``, which lists every public attribute by value, skips them too."""
    hidden_names = frozenset(f.name for f in attrs.fields(cls) if f.repr is not True)
    base_dir: Any = cls.__dir__

    def __dir__(self: object) -> list[str]:
        return [name for name in base_dir(self) if name not in hidden_names]

    cls.__dir__ = __dir__  # type: ignore[method-assign, assignment]
    return cls


@final
class Concealed:
    """A secret held by an object that is not attrs (``UserPool``, ``CognitoClient``): every
    printer, ``rich.inspect(all=True)`` with its private attributes included, shows
    ``<hidden>``; the holder reads ``.value``."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__
