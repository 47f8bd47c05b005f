"""The Cognito client layer: one aiobotocore ``cognito-idp`` client per pool.

It knows nothing about flows. It owns:

* the aiobotocore client(s): an *unsigned* one for Cognito's public operations (no AWS
  credentials are needed or looked up) and, only when an admin operation is called, a
  signed one that uses the normal credential chain;
* botocore's ``standard`` retry mode (throttling and 5xx are retried with backoff), explicit
  connect/read timeouts and a connection pool larger than botocore's default of 10;
* SECRET_HASH;
* mapping every ``botocore.exceptions.ClientError`` to the library's typed exceptions
  (:mod:`cognito_flows.errors`), by error code, never by client exception class (those differ
  between botocore sessions).

Nothing here logs request parameters: they carry passwords, codes and tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from contextlib import AsyncExitStack
from typing import Any

import attrs
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore import UNSIGNED
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from .errors import (
    CognitoConnectionError,
    ConfigurationError,
    ProtocolError,
    from_botocore_response,
)

__all__ = [
    "ADMIN_OPERATIONS",
    "ClientConfig",
    "CognitoClient",
    "RedactCognitoBodies",
    "install_log_redaction",
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
    r"PASSWORD_CLAIM_SIGNATURE|ChallengeResponses|AuthParameters|FeedbackToken|\bToken\b"
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
    ) -> None:
        self.region = region
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
            self._session = get_session()
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
        return self._admin

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call a Cognito operation by its API name (``"InitiateAuth"``) and return the body.

        ``None`` values are dropped from ``params``. Admin operations go through the signed
        client.

        Raises:
            CognitoError: a typed subclass for the error code Cognito answered.
            CognitoConnectionError: Cognito could not be reached or timed out.
        """
        if not self._opened:
            await self.open()
        client = await self._admin_client() if operation in ADMIN_OPERATIONS else self._public
        method = getattr(client, _snake(operation))
        clean = {k: v for k, v in params.items() if v is not None}
        log.debug("calling %s", operation)
        try:
            response: dict[str, Any] = await method(**clean)
        except ClientError as exc:
            err = from_botocore_response(exc.response, operation)
            log.debug("%s failed: %s", operation, err.code)
            raise err from None
        except (
            EndpointConnectionError,
            ConnectTimeoutError,
            ReadTimeoutError,
            ConnectionClosedError,
        ) as exc:
            raise CognitoConnectionError(f"{operation}: {type(exc).__name__}") from None
        except SSLError:
            # No TLS session could be set up: an https:// endpoint that speaks plain HTTP
            # (or a certificate that does not verify). Nothing reached Cognito.
            raise CognitoConnectionError(
                f"{operation}: SSLError (the TLS handshake failed: does the endpoint speak "
                "https, and does its certificate verify?)"
            ) from None
        except NoCredentialsError:
            raise ConfigurationError(f"{operation} needs AWS credentials") from None
        except BotoCoreError as exc:
            # Parameter validation and similar client-side errors. Their text can quote
            # parameter values, so only the class name is kept.
            raise ProtocolError(f"{operation}: {type(exc).__name__}") from None
        response.pop("ResponseMetadata", None)
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


def _snake(operation: str) -> str:
    return _SNAKE.get(operation) or re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


_SNAKE = {
    "SetUserMFAPreference": "set_user_mfa_preference",
    "AdminSetUserMFAPreference": "admin_set_user_mfa_preference",
    "SetUserPoolMfaConfig": "set_user_pool_mfa_config",
    "GetUserPoolMfaConfig": "get_user_pool_mfa_config",
}
