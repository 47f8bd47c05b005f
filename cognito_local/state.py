"""The emulator's state and the primitives every operation shares.

Theory of operation: one :class:`Backend` per emulator holds every pool (with its users
and app clients), the live challenge sessions, the refresh tokens, the revoked token
origins, the signing key, the clock and the outbox. Handlers run on one event loop and
never await between checking and consuming a session, so no locks are needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

from .clock import Clock
from .codes import CodeRecord, Message, Outbox, mask_destination
from .config import new_client_id, new_client_secret, new_pool_suffix
from .errors import ServiceError, not_authorized, resource_not_found
from .faults import Faults
from .model import Client, Device, Pool, User
from .oauth import OAuthData, check_client_against_pool
from .recorder import RequestLog
from .sessions import AuthContext, AuthSession, RefreshRecord, SrpState
from .tokens import Signer, new_refresh_token

__all__ = ["Backend", "secret_hash"]

SESSION_USED = "Invalid session for the user, session can only be used once."
SESSION_EXPIRED = "Invalid session for the user, session is expired."
SESSION_INVALID = "Invalid session for the user."


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """Cognito's SECRET_HASH: ``base64(HMAC-SHA256(secret, username + client_id))``."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class Backend:
    """Everything the emulator knows."""

    def __init__(self, region: str, clock: Clock | None = None) -> None:
        self.region = region
        self.clock = clock or Clock()
        self.outbox = Outbox()
        self.faults = Faults()
        #: Opt-in request log (see :mod:`cognito_local.recorder`); None records nothing.
        self.requests: RequestLog | None = None
        self.signer = Signer()
        self.endpoint_url = "http://127.0.0.1"
        #: What /_local/health reports besides the status.
        self.info: dict[str, Any] = {}
        self.pools: dict[str, Pool] = {}
        self.clients: dict[str, Client] = {}
        self.sessions: dict[str, AuthSession] = {}
        self.secret_blocks: dict[str, AuthSession] = {}
        self.refresh_tokens: dict[str, RefreshRecord] = {}
        self.revoked_origins: set[str] = set()
        #: Domains, resource servers, authorization codes, managed login sessions.
        self.oauth = OAuthData()
        self._fake_secret = secrets.token_bytes(32)
        self._pool_counter = 0

    # ------------------------------------------------------------------ pools
    def issuer(self, pool_id: str) -> str:
        """The ``iss`` of the pool's tokens."""
        return f"{self.endpoint_url}/{pool_id}"

    def create_pool(
        self, settings: Mapping[str, Any], *, api: bool = True, pool_id: str | None = None
    ) -> Pool:
        """Create a pool from ``CreateUserPool`` members."""
        if pool_id is None:
            pool_id = f"{self.region}_{new_pool_suffix()}"
            while pool_id in self.pools:
                pool_id = f"{self.region}_{new_pool_suffix()}"
        pool = Pool(self, pool_id, settings, api=api)
        self.pools[pool_id] = pool
        return pool

    def delete_pool(self, pool: Pool) -> None:
        """Delete a pool with its clients."""
        for client_id in list(pool.clients):
            self.clients.pop(client_id, None)
        self.pools.pop(pool.id, None)
        self.oauth.forget_pool(pool.id)

    def create_client(
        self,
        pool: Pool,
        name: str,
        params: Mapping[str, Any],
        *,
        generate_secret: bool = False,
        client_secret: str | None = None,
    ) -> Client:
        """Create an app client from ``CreateUserPoolClient`` members."""
        settings = Client.normalize(params)
        now = self.clock.now()
        client_id = new_client_id()
        secret = (
            client_secret
            if client_secret is not None
            else (new_client_secret() if generate_secret else None)
        )
        check_client_against_pool(self, pool, settings, secret is not None)
        client = Client(
            pool_id=pool.id,
            client_id=client_id,
            name=name,
            created=now,
            modified=now,
            secret=secret,
            settings=settings,
        )
        pool.clients[client_id] = client
        self.clients[client_id] = client
        return client

    def pool(self, pool_id: str) -> Pool:
        """The pool, or ResourceNotFoundException."""
        pool = self.pools.get(pool_id)
        if pool is None:
            raise resource_not_found(f"User pool {pool_id} does not exist.")
        return pool

    def client(self, client_id: str, pool_id: str | None = None) -> tuple[Pool, Client]:
        """The pool and app client, or ResourceNotFoundException."""
        client = self.clients.get(client_id)
        if client is None or (pool_id is not None and client.pool_id != pool_id):
            if pool_id is not None:
                self.pool(pool_id)
            raise resource_not_found(f"User pool client {client_id} does not exist.")
        return self.pools[client.pool_id], client

    # ------------------------------------------------------------------ secrets
    @staticmethod
    def check_secret_hash(
        client: Client, provided: str | None, usernames: Iterable[str | None]
    ) -> None:
        """Enforce SECRET_HASH for clients with a secret.

        Raises:
            ServiceError: NotAuthorizedException, missing or wrong.
        """
        if client.secret is None:
            return
        if not provided:
            raise not_authorized(
                f"Client {client.client_id} is configured with secret but SECRET_HASH was not "
                "received"
            )
        for name in usernames:
            if name and hmac.compare_digest(
                secret_hash(client.secret, name, client.client_id).encode(), provided.encode()
            ):
                return
        raise not_authorized(f"Unable to verify secret hash for client {client.client_id}")

    def fake_salt(self, pool: Pool, username: str) -> int:
        """A stable fake salt for a user that does not exist (no user enumeration)."""
        digest = hmac.new(
            self._fake_secret, f"{pool.id}/{username.lower()}".encode(), hashlib.sha256
        ).digest()
        return int.from_bytes(digest[:16], "big")

    def fake_verifier(self, pool: Pool, username: str) -> int:
        """A stable fake verifier for a user that does not exist."""
        digest = hmac.new(
            self._fake_secret, f"v/{pool.id}/{username.lower()}".encode(), hashlib.sha256
        ).digest()
        from cognito_flows import srp

        return srp.powmod(srp.G, int.from_bytes(digest, "big"), srp.N)

    # ------------------------------------------------------------------ codes
    def send(
        self, pool: Pool, user: User | None, channel: str, destination: str, purpose: str, code: str
    ) -> None:
        """Deliver a code to the outbox."""
        self.outbox.add(
            Message(
                username=user.username if user is not None else "",
                channel=channel,
                destination=destination,
                purpose=purpose,
                code=code,
                time=self.clock.now(),
                user_pool_id=pool.id,
            )
        )

    def issue_code(
        self,
        pool: Pool,
        user: User,
        purpose: str,
        channel: str,
        ttl: float,
        *,
        key: str | None = None,
        attribute: str | None = None,
        destination: str | None = None,
        send: bool = True,
    ) -> CodeRecord:
        """Create (and send) a code for ``user``, replacing any previous one for ``key``."""
        from .codes import new_code

        attribute = attribute or ("email" if channel == "EMAIL" else "phone_number")
        target = destination if destination is not None else (user.attr(attribute) or "")
        record = CodeRecord(
            code=new_code(),
            purpose=purpose,
            expires=self.clock.now() + ttl,
            attribute=attribute,
            value=target,
            channel=channel,
        )
        user.codes[key or purpose] = record
        if send:
            self.send(pool, user, channel, target, purpose, record.code)
        return record

    @staticmethod
    def delivery(record: CodeRecord) -> dict[str, str]:
        """``CodeDeliveryDetailsType`` for a code."""
        channel = record.channel or "EMAIL"
        return {
            "Destination": mask_destination(channel, record.value or ""),
            "DeliveryMedium": channel,
            "AttributeName": record.attribute or "email",
        }

    # ------------------------------------------------------------------ sessions
    def new_session(
        self,
        context: AuthContext,
        challenge: str,
        *,
        srp: SrpState | None = None,
        code: CodeRecord | None = None,
        private: dict[str, str] | None = None,
        metadata: str | None = None,
        available: list[str] | None = None,
        ttl: float | None = None,
    ) -> AuthSession:
        """Issue a fresh single-use session for ``challenge``.

        It expires after the client's AuthSessionValidity unless ``ttl`` says otherwise.
        """
        # Real Session strings are opaque and about 920 characters; so are these, so that
        # memory figures measured against the emulator hold for Cognito too.
        token = "AYABe" + secrets.token_urlsafe(686)
        lifetime = context.client.auth_session_seconds if ttl is None else ttl
        session = AuthSession(
            token=token,
            context=context,
            challenge=challenge,
            expires=self.clock.now() + lifetime,
            srp=srp,
            code=code,
            private=dict(private or {}),
            challenge_metadata=metadata,
            available=list(available or []),
        )
        self.sessions[token] = session
        if srp is not None:
            self.secret_blocks[srp.secret_block] = session
        if len(self.sessions) > 20000:
            self._purge()
        return session

    def _purge(self) -> None:
        cutoff = self.clock.now() - 3600
        for table in (self.sessions, self.secret_blocks):
            for key in [k for k, s in table.items() if s.expires < cutoff]:
                del table[key]

    def lookup_session(
        self, token: str, client: Client | None, *, by_secret_block: bool = False
    ) -> AuthSession:
        """The live session for ``token`` (or SECRET_BLOCK) of this client (any if None).

        Raises:
            ServiceError: NotAuthorizedException (unknown, used, expired, other client).
        """
        table = self.secret_blocks if by_secret_block else self.sessions
        session = table.get(token)
        if session is None or (client is not None and session.context.client is not client):
            raise not_authorized(SESSION_INVALID)
        if session.state == "used":
            raise not_authorized(SESSION_USED)
        if session.state == "dead":
            raise not_authorized(SESSION_INVALID)
        if self.clock.now() >= session.expires:
            raise not_authorized(SESSION_EXPIRED)
        return session

    # ------------------------------------------------------------------ devices
    def new_device(self, pool: Pool, user: User) -> Device:
        """Track a new (unconfirmed) device for ``user``."""
        now = self.clock.now()
        if user.device_group_key is None:
            user.device_group_key = "-" + secrets.token_urlsafe(7).replace("_", "a")[:9]
        device = Device(
            key=f"{pool.region}_{uuid.uuid4()}",
            group_key=user.device_group_key,
            created=now,
            modified=now,
        )
        user.devices[device.key] = device
        return device

    # ------------------------------------------------------------------ tokens
    def _jwt_pair(
        self,
        pool: Pool,
        client: Client,
        user: User,
        record: RefreshRecord,
        now: float,
        *,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        iat = int(now)
        iss = self.issuer(pool.id)
        access: dict[str, Any] = {
            "sub": user.sub,
            "iss": iss,
            "client_id": client.client_id,
            "origin_jti": record.origin_jti,
            "event_id": record.event_id,
            "token_use": "access",
            "scope": record.scope or "aws.cognito.signin.user.admin",
            "auth_time": record.auth_time,
            "exp": iat + client.access_seconds,
            "iat": iat,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        if record.device_key is not None:
            access["device_key"] = record.device_key
        if record.scope is not None:
            access["version"] = 2  # tokens from /oauth2/token carry it
        id_claims: dict[str, Any] = {"sub": user.sub}
        for name, value in user.attributes.items():
            if name in ("email_verified", "phone_number_verified"):
                id_claims[name] = value == "true"
            elif name == "updated_at" and value.isdigit():
                id_claims[name] = int(value)
            else:
                id_claims[name] = value
        id_claims.update(
            {
                "iss": iss,
                "cognito:username": user.username,
                "origin_jti": record.origin_jti,
                "aud": client.client_id,
                "event_id": record.event_id,
                "token_use": "id",
                "auth_time": record.auth_time,
                "exp": iat + client.id_seconds,
                "iat": iat,
                "jti": str(uuid.uuid4()),
            }
        )
        if nonce is not None:
            id_claims["nonce"] = nonce
        out: dict[str, Any] = {
            "AccessToken": self.signer.sign(access),
            "ExpiresIn": client.access_seconds,
            "TokenType": "Bearer",
        }
        # OAuth: an ID token only with the openid scope (developer guide, authorization
        # endpoint: "An ID token is only returned if openid scope is requested").
        if record.scope is None or "openid" in record.scope.split():
            out["IdToken"] = self.signer.sign(id_claims)
        return out

    def issue_tokens(
        self,
        context: AuthContext,
        *,
        scope: str | None = None,
        nonce: str | None = None,
        auth_time: int | None = None,
    ) -> dict[str, Any]:
        """The AuthenticationResult at the end of a sign-in (with NewDeviceMetadata).

        ``scope`` (tokens from ``/oauth2/token``) sets the access token's scopes, with no
        device tracking; ``nonce`` goes into the ID token.
        """
        pool, client, user = context.pool, context.client, context.user
        assert user is not None
        now = self.clock.now()
        new_device: Device | None = None
        device_key: str | None = None
        if context.device_authenticated and context.device_key:
            device_key = context.device_key
        elif pool.device_configuration is not None and scope is None:
            new_device = self.new_device(pool, user)
            device_key = new_device.key
        record = RefreshRecord(
            token=new_refresh_token(),
            pool_id=pool.id,
            client_id=client.client_id,
            sub=user.sub,
            username=user.username,
            origin_jti=str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
            auth_time=int(now) if auth_time is None else auth_time,
            issued=now,
            expires=now + client.refresh_seconds,
            device_key=device_key,
            scope=scope,
        )
        self.refresh_tokens[record.token] = record
        user.event_ids.append(record.event_id)
        del user.event_ids[:-50]
        user.failed_password_attempts = 0
        result = self._jwt_pair(pool, client, user, record, now, nonce=nonce)
        result["RefreshToken"] = record.token
        if new_device is not None:
            result["NewDeviceMetadata"] = {
                "DeviceKey": new_device.key,
                "DeviceGroupKey": new_device.group_key,
            }
        return result

    def refresh(
        self, pool: Pool, client: Client, user: User, record: RefreshRecord
    ) -> dict[str, Any]:
        """New access and ID tokens from a refresh record (rotating it when enabled)."""
        now = self.clock.now()
        result = self._jwt_pair(pool, client, user, record, now)
        if client.rotation:
            new = RefreshRecord(
                token=new_refresh_token(),
                pool_id=pool.id,
                client_id=client.client_id,
                sub=user.sub,
                username=user.username,
                origin_jti=record.origin_jti,
                event_id=record.event_id,
                auth_time=record.auth_time,
                issued=now,
                expires=now + client.refresh_seconds,
                device_key=record.device_key,
                scope=record.scope,
            )
            self.refresh_tokens[new.token] = new
            if record.superseded_at is None:
                record.superseded_at = now
            result["RefreshToken"] = new.token
        return result

    def verify_access_token(
        self, token: str, *, scope: str | None = "aws.cognito.signin.user.admin"
    ) -> tuple[Pool, User, dict[str, Any]]:
        """Check an access token like Cognito: signature, pool, expiry, revocation, user,
        and (unless ``scope`` is None) that it carries ``scope``: the self-service API
        needs ``aws.cognito.signin.user.admin`` (API reference, GetUser: "It must include
        the scope aws.cognito.signin.user.admin").

        Raises:
            ServiceError: NotAuthorizedException / UserNotFoundException.
        """
        try:
            claims = self.signer.decode(token)
        except jwt.PyJWTError:
            raise not_authorized("Invalid Access Token") from None
        iss = claims.get("iss")
        prefix = self.endpoint_url + "/"
        if (
            claims.get("token_use") != "access"
            or not isinstance(iss, str)
            or not iss.startswith(prefix)
        ):
            raise not_authorized("Invalid Access Token")
        pool = self.pools.get(iss[len(prefix) :])
        if pool is None or claims.get("client_id") not in pool.clients:
            raise not_authorized("Invalid Access Token")
        exp = claims.get("exp")
        if not isinstance(exp, int) or self.clock.now() >= exp:
            raise not_authorized("Access Token has expired")
        if claims.get("origin_jti") in self.revoked_origins:
            raise not_authorized("Access Token has been revoked")
        if scope is not None and scope not in str(claims.get("scope", "")).split():
            raise not_authorized("Access Token does not have required scopes")
        user = pool.find_user(str(claims.get("username", "")))
        if user is None or user.sub != claims.get("sub"):
            raise ServiceError("UserNotFoundException", "User does not exist.")
        if not user.enabled:
            raise not_authorized("User is disabled.")
        return pool, user, claims

    def revoke_record(self, record: RefreshRecord) -> None:
        """Revoke a refresh token, its rotations, and the access tokens issued from it."""
        self.revoked_origins.add(record.origin_jti)
        for other in self.refresh_tokens.values():
            if other.origin_jti == record.origin_jti:
                other.revoked = True

    def revoke_user_tokens(self, pool: Pool, user: User) -> None:
        """Revoke every refresh and access token of ``user`` (GlobalSignOut)."""
        for record in self.refresh_tokens.values():
            if record.pool_id == pool.id and record.sub == user.sub:
                record.revoked = True
                self.revoked_origins.add(record.origin_jti)
