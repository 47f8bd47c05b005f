"""The token set: the tokens of one signed-in session, built from Cognito's
``AuthenticationResult`` and saved to, or loaded from, a JSON-safe dict. Claims are read
without verification (:mod:`cognito_flows.tokens.verifier` verifies)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import MalformedTokenError, ProtocolError, TokenSetFormatError, hidden, masked
from ._jwt import TokenUse, is_number, split_jws

__all__ = ["TokenSet"]

_TOKEN_FORMAT_VERSION = 1


@masked
@attrs.frozen(kw_only=True, repr=False)
class TokenSet:
    """The tokens of one signed-in session.

    Secrets (all three tokens, the device key) never appear in ``repr``; the ``repr`` shows
    the id token's ``sub``, the expiry and whether a refresh token is held.

    Attributes:
        access_token: the access token (JWT).
        id_token: the id token (JWT).
        expires_at: epoch seconds when the tokens expire (``now + ExpiresIn``).
        refresh_token: the refresh token, when Cognito issued one.
        token_type: ``"Bearer"``.
        device_key: the remembered device's key, when device tracking is on.
    """

    access_token: str = attrs.field(repr=hidden)
    id_token: str = attrs.field(repr=hidden)
    expires_at: float
    refresh_token: str | None = attrs.field(default=None, repr=hidden)
    token_type: str = "Bearer"
    device_key: str | None = None

    @classmethod
    def from_authentication_result(
        cls,
        result: Mapping[str, Any],
        *,
        now: float,
        previous: TokenSet | None = None,
    ) -> TokenSet:
        """Build a token set from Cognito's ``AuthenticationResult``.

        ``now`` is the clock reading when the response arrived (``expires_at = now +
        ExpiresIn``). A refresh answers without a ``RefreshToken`` unless rotation is on;
        then the ``previous`` refresh token is kept, and a new one replaces it. The device
        key comes from ``NewDeviceMetadata`` or, failing that, from ``previous``.

        Raises:
            ProtocolError: ``AccessToken``, ``IdToken`` or ``ExpiresIn`` is missing, or
                ``ExpiresIn`` is not a positive, finite number.
        """
        access = result.get("AccessToken")
        id_token = result.get("IdToken")
        expires_in = result.get("ExpiresIn")
        if not isinstance(access, str) or not access:
            raise ProtocolError("AuthenticationResult has no AccessToken")
        if not isinstance(id_token, str) or not id_token:
            raise ProtocolError("AuthenticationResult has no IdToken")
        if not is_number(expires_in) or expires_in <= 0:
            # NaN, infinite or non-positive lifetimes would make the tokens never (or
            # always) expire; Cognito's are 5 minutes to 1 day (API reference, TokenValidity).
            raise ProtocolError("AuthenticationResult has no positive, finite ExpiresIn")
        refresh = result.get("RefreshToken")
        if not isinstance(refresh, str) or not refresh:
            refresh = previous.refresh_token if previous is not None else None
        metadata = result.get("NewDeviceMetadata")
        device_key = metadata.get("DeviceKey") if isinstance(metadata, Mapping) else None
        if not isinstance(device_key, str) or not device_key:
            device_key = previous.device_key if previous is not None else None
        token_type = result.get("TokenType")
        return cls(
            access_token=access,
            id_token=id_token,
            expires_at=float(now) + float(expires_in),
            refresh_token=refresh,
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
            device_key=device_key,
        )

    def expires_in(self, now: float) -> float:
        """Seconds left until expiry at ``now`` (never negative)."""
        return max(0.0, self.expires_at - now)

    def is_expired(self, now: float, leeway: float = 0.0) -> bool:
        """Whether the tokens are expired at ``now``, or will be within ``leeway`` seconds."""
        return now + leeway >= self.expires_at

    def unverified_claims(self, which: TokenUse = "id") -> dict[str, Any]:
        """The claims of the id or access token, decoded WITHOUT verifying anything.

        Only for reading claims of tokens this process obtained from Cognito itself; use
        :class:`TokenVerifier` for tokens received from elsewhere.

        Raises:
            MalformedTokenError: the token is not a decodable JWT.
        """
        token = self.id_token if which == "id" else self.access_token
        return split_jws(token)[1]

    @property
    def username(self) -> str | None:
        """The ``username`` claim of the access token (the user's Cognito user name)."""
        value = self.unverified_claims("access").get("username")
        return value if isinstance(value, str) else None

    @property
    def sub(self) -> str | None:
        """The ``sub`` claim (the user's immutable id) of the id token."""
        value = self.unverified_claims("id").get("sub")
        return value if isinstance(value, str) else None

    def as_dict(self, *, now: float | None = None) -> dict[str, Any]:
        """Cognito-shaped output for ``--json``: ``AccessToken``, ``IdToken``,
        ``RefreshToken``, ``ExpiresIn`` (whole seconds left at ``now``, default the wall
        clock) and ``TokenType``. Contains secrets: for the user's own terminal only."""
        at = time.time() if now is None else now
        return {
            "AccessToken": self.access_token,
            "IdToken": self.id_token,
            "RefreshToken": self.refresh_token,
            "ExpiresIn": int(self.expires_in(at)),
            "TokenType": self.token_type,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for a token file (absolute ``expires_at``); see :meth:`from_dict`."""
        return {
            "version": _TOKEN_FORMAT_VERSION,
            "access_token": self.access_token,
            "id_token": self.id_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "token_type": self.token_type,
            "device_key": self.device_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """Load a token set saved with :meth:`to_dict`.

        Raises:
            TokenSetFormatError: a field is missing or has the wrong type, or the version is
                unknown.
        """
        if not isinstance(data, Mapping):
            raise TokenSetFormatError("token set must be a JSON object")
        if data.get("version", _TOKEN_FORMAT_VERSION) != _TOKEN_FORMAT_VERSION:
            raise TokenSetFormatError("unsupported token set version")

        def text(name: str, *, optional: bool = False) -> str | None:
            value = data.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, str) or not value:
                raise TokenSetFormatError(f"token set field {name!r} must be a string")
            return value

        expires_at = data.get("expires_at")
        if not is_number(expires_at):
            raise TokenSetFormatError("token set field 'expires_at' must be a number")
        return cls(
            access_token=text("access_token") or "",
            id_token=text("id_token") or "",
            expires_at=float(expires_at),
            refresh_token=text("refresh_token", optional=True),
            token_type=text("token_type", optional=True) or "Bearer",
            device_key=text("device_key", optional=True),
        )

    def __repr__(self) -> str:
        try:
            sub: str | None = self.sub
        except MalformedTokenError:
            sub = None
        return (
            f"TokenSet(sub={sub!r}, expires_at={self.expires_at!r}, "
            f"refresh_token={'<set>' if self.refresh_token else None}, "
            f"device_key={'<set>' if self.device_key else None})"
        )
