"""The Cognito client layer: one aiobotocore ``cognito-idp`` client per pool.

It knows nothing about flows. It owns:

* the aiobotocore client(s): an *unsigned* one for Cognito's public operations (no AWS
  credentials are needed or looked up) and, only when an admin operation is called, a
  signed one that uses the normal credential chain;
* botocore's ``standard`` retry mode, narrowed per operation (:data:`RETRY_SAFE_OPERATIONS`):
  an operation that may be repeated is retried as botocore's standard mode decides
  (throttling, 5xx, broken connections and timeouts, with backoff); every other one only
  when Cognito cannot have applied it (throttled, or no connection was made). When such a
  call loses its answer after it was sent, :class:`~cognito_flows.errors.OutcomeUnknownError`
  is raised instead of resending it. Explicit connect/read timeouts and a connection pool
  larger than botocore's default of 10;
* SECRET_HASH;
* mapping every ``botocore.exceptions.ClientError`` to the library's typed exceptions
  (:mod:`cognito_flows.errors`), by error code, never by client exception class (those differ
  between botocore sessions);
* less CPU per call than a plain aiobotocore client: on the clients it creates, the work
  botocore does on every call that cannot matter for ``cognito-idp`` is cut (``_trim``:
  no-op event handlers, per-call endpoint resolution, the signer on the unsigned client, a
  parser per answer), each cut only where it provably leaves the request unchanged.

Nothing here logs request parameters: they carry passwords, codes and tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
import socket
from contextlib import AsyncExitStack
from functools import cache
from typing import Any

import aiohttp
import attrs
from aiobotocore.config import AioConfig
from aiobotocore.httpxsession import HttpxSession
from aiobotocore.retries.standard import (
    AioOrRetryChecker,
    AioRetryHandler,
    AioRetryPolicy,
    AioStandardRetryConditions,
    AnyioRetryHandler,
)
from aiobotocore.session import AioSession, get_session
from botocore import UNSIGNED, xform_name
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ProxyConnectionError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.loaders import Loader, create_loader
from botocore.retries import quota
from botocore.retries.base import BaseRetryableChecker
from botocore.retries.standard import (
    DEFAULT_MAX_ATTEMPTS,
    ExponentialBackoff,
    MaxAttemptsChecker,
    RetryContext,
    RetryEventAdapter,
    RetryQuotaChecker,
    ThrottledRetryableChecker,
    ThrottlingErrorDetector,
)

from .errors import (
    CognitoConnectionError,
    Concealed,
    ConfigurationError,
    OutcomeUnknownError,
    ProtocolError,
    from_botocore_response,
)

__all__ = [
    "ADMIN_OPERATIONS",
    "ClientConfig",
    "CognitoClient",
    "RETRY_SAFE_OPERATIONS",
    "RedactCognitoBodies",
    "install_log_redaction",
    "install_retry_policy",
    "retry_safe",
    "CognitoConnectionError",
    "region_from_pool_id",
    "secret_hash",
]

log = logging.getLogger("cognito_flows.wire")

#: Operations that need AWS credentials (SigV4); every other one the library calls is public.
ADMIN_OPERATIONS = frozenset(
    {
        "AdminInitiateAuth",
        "AdminRespondToAuthChallenge",
        "AdminCreateUser",
        "AdminGetUser",
        "AdminDeleteUser",
        "AdminConfirmSignUp",
        "AdminSetUserPassword",
        "AdminResetUserPassword",
        "AdminSetUserMFAPreference",
        "AdminUpdateUserAttributes",
        "AdminForgetDevice",
        "AdminListDevices",
        "AdminUserGlobalSignOut",
        "CreateUserPool",
        "CreateUserPoolClient",
        "UpdateUserPool",
        "UpdateUserPoolClient",
        "DescribeUserPool",
        "DescribeUserPoolClient",
        "DeleteUserPool",
        "ListUsers",
        "SetUserPoolMfaConfig",
    }
)

#: Operations botocore may resend after any transient error (a 5xx, a broken connection, a
#: read timeout): repeating them cannot change their outcome or their answer. Every other
#: operation (SignUp, ConfirmSignUp, RespondToAuthChallenge, ChangePassword, ConfirmDevice,
#: VerifySoftwareToken, ...) is resent only when Cognito cannot have applied it: it was
#: throttled, or no connection was made. Unknown operations count as unsafe. Why each is here:
#:
#: * reads: ``GetUser``, ``GetDevice``, ``ListDevices``, ``GetUserAuthFactors``,
#:   ``ListWebAuthnCredentials`` and the admin reads change nothing;
#: * settings that are set, not toggled (``SetUserMFAPreference``, ``SetUserSettings``,
#:   ``UpdateDeviceStatus``, ``UpdateAuthEventFeedback``, ``AdminSetUserMFAPreference``,
#:   ``AdminUserGlobalSignOut``): a repeat writes the same value and answers the same;
#: * ``InitiateAuth`` / ``AdminInitiateAuth``: every call starts an independent
#:   authentication with its own ``Session``; a lost first answer only orphans its session
#:   (cost: a code message of that attempt may be sent twice, and a wrong password counts
#:   twice toward the lockout);
#: * ``StartWebAuthnRegistration``: every call issues fresh CredentialCreationOptions; a
#:   lost answer's challenge is never used;
#: * ``GetTokensFromRefreshToken``: AWS's API reference (RefreshTokenRotationType,
#:   RetryGracePeriodSeconds) keeps the old refresh token valid "for a period of time of up
#:   to 60 seconds. This allows for client-side retries."
#:
#: Not here, with the answer a resend gets once the first call was applied (the emulator and
#: the API reference's error lists): ``SignUp`` (UsernameExistsException), ``ConfirmSignUp``
#: (NotAuthorizedException "User cannot be confirmed. Current status is CONFIRMED"),
#: ``ConfirmForgotPassword`` and ``VerifyUserAttribute`` (the code is used:
#: CodeMismatchException / ExpiredCodeException), ``ChangePassword``
#: (NotAuthorizedException "Incorrect username or password."), ``RespondToAuthChallenge``
#: (NotAuthorizedException "Invalid session for the user, session can only be used once."),
#: ``VerifySoftwareToken`` (the TOTP code or the session is used), ``AssociateSoftwareToken``
#: (a new secret replaces the one shown), ``ConfirmDevice`` (DeviceKeyExistsException),
#: ``ForgetDevice`` (ResourceNotFoundException), ``DeleteUser`` (the user is gone),
#: ``GlobalSignOut`` / ``RevokeToken`` (the token is revoked), ``UpdateUserAttributes``,
#: ``DeleteUserAttributes``, ``ResendConfirmationCode``, ``ForgotPassword`` and
#: ``GetUserAttributeVerificationCode`` (each sends a new code message, which replaces the
#: code of the lost answer), ``CompleteWebAuthnRegistration`` (the challenge is used) and
#: ``DeleteWebAuthnCredential`` (the passkey is gone).
RETRY_SAFE_OPERATIONS = frozenset(
    {
        "GetUser",
        "GetDevice",
        "ListDevices",
        "GetUserAuthFactors",
        "GetUserPoolMfaConfig",
        "AdminGetUser",
        "AdminListDevices",
        "DescribeUserPool",
        "DescribeUserPoolClient",
        "ListUsers",
        "SetUserMFAPreference",
        "SetUserSettings",
        "UpdateDeviceStatus",
        "UpdateAuthEventFeedback",
        "AdminSetUserMFAPreference",
        "AdminUserGlobalSignOut",
        "InitiateAuth",
        "AdminInitiateAuth",
        "GetTokensFromRefreshToken",
        "ListWebAuthnCredentials",
        "StartWebAuthnRegistration",
    }
)


def retry_safe(operation: str) -> bool:
    """Whether ``operation`` may be resent after an answer was lost (see
    :data:`RETRY_SAFE_OPERATIONS`)."""
    return operation in RETRY_SAFE_OPERATIONS


def _never_sent(exc: BaseException | None) -> bool:
    """Whether ``exc`` proves the request never reached Cognito: no connection was made.

    aiobotocore maps aiohttp's connect failures (``ClientConnectorError``, DNS errors) to
    ``EndpointConnectionError``, but also a ``ClientOSError`` such as a reset while reading
    the answer; only the former are proof, so the wrapped aiohttp error is checked.
    """
    if isinstance(exc, (ConnectTimeoutError, ProxyConnectionError, SSLError)):
        return True
    if isinstance(exc, EndpointConnectionError):
        cause = getattr(exc, "kwargs", {}).get("error")
        return isinstance(cause, (aiohttp.ClientConnectorError, socket.gaierror))
    return False


class _NeverSentChecker(BaseRetryableChecker):  # type: ignore[misc]
    """botocore retry checker: the attempt failed before a connection existed."""

    def is_retryable(self, context: RetryContext) -> bool:
        return _never_sent(context.caught_exception)


class _CognitoRetryConditions(AioStandardRetryConditions):  # type: ignore[misc]
    """botocore's standard retry conditions for :data:`RETRY_SAFE_OPERATIONS`; for every
    other operation only throttling and connections that were never made."""

    def __init__(self, max_attempts: int) -> None:
        super().__init__(max_attempts=max_attempts)
        self._attempts = MaxAttemptsChecker(max_attempts)
        self._unsafe = AioOrRetryChecker([ThrottledRetryableChecker(), _NeverSentChecker()])

    async def is_retryable(self, context: RetryContext) -> bool:
        if _answered_without_error(context):
            # Every successful answer passes here. botocore's checkers all look
            # for an error code, a status in 500/502/503/504 or a caught exception
            # (botocore/retries/standard.py: TransientRetryableChecker,
            # ThrottledRetryableChecker, ModeledRetryableChecker; retries/special.py only
            # for sts and dynamodb), so none can retry it: the answer is returned without
            # walking them. MaxAttemptsChecker still runs for its side effects (the
            # ``max`` of the retries context, MaxAttemptsReached in the metadata).
            self._attempts.is_retryable(context)
            return False
        model = context.operation_model
        if model is not None and retry_safe(model.name):
            return bool(await super().is_retryable(context))
        return bool(
            self._attempts.is_retryable(context) and await self._unsafe.is_retryable(context)
        )


def _answered_without_error(context: RetryContext) -> bool:
    """Whether the attempt got a 2xx answer that carries no error code."""
    http = context.http_response
    return (
        context.caught_exception is None
        and http is not None
        and http.status_code < 300
        and context.get_error_code() is None
    )


def install_retry_policy(client: Any) -> None:
    """Replace the retry handler of an aiobotocore ``cognito-idp`` client by one that never
    resends a call Cognito may have applied (see :data:`RETRY_SAFE_OPERATIONS`).

    It is botocore's standard retry handler (same backoff, retry quota and attempt count)
    with narrower conditions; it takes the place of the handler botocore registered under
    its ``retry-config-<service>`` id, so the client keeps exactly one. Idempotent.
    """
    events = client.meta.events
    name = client.meta.service_model.service_id.hyphenize()
    retries = client.meta.config.retries or {}
    attempts = retries.get("total_max_attempts")
    if attempts is None and retries.get("max_attempts") is not None:
        attempts = int(retries["max_attempts"]) + 1  # legacy form: retries after the first
    adapter = RetryEventAdapter()
    detector = ThrottlingErrorDetector(adapter)
    retry_quota = RetryQuotaChecker(quota.RetryQuota(), detector)
    endpoint = getattr(client, "_endpoint", None)
    uses_httpx = isinstance(getattr(endpoint, "http_session", None), HttpxSession)
    handler_class = AnyioRetryHandler if uses_httpx else AioRetryHandler  # as aiobotocore does
    handler = handler_class(
        retry_policy=AioRetryPolicy(
            retry_checker=_CognitoRetryConditions(int(attempts or DEFAULT_MAX_ATTEMPTS)),
            retry_backoff=ExponentialBackoff(service_name=name, throttling_detector=detector),
        ),
        retry_event_adapter=adapter,
        retry_quota=retry_quota,
        service_name=name,
    )
    unique_id = f"retry-config-{name}"
    # The handler replaced here came with an ``after-call`` hook releasing its own retry
    # quota (aiobotocore/retries/standard.py register_retry_handler, registered without a
    # unique id): once that handler is gone nothing takes from that quota, so the hook is
    # dead work on every call and is unregistered with it.
    replaced = getattr(_registered(events, unique_id), "__self__", None)
    stale_release = getattr(getattr(replaced, "_retry_quota", None), "release_retry_quota", None)
    if stale_release is not None:
        events.unregister(f"after-call.{name}", handler=stale_release)
    events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    events.unregister(f"after-call.{name}", unique_id=f"cognito-flows-retry-quota-{name}")
    events.register(
        f"after-call.{name}",
        retry_quota.release_retry_quota,
        unique_id=f"cognito-flows-retry-quota-{name}",
    )
    events.register(f"needs-retry.{name}", handler.needs_retry, unique_id=unique_id)


def _lost_answer(exc: BaseException) -> str | None:
    """What was lost, when ``exc`` means the request reached Cognito but its answer did
    not arrive (``None`` when Cognito answered, or the request never left)."""
    if isinstance(exc, ClientError):
        meta = exc.response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode")
        if isinstance(status, int) and status >= 500:
            code = (exc.response.get("Error") or {}).get("Code") or "error"
            return f"HTTP {status} {str(code).rsplit('#', 1)[-1]}"
        return None
    if isinstance(exc, (HTTPClientError, BotoConnectionError)) and not _never_sent(exc):
        return type(exc).__name__
    return None


#: Exceptions botocore's parsers raise on an answer that is not the JSON object the
#: protocol requires (``[]``, ``null``, JSON nested past the recursion limit, invalid
#: UTF-8, an error body whose ``__type`` is a number...). They never come from the library's
#: request, which botocore validates before sending (ParamValidationError).
_PARSER_FAILURES = (AttributeError, TypeError, ValueError, KeyError, IndexError, RecursionError)


def _shape_violation(value: Any, shape: Any, path: str) -> str | None:
    """Where ``value`` breaks the botocore output ``shape`` (a path such as
    ``AuthenticationResult.ExpiresIn``), or ``None``. Never quotes a value.

    botocore's JSON parser passes scalars through unchecked, so a number where the model
    says string (``Session: 5``) would otherwise reach the flows. Members the model does
    not know are ignored; ``null`` members were already dropped by the parser; missing
    members are left to the caller.
    """
    kind = shape.type_name
    where = path or "the answer"
    if kind == "structure":
        if not isinstance(value, dict):
            return where
        # Required members are not checked here: a 2xx answer means the call was applied,
        # and each consumer decides what a missing member means (TokenSet refuses an
        # AuthenticationResult without tokens; a SignUp answer without UserConfirmed
        # still waits for the confirmation code).
        for name, member in shape.members.items():
            if value.get(name) is not None:
                bad = _shape_violation(value[name], member, f"{path}{name}.")
                if bad is not None:
                    return bad
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return where
        for key, item in value.items():
            bad = _shape_violation(key, shape.key, f"{path}<key>.")
            if bad is None and item is not None:
                bad = _shape_violation(item, shape.value, f"{path}<value>.")
            if bad is not None:
                return bad
        return None
    if kind == "list":
        if not isinstance(value, list):
            return where
        for item in value:
            bad = _shape_violation(item, shape.member, f"{path}[].") if item is not None else None
            if bad is not None:
                return bad
        return None
    if kind == "string":
        if not isinstance(value, str):
            return where.rstrip(".")
        try:
            value.encode("utf-8")  # a JSON "\ud800" escape decodes to a lone surrogate
        except UnicodeEncodeError:
            return where.rstrip(".")
        return None
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else where.rstrip(".")
    if kind == "boolean":
        return None if isinstance(value, bool) else where.rstrip(".")
    if kind in ("double", "float"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok and math.isfinite(value) else where.rstrip(".")
    return None  # timestamp and blob: converted (and so checked) by botocore's parser


_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")


#: botocore loggers that print whole request and response bodies at DEBUG.
_BODY_LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "aiobotocore.endpoint",
    "aiobotocore.parsers",
    "botocore.retryhandler",
    "aiobotocore.retryhandler",
)
_SECRET_FIELDS = re.compile(
    r"PASSWORD|Password|SECRET_HASH|SecretHash|ClientSecret|AccessToken|IdToken|RefreshToken|"
    r"Session|CODE|ConfirmationCode|UserCode|SecretCode|ANSWER|DeviceSecretVerifierConfig|"
    r"PASSWORD_CLAIM_SIGNATURE|ChallengeResponses|AuthParameters|FeedbackToken|\bToken\b|"
    r"Credential|CREDENTIAL"
)


class RedactCognitoBodies(logging.Filter):
    """Blanks botocore DEBUG records that would print Cognito secrets.

    botocore logs request parameters and response bodies at DEBUG; for Cognito those hold
    passwords, codes, sessions and tokens. Records naming such fields are replaced by a
    short notice; every other record passes unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place when it may carry a secret."""
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: leave it to logging
            return True
        if _SECRET_FIELDS.search(text):
            record.msg = "[body withheld by cognito_flows: it may contain secrets]"
            record.args = ()
        return True


_REDACTOR = RedactCognitoBodies()


def install_log_redaction() -> None:
    """Attach :class:`RedactCognitoBodies` to botocore's body loggers (idempotent)."""
    for name in _BODY_LOGGERS:
        target = logging.getLogger(name)
        if _REDACTOR not in target.filters:
            target.addFilter(_REDACTOR)


install_log_redaction()


def region_from_pool_id(user_pool_id: str) -> str:
    """The AWS region in a user pool id (``eu-west-1_AbC`` -> ``eu-west-1``).

    Raises:
        ConfigurationError: the id does not have the ``<region>_<id>`` shape.
    """
    match = _POOL_ID.fullmatch(user_pool_id)
    if not match:
        raise ConfigurationError(
            "cannot derive the region from the user pool id; pass region= explicitly"
        )
    return match.group(1)


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """``SECRET_HASH = base64(HMAC-SHA256(client_secret, username || client_id))``.

    ``username`` must be exactly the ``USERNAME`` value sent in the same request.
    """
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


@attrs.frozen
class ClientConfig:
    """Connection settings for :class:`CognitoClient`.

    Attributes:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for a response.
        max_attempts: total attempts per call, including the first (botocore standard mode).
        max_pool_connections: size of the HTTP connection pool.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_attempts: int = 3
    max_pool_connections: int = 100

    def aio_config(self, *, unsigned: bool) -> AioConfig:
        """The aiobotocore configuration for one client."""
        kwargs: dict[str, Any] = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "retries": {"mode": "standard", "total_max_attempts": self.max_attempts},
            "max_pool_connections": self.max_pool_connections,
        }
        if unsigned:
            kwargs["signature_version"] = UNSIGNED
        return AioConfig(**kwargs)


@cache
def _data_loader(search_paths: str | None) -> Loader:
    return create_loader(search_paths)


def _new_session() -> AioSession:
    """An aiobotocore session whose data loader is shared by every session this module made
    with the same data path (``AWS_DATA_PATH``).

    Each new botocore session otherwise parses cognito-idp's service model, its endpoint
    rule set and the partitions file again (about 100 ms of CPU per :class:`CognitoClient`
    opened). The loader only reads botocore's packaged JSON and caches what it parsed, the
    data that all clients of one session already share; everything else of the session
    (credentials, configuration, event handlers) stays its own.
    """
    session = get_session()
    session.register_component(
        "data_loader", _data_loader(session.get_config_variable("data_path"))
    )
    return session


class CognitoClient:
    """Calls Cognito and maps its errors; use as ``async with CognitoClient(...) as client``.

    Args:
        region: the AWS region of the pool.
        endpoint_url: a different endpoint (the local Cognito, a VPC endpoint...).
        config: timeouts, retries and pool size.
        client: an aiobotocore ``cognito-idp`` client owned by the host; used for every call
            (public and admin) and never closed by this object.
        admin_client: a signed client owned by the host for admin operations.
        session: the aiobotocore session to create clients from (default: a new one).
        client_id: the app client; added as ``ClientId`` to every call that takes one.
        client_secret: the app client's secret: ``SECRET_HASH``/``SecretHash`` is added from
            the same request's ``USERNAME``/``Username`` (so the rule of :func:`secret_hash`
            holds by construction), ``ClientSecret`` where an operation takes the secret.
    """

    def __init__(
        self,
        *,
        region: str,
        endpoint_url: str | None = None,
        config: ClientConfig | None = None,
        client: Any = None,
        admin_client: Any = None,
        session: AioSession | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.region = region
        self.client_id = client_id
        self._client_secret = None if client_secret is None else Concealed(client_secret)
        self.endpoint_url = endpoint_url
        self.config = config or ClientConfig()
        self._injected = client
        self._injected_admin: Any = admin_client or client
        self._public: Any = client
        self._admin: Any = self._injected_admin
        self._session = session
        self._stack = AsyncExitStack()
        self._opened = False
        install_log_redaction()

    async def __aenter__(self) -> CognitoClient:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _get_session(self) -> AioSession:
        if self._session is None:
            self._session = _new_session()
        return self._session

    async def open(self) -> None:
        """Create the unsigned client (idempotent). Called by ``__aenter__``."""
        if self._public is None:
            self._public = await self._stack.enter_async_context(
                self._get_session().create_client(
                    "cognito-idp",
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=self.config.aio_config(unsigned=True),
                )
            )
            _reuse_user_agent(self._public)
            _trim(self._public, unsigned=True)
        install_retry_policy(self._public)
        self._opened = True

    async def aclose(self) -> None:
        """Close the clients this object created (not injected ones)."""
        await self._stack.aclose()
        self._stack = AsyncExitStack()
        self._public = self._injected
        self._admin = self._injected_admin
        self._opened = False

    async def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = await self._stack.enter_async_context(
                self._get_session().create_client(
                    "cognito-idp",
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=self.config.aio_config(unsigned=False),
                )
            )
            _reuse_user_agent(self._admin)
            _trim(self._admin, unsigned=False)
            install_retry_policy(self._admin)
        elif self._admin is self._injected_admin:
            install_retry_policy(self._admin)
        return self._admin

    @property
    def has_secret(self) -> bool:
        """Whether the app client has a secret."""
        return self._client_secret is not None

    def secret_hash(self, username: str) -> str | None:
        """SECRET_HASH for ``username`` (``None`` without a client secret)."""
        if self._client_secret is None or self.client_id is None:
            return None
        return secret_hash(username, self.client_id, self._client_secret.value)

    def _identify(
        self, operation: str, params: dict[str, Any], secret_hash_for: str | None
    ) -> dict[str, Any]:
        """Add ClientId and the secret's values, each from the request's own user name."""
        if self.client_id is not None and operation in _CLIENT_ID_OPERATIONS:
            params.setdefault("ClientId", self.client_id)
        if self._client_secret is None:
            return params
        if operation in _CLIENT_SECRET_OPERATIONS:
            params.setdefault("ClientSecret", self._client_secret.value)
        elif operation in _USERNAME_OPERATIONS and isinstance(params.get("Username"), str):
            params.setdefault("SecretHash", self.secret_hash(params["Username"]))
        elif operation in _AUTH_PARAMETER_OPERATIONS:
            key = (
                "ChallengeResponses" if "RespondToAuthChallenge" in operation else "AuthParameters"
            )
            inner = params.get(key)
            if isinstance(inner, dict):
                # REFRESH_TOKEN_AUTH has no USERNAME: the caller names the user.
                name = inner.get("USERNAME", secret_hash_for)
                if isinstance(name, str) and "SECRET_HASH" not in inner:
                    params[key] = {**inner, "SECRET_HASH": self.secret_hash(name)}
        return params

    async def call(
        self, operation: str, /, *, secret_hash_for: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """Call a Cognito operation by its API name (``"InitiateAuth"``) and return the body.

        ``None`` values are dropped from ``params``. Admin operations go through the signed
        client. ``ClientId`` and SECRET_HASH are added as the constructor says;
        ``secret_hash_for`` names the user for a request without ``USERNAME``
        (``REFRESH_TOKEN_AUTH``).

        Raises:
            CognitoError: a typed subclass for the error code Cognito answered.
            OutcomeUnknownError: an operation that must not be applied twice (not in
                :data:`RETRY_SAFE_OPERATIONS`) reached Cognito but lost its answer (a 5xx,
                a broken connection, a read timeout); it was not resent.
            CognitoConnectionError: Cognito could not be reached or timed out.
        """
        if not self._opened:
            await self.open()
        client = await self._admin_client() if operation in ADMIN_OPERATIONS else self._public
        method = getattr(client, _snake(operation))
        clean = self._identify(
            operation, {k: v for k, v in params.items() if v is not None}, secret_hash_for
        )
        log.debug("calling %s", operation)
        try:
            response: dict[str, Any] = await method(**clean)
        except _PARSER_FAILURES as exc:
            # botocore could not parse the answer: it may have been a success or an error.
            reason = f"the answer could not be parsed ({type(exc).__name__})"
            if not retry_safe(operation):
                raise OutcomeUnknownError(operation, reason) from None
            raise ProtocolError(f"{operation}: {reason}") from None
        except (ClientError, HTTPClientError, BotoConnectionError) as exc:
            lost = None if retry_safe(operation) else _lost_answer(exc)
            if lost is not None:
                log.debug("%s lost its answer: %s", operation, lost)
                raise OutcomeUnknownError(operation, lost) from None
            if isinstance(exc, SSLError):
                # No TLS session could be set up: an https:// endpoint that speaks plain
                # HTTP (or a certificate that does not verify). Nothing reached Cognito.
                raise CognitoConnectionError(
                    f"{operation}: SSLError (the TLS handshake failed: does the endpoint "
                    "speak https, and does its certificate verify?)"
                ) from None
            if not isinstance(exc, ClientError):
                raise CognitoConnectionError(f"{operation}: {type(exc).__name__}") from None
            err = from_botocore_response(exc.response, operation)
            log.debug("%s failed: %s", operation, err.code)
            raise err from None
        except NoCredentialsError:
            raise ConfigurationError(f"{operation} needs AWS credentials") from None
        except BotoCoreError as exc:
            # Parameter validation and similar client-side errors. Their text can quote
            # parameter values, so only the class name is kept.
            raise ProtocolError(f"{operation}: {type(exc).__name__}") from None
        response.pop("ResponseMetadata", None)
        shape = client.meta.service_model.operation_model(operation).output_shape
        bad = _shape_violation(response, shape, "") if shape is not None else None
        if bad is not None:
            # Cognito answered 2xx: the call was applied, but its answer is unusable.
            raise ProtocolError(f"{operation}: the answer's {bad} does not match the API")
        return response


def _reuse_user_agent(client: Any) -> None:
    """Build each distinct User-Agent header once instead of twice per call.

    botocore rebuilds the User-Agent string from ~20 components on every call, twice (when
    the request dict is made and again in its ``request-created`` handler): about a sixth
    of the client's CPU per Cognito call (benchmarks/local_server.py). The string depends
    only on the client's configuration and the feature ids of the call's context, so it is
    cached by those. Clients the host injects are left alone.
    """
    creator = getattr(client, "_user_agent_creator", None)
    build = getattr(creator, "to_string", None)
    if creator is None or build is None:  # another botocore: keep its behaviour
        return
    from botocore.context import get_context

    cache: dict[tuple[frozenset[str], frozenset[str]], str] = {}

    def to_string() -> str:
        ctx = get_context()
        key = (
            frozenset(ctx.features) if ctx is not None else frozenset(),
            frozenset(getattr(creator, "_client_features", None) or ()),
        )
        text = cache.get(key)
        if text is None:
            text = cache[key] = build()
        return text

    creator.to_string = to_string


def _handlers(events: Any, event_name: str) -> list[Any] | None:
    """The handlers ``events`` calls for ``event_name``, in order; ``None`` when the
    emitter is not botocore's ``EventAliaser`` over a ``HierarchicalEmitter`` with its
    ``_PrefixTrie`` (botocore/hooks.py), so nothing can be concluded."""
    emitter = getattr(events, "_emitter", None)
    alias = getattr(events, "_alias_event_name", None)
    search = getattr(getattr(emitter, "_handlers", None), "prefix_search", None)
    if alias is None or search is None:
        return None
    return list(search(alias(event_name)))


def _registered(events: Any, unique_id: str) -> Any:
    """The handler registered under ``unique_id`` (``None``: none, or another emitter)."""
    emitter = getattr(events, "_emitter", events)
    entry = (getattr(emitter, "_unique_id_handlers", None) or {}).get(unique_id)
    return entry.get("handler") if isinstance(entry, dict) else None


def _trim(client: Any, *, unsigned: bool) -> None:
    """Take out of a client this object created what botocore does on every call and
    cannot matter for ``cognito-idp`` (benchmarks/local_server.py measures the gain).

    Each cut first checks, on this client's own model and event handlers, the facts that
    make it a no-op; when one does not hold (another botocore, a handler the host put on
    the session) that cut is skipped and botocore keeps its behaviour. tests/test_wire_trim.py
    checks that every operation's request is the one plain aiobotocore sends. What stays:
    parameter validation (an invalid request must fail before it is sent, as
    ParamValidationError -> ProtocolError; a value Cognito would refuse must not become
    its InvalidParameterException), the User-Agent rebuild, the retry headers and the
    recursion-detection header (set in AWS Lambda).
    """
    events = client.meta.events
    service = client.meta.service_model
    # The model as loaded (botocore/model.py ServiceModel): scanning it takes about a
    # millisecond, building every OperationModel to ask it tens of milliseconds.
    description = getattr(service, "_service_description", None)
    if isinstance(description, dict):
        _drop_idle_handlers(events, description)
    _cache_endpoints(client, events, service)
    _reuse_parsers(client)
    if unsigned:
        _skip_unsigned_signing(client, events, service)


def _drop_idle_handlers(events: Any, description: dict[str, Any]) -> None:
    """Unregister session-wide botocore handlers that do nothing for this model."""
    from botocore import handlers

    operations = list((description.get("operations") or {}).values())
    shapes = list((description.get("shapes") or {}).values())
    members = [m for shape in shapes for m in (shape.get("members") or {}).values()]
    idle = (
        # Fills members with the idempotencyToken trait (botocore/model.py
        # idempotent_members: on the member or its shape); cognito-idp has none.
        (
            "before-parameter-build",
            getattr(handlers, "generate_idempotent_uuid", None),
            not any("idempotencyToken" in item for item in shapes + members),
        ),
        # Sets httpChecksum's requestValidationModeMember; cognito-idp has no httpChecksum.
        (
            "before-parameter-build",
            getattr(handlers, "_handle_request_validation_mode_member", None),
            not any("httpChecksum" in op for op in operations),
        ),
        # Adds x-amz-api-version to ``endpointoperation`` operations; cognito-idp has none.
        (
            "before-call",
            getattr(handlers, "inject_api_version_header_if_needed", None),
            not any(op.get("endpointoperation") for op in operations),
        ),
    )
    for event, handler, idle_here in idle:
        if handler is not None and idle_here:
            # The client's emitter is its own copy of the session's (aiobotocore/args.py
            # copy.copy(self._event_emitter)): other clients keep the handler.
            events.unregister(event, handler=handler)


#: Endpoint-ruleset parameters whose resolution registers a feature id in the call's
#: context (botocore/regions.py ``_register_endpoint_feature_ids``), so a cached endpoint
#: would drop it from the User-Agent.
_FEATURE_PARAMS = frozenset({"AccountId", "AccountIdEndpointMode"})


def _cache_endpoints(client: Any, events: Any, service: Any) -> None:
    """Resolve each operation's endpoint once instead of on every call.

    aiobotocore evaluates the endpoint ruleset's parameters on every call
    (aiobotocore/regions.py ``construct_endpoint``; botocore's lru_cache only covers the
    rule evaluation itself). Its inputs are the operation's context parameters (none in
    cognito-idp; an operation with any is not cached), the client's context parameters
    and builtins (fixed when the client was made: region, FIPS, dual-stack, endpoint URL),
    and what ``before-endpoint-resolution`` handlers change (this client has none), so its
    result is the same on every call of an operation.
    """
    resolver: Any = getattr(client, "_ruleset_resolver", None)
    construct = getattr(resolver, "construct_endpoint", None)
    definitions = getattr(resolver, "_param_definitions", None)
    builtins = getattr(resolver, "_builtins", None)
    if construct is None or not isinstance(definitions, dict) or not isinstance(builtins, dict):
        return
    name = service.service_id.hyphenize()
    if _handlers(events, f"before-endpoint-resolution.{name}") != []:
        return
    for param, definition in definitions.items():
        builtin = getattr(definition, "builtin", None)
        # A callable builtin (the account id) is looked up per call, maybe differently.
        if param in _FEATURE_PARAMS or callable(builtins.get(builtin)):
            return

    cache: dict[str, Any] = {}

    async def construct_endpoint(operation_model: Any, call_args: Any, request_context: Any) -> Any:
        hit = cache.get(operation_model.name)
        if hit is None:
            hit = await construct(
                operation_model=operation_model,
                call_args=call_args,
                request_context=request_context,
            )
            if not (
                operation_model.static_context_parameters
                or operation_model.context_parameters
                or operation_model.operation_context_parameters
            ):
                cache[operation_model.name] = hit
        # aiobotocore builds a new headers dict on each call; the properties dict is
        # already shared between calls by botocore's own cache of the rule evaluation.
        return hit._replace(headers=dict(hit.headers))

    resolver.construct_endpoint = construct_endpoint


class _ReusedParsers:
    """Stands in for an endpoint's parser factory; hands out one parser per protocol."""

    def __init__(self, create: Any) -> None:
        self._create = create
        self._parsers: dict[str, Any] = {}

    def create_parser(self, protocol_name: str) -> Any:
        parser = self._parsers.get(protocol_name)
        if parser is None:
            parser = self._parsers[protocol_name] = self._create(protocol_name)
        return parser


def _reuse_parsers(client: Any) -> None:
    """Parse every answer with one parser object instead of a new one per call.

    The endpoint asks its factory for a new parser for each response
    (botocore/endpoint.py, aiobotocore/endpoint.py ``_do_get_response``). A parser keeps
    no state between responses: botocore/parsers.py sets its attributes only in
    ``__init__`` (the timestamp and blob parsers, the event-stream parser), so one can
    serve every call, concurrent ones too. The factory is the session's, shared with its
    other clients, so only this client's endpoint gets the stand-in.
    """
    endpoint: Any = getattr(client, "_endpoint", None)
    create = getattr(getattr(endpoint, "_response_parser_factory", None), "create_parser", None)
    if create is not None:
        endpoint._response_parser_factory = _ReusedParsers(create)


def _skip_unsigned_signing(client: Any, events: Any, service: Any) -> None:
    """Do not run the request signer on the unsigned client where it cannot sign.

    Its ``request-created`` handler (botocore/client.py ``_register_handlers``) asks the
    ``choose-signer`` handlers for a signature version, emits ``before-sign``, then signs
    unless the version is UNSIGNED (aiobotocore/signers.py ``AioRequestSigner.sign``).
    For an operation whose auth type is ``none`` or absent, on a client configured
    UNSIGNED, with only botocore's own ``choose-signer`` handlers and no ``before-sign``
    handler, it is always UNSIGNED: ``set_operation_specific_signer`` (botocore/handlers.py)
    answers UNSIGNED for ``none`` and nothing when absent, leaving the client's UNSIGNED;
    ``_set_auth_scheme_preference_signer`` keeps a version set in code (and would only
    prefer a bearer token for bedrock); endpoint authSchemes map to ``none`` when UNSIGNED
    is requested (botocore/regions.py ``auth_schemes_to_signing_ctx``). The handler then
    changes nothing. It still runs for any other operation, or a call whose context says
    otherwise; a host's ``choose-signer``/``before-sign`` handler keeps it running.
    """
    from botocore import handlers

    signer = getattr(client, "_request_signer", None)
    handler = getattr(signer, "handler", None)
    if handler is None or getattr(signer, "signature_version", None) is not UNSIGNED:
        return
    if client.meta.config.signature_version is not UNSIGNED:
        return
    known = [
        getattr(handlers, "set_operation_specific_signer", None),
        getattr(handlers, "_set_auth_scheme_preference_signer", None),
    ]
    name = service.service_id.hyphenize()
    if None in known or _handlers(events, f"request-created.{name}") is None:
        return
    verdicts: dict[str, bool] = {}

    def never_signs(operation: str) -> bool:
        model = service.operation_model(operation)
        return (
            model.resolved_auth_type in (None, "none")
            and model.auth in (None, [], ["smithy.api#noAuth"])
            and _handlers(events, f"choose-signer.{name}.{operation}") == known
            and _handlers(events, f"before-sign.{name}.{operation}") == []
        )

    async def sign(operation_name: str, request: Any, **kwargs: Any) -> None:
        verdict = verdicts.get(operation_name)
        if verdict is None:
            verdict = verdicts[operation_name] = never_signs(operation_name)
        if not verdict or request.context.get("auth_type") not in (None, "none"):
            await handler(operation_name=operation_name, request=request, **kwargs)

    events.unregister(f"request-created.{name}", handler=handler)
    # First, where the signer was: before the User-Agent and retry-header handlers.
    events.register_first(f"request-created.{name}", sign)


#: Operations that take the app client's ``ClientId``.
_CLIENT_ID_OPERATIONS = frozenset(
    {
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GetTokensFromRefreshToken",
        "RevokeToken",
    }
)
#: Operations whose ``SecretHash`` is over their ``Username`` (API reference of each).
_USERNAME_OPERATIONS = frozenset(
    {"SignUp", "ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword", "ConfirmForgotPassword"}
)
#: Operations whose ``SECRET_HASH`` is over ``USERNAME`` inside AuthParameters or
#: ChallengeResponses (InitiateAuth / RespondToAuthChallenge API reference).
_AUTH_PARAMETER_OPERATIONS = frozenset(
    {"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge"}
)
#: Operations that take the secret itself as ``ClientSecret``.
_CLIENT_SECRET_OPERATIONS = frozenset({"GetTokensFromRefreshToken", "RevokeToken"})


def _snake(operation: str) -> str:
    """The client method of ``operation``: botocore names them with ``xform_name``
    (botocore/client.py ``_create_methods``), which caches each name it converts."""
    result: str = xform_name(operation)
    return result
