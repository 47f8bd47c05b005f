"""Challenge sessions and refresh-token records.

An :class:`AuthContext` is one sign-in attempt from InitiateAuth to tokens; every
challenge answered in it gets a fresh :class:`AuthSession` (a new, single-use ``Session``
string that expires after the client's AuthSessionValidity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .codes import CodeRecord
    from .model import Client, Pool, User

__all__ = ["AuthContext", "AuthSession", "RefreshRecord", "SrpState"]


@attrs.define(eq=False)
class AuthContext:
    """One sign-in attempt."""

    pool: Pool
    client: Client
    flow: str
    user: User | None
    typed_username: str
    admin: bool = False
    client_metadata: dict[str, str] = attrs.field(factory=dict)
    device_key: str | None = None
    device_authenticated: bool = False
    first_factor: str | None = None
    new_password_done: bool = False
    mfa_done: bool = False
    custom_history: list[dict[str, Any]] = attrs.field(factory=list)
    custom_srp_a: int | None = attrs.field(default=None, repr=False)
    pending_totp_secret: str | None = attrs.field(default=None, repr=False)
    totp_verified: bool = False
    setup_email: str | None = None
    #: Started by the managed login page: the sign-in ends in an authorization code
    #: (cognito_local.managed_login), not in an AuthenticationResult.
    managed_login: bool = False

    @property
    def custom(self) -> bool:
        """Whether this is a CUSTOM_AUTH sign-in."""
        return self.flow == "CUSTOM_AUTH"


@attrs.define(eq=False)
class SrpState:
    """The server side of one SRP exchange (user or device)."""

    b: int = attrs.field(repr=False)
    big_b: int
    big_a: int
    salt: int
    verifier: int = attrs.field(repr=False)
    secret_block: str
    pool_name: str
    user_id: str


@attrs.define(eq=False)
class AuthSession:
    """One issued challenge, answered at most once (wrong codes may be retried)."""

    token: str = attrs.field(repr=False)
    context: AuthContext
    challenge: str
    expires: float
    state: str = "active"  # active | used | dead
    attempts: int = 0
    srp: SrpState | None = None
    code: CodeRecord | None = None
    private: dict[str, str] = attrs.field(factory=dict, repr=False)
    challenge_metadata: str | None = None
    available: list[str] = attrs.field(factory=list)


@attrs.define(eq=False)
class RefreshRecord:
    """A refresh token bound to a user, an app client and (maybe) a device."""

    token: str = attrs.field(repr=False)
    pool_id: str
    client_id: str
    sub: str
    username: str
    origin_jti: str
    event_id: str
    auth_time: int
    issued: float
    expires: float
    device_key: str | None = None
    revoked: bool = False
    superseded_at: float | None = None
    #: The OAuth scopes of tokens issued through /oauth2/token (None: the API's
    #: ``aws.cognito.signin.user.admin``).
    scope: str | None = None
