"""``LocalCognito``: the emulator's public entry point.

Configuration (a mapping, or the path of a JSON file) has these optional keys:

``region``
    AWS region of the default pool (the ``region`` argument wins when not the default).
``pool_id``
    id of the default pool (default ``<region>_Local0001``).
``pool``
    ``CreateUserPool`` members (plus the ``SetUserPoolMfaConfig`` members
    ``SmsMfaConfiguration``, ``SoftwareTokenMfaConfiguration``, ``EmailMfaConfiguration``),
    merged over the emulator's default pool settings.
``mfa``, ``mfa_methods``, ``password_policy``, ``username_attributes``,
``alias_attributes``, ``auto_verified_attributes``, ``device_tracking``,
``first_auth_factors``, ``case_sensitive``
    shortcuts for the matching pool settings.
``client``
    ``CreateUserPoolClient`` members applied to both default clients.
``users``
    users to create: ``{"username", "password", "attributes", "status", "mfa",
    "preferred_mfa", "totp_secret", "enabled"}`` (see :meth:`Pool.create_user`).
``custom_auth``
    ``"email_code"`` to install :meth:`TriggerSet.email_code` on the default pool, or
    ``null`` for none.
``seed``
    seed of the fault injector's random generator.
``domain``
    a domain prefix for the default pool (managed login and OAuth 2.0 endpoints at
    :meth:`LocalCognito.domain_url`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .clock import Clock
from .codes import Outbox
from .config import ALL_EXPLICIT_AUTH_FLOWS, default_local_pool_settings
from .faults import Faults
from .model import Pool
from .server import make_app
from .state import Backend
from .triggers import TriggerSet

__all__ = ["LocalCognito", "load_config"]

_CONFIG_KEYS = {
    "region",
    "pool_id",
    "pool",
    "mfa",
    "mfa_methods",
    "password_policy",
    "username_attributes",
    "alias_attributes",
    "auto_verified_attributes",
    "device_tracking",
    "first_auth_factors",
    "case_sensitive",
    "client",
    "users",
    "custom_auth",
    "seed",
    "domain",
}
_MFA_MEMBERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SMS_MFA": ("SmsMfaConfiguration", {"SmsAuthenticationMessage": "Your code is {####}"}),
    "SOFTWARE_TOKEN_MFA": ("SoftwareTokenMfaConfiguration", {"Enabled": True}),
    "EMAIL_OTP": (
        "EmailMfaConfiguration",
        {"Message": "Your code is {####}", "Subject": "Your code"},
    ),
}


def load_config(config: Mapping[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """Read and check an emulator configuration (mapping or JSON file path).

    Raises:
        ValueError: unknown keys or invalid JSON.
    """
    if config is None:
        return {}
    if isinstance(config, (str, os.PathLike)):
        data = json.loads(Path(config).read_text(encoding="utf-8"))
    else:
        data = dict(config)
    if not isinstance(data, dict):
        raise ValueError("the configuration must be a JSON object")
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        raise ValueError(f"unknown configuration key(s): {', '.join(unknown)}")
    return data


def _pool_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    settings = default_local_pool_settings()
    settings.update(config.get("pool") or {})
    policies = dict(settings.get("Policies") or {})
    if "password_policy" in config:
        policies["PasswordPolicy"] = dict(config["password_policy"])
    if "first_auth_factors" in config:
        policies["SignInPolicy"] = {"AllowedFirstAuthFactors": list(config["first_auth_factors"])}
    settings["Policies"] = policies
    if "mfa" in config:
        settings["MfaConfiguration"] = config["mfa"]
    if "mfa_methods" in config:
        for name, (member, default) in _MFA_MEMBERS.items():
            if name in config["mfa_methods"]:
                settings[member] = dict(default)
            elif member == "SoftwareTokenMfaConfiguration":
                settings[member] = {"Enabled": False}
            else:
                settings.pop(member, None)
    for key, member in (
        ("username_attributes", "UsernameAttributes"),
        ("alias_attributes", "AliasAttributes"),
        ("auto_verified_attributes", "AutoVerifiedAttributes"),
    ):
        if key in config:
            settings[member] = list(config[key])
    if "case_sensitive" in config:
        settings["UsernameConfiguration"] = {"CaseSensitive": bool(config["case_sensitive"])}
    tracking = config.get("device_tracking")
    if tracking is True:
        settings["DeviceConfiguration"] = {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        }
    elif isinstance(tracking, Mapping):
        settings["DeviceConfiguration"] = dict(tracking)
    elif tracking is False:
        settings.pop("DeviceConfiguration", None)
    return settings


class LocalCognito:
    """A strict local Cognito User Pool emulator served over HTTP on 127.0.0.1.

    Use it as ``async with LocalCognito() as local: ...``; ``local.endpoint_url`` is then
    ready for aiobotocore/boto3 (``endpoint_url=...``, any credentials). A default pool
    (``user_pool_id``) comes with a public client (``client_id``) and a client with a
    secret (``secret_client_id``, ``client_secret``), both allowing every auth flow.
    Token issuers are ``{endpoint_url}/{user_pool_id}``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("LocalCognito only binds 127.0.0.1")
        cfg = load_config(config)
        if region == "us-east-1" and cfg.get("region"):
            region = str(cfg["region"])
        self.host = "127.0.0.1"
        self._requested_port = port
        self.region = region
        self.backend = Backend(region, clock)
        if "seed" in cfg:
            self.backend.faults.seed(cfg["seed"])
        pool = self.backend.create_pool(
            _pool_settings(cfg), api=False, pool_id=cfg.get("pool_id") or f"{region}_Local0001"
        )
        client_settings: dict[str, Any] = {
            "ExplicitAuthFlows": list(ALL_EXPLICIT_AUTH_FLOWS),
            "PreventUserExistenceErrors": "ENABLED",
        }
        client_settings.update(cfg.get("client") or {})
        public = self.backend.create_client(pool, "local-public", client_settings)
        private = self.backend.create_client(
            pool, "local-secret", client_settings, generate_secret=True
        )
        self.user_pool_id = pool.id
        self.client_id = public.client_id
        self.secret_client_id = private.client_id
        self.client_secret: str = private.secret or ""
        custom = cfg.get("custom_auth")
        if custom == "email_code":
            pool.set_triggers(TriggerSet.email_code())
        elif custom is not None:
            raise ValueError("custom_auth must be 'email_code' or null")
        for raw in cfg.get("users") or []:
            spec: dict[str, Any] = dict(raw)
            pool.create_user(
                spec.pop("username"),
                spec.pop("password", None),
                attributes=spec.pop("attributes", None),
                status=spec.pop("status", "CONFIRMED"),
                mfa=spec.pop("mfa", None),
                preferred_mfa=spec.pop("preferred_mfa", None),
                totp_secret=spec.pop("totp_secret", None),
                enabled=spec.pop("enabled", True),
            )
            if spec:
                raise ValueError(f"unknown user setting(s): {', '.join(sorted(spec))}")
        if cfg.get("domain"):
            self.create_domain(str(cfg["domain"]))
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._warm: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ accessors
    @property
    def port(self) -> int:
        """The bound port (after start)."""
        if self._port is None:
            raise RuntimeError("LocalCognito is not started")
        return self._port

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT`` (after start)."""
        return f"http://{self.host}:{self.port}"

    @property
    def outbox(self) -> Outbox:
        """Every code sent."""
        return self.backend.outbox

    @property
    def clock(self) -> Clock:
        """The clock all expiry uses."""
        return self.backend.clock

    @property
    def faults(self) -> Faults:
        """Fault injection."""
        return self.backend.faults

    @property
    def pools(self) -> dict[str, Pool]:
        """Every pool by id."""
        return self.backend.pools

    def pool(self, pool_id: str | None = None) -> Pool:
        """A pool (the default pool when ``pool_id`` is None).

        Raises:
            KeyError: no such pool.
        """
        return self.backend.pools[pool_id or self.user_pool_id]

    def issuer(self, pool_id: str | None = None) -> str:
        """The ``iss`` of tokens from a pool (after start)."""
        return f"{self.endpoint_url}/{pool_id or self.user_pool_id}"

    def jwks_url(self, pool_id: str | None = None) -> str:
        """Where the pool's JWKS is served (after start)."""
        return f"{self.issuer(pool_id)}/.well-known/jwks.json"

    # ------------------------------------------------------------------ shortcuts
    def create_pool(self, name: str = "pool", **settings: Any) -> str:
        """Create a pool like ``CreateUserPool`` (PascalCase members); returns its id."""
        params = {"PoolName": name, **settings}
        return self.backend.create_pool(params).id

    def create_client(
        self,
        pool_id: str | None = None,
        *,
        generate_secret: bool = False,
        explicit_auth_flows: list[str] | None = None,
        name: str = "client",
        **settings: Any,
    ) -> tuple[str, str | None]:
        """Create an app client like ``CreateUserPoolClient``; returns ``(id, secret)``.

        ``explicit_auth_flows=None`` allows every flow (unlike the API's default).
        """
        pool = self.pool(pool_id)
        params = dict(settings)
        params["ExplicitAuthFlows"] = list(
            ALL_EXPLICIT_AUTH_FLOWS if explicit_auth_flows is None else explicit_auth_flows
        )
        client = self.backend.create_client(pool, name, params, generate_secret=generate_secret)
        return client.client_id, client.secret

    def create_domain(self, domain: str, pool_id: str | None = None) -> str:
        """Give a pool a domain prefix (like CreateUserPoolDomain); returns the prefix.

        Raises:
            ValueError: the prefix is taken or the pool has a domain already.
        """
        pool = self.pool(pool_id)
        data = self.backend.oauth
        if domain in data.domains or data.domain_of(pool.id) is not None:
            raise ValueError(f"domain {domain!r} or pool {pool.id} already has a domain")
        data.domains[domain] = pool.id
        return domain

    def domain_url(self, pool_id: str | None = None) -> str:
        """The base URL of the pool's domain (after start): the emulator's stand-in for
        ``https://{prefix}.auth.{region}.amazoncognito.com``.

        Raises:
            LookupError: the pool has no domain.
        """
        from .managed_login import domain_url

        domain = self.backend.oauth.domain_of(self.pool(pool_id).id)
        if domain is None:
            raise LookupError("the pool has no domain: create one with create_domain()")
        return domain_url(self.backend, domain)

    def create_resource_server(
        self, identifier: str, scopes: dict[str, str], pool_id: str | None = None
    ) -> list[str]:
        """A resource server with ``{scope_name: description}``; returns the custom
        scopes ``identifier/scope_name``."""
        pool = self.pool(pool_id)
        self.backend.oauth.resource_servers.setdefault(pool.id, {})[identifier] = {
            "UserPoolId": pool.id,
            "Identifier": identifier,
            "Name": identifier,
            "Scopes": [{"ScopeName": n, "ScopeDescription": d} for n, d in scopes.items()],
        }
        return [f"{identifier}/{name}" for name in scopes]

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind 127.0.0.1 and serve."""
        if self._runner is not None:
            return
        info = {
            "region": self.region,
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "secret_client_id": self.secret_client_id,
        }
        app = make_app(self.backend, info)
        # handler_cancellation: a client that goes away cancels its request (for example
        # one stuck in an injected latency), so stopping never waits for it.
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        self.backend.endpoint_url = self.endpoint_url
        self.backend.info["endpoint_url"] = self.endpoint_url
        loop = asyncio.get_running_loop()
        self._warm = loop.run_in_executor(None, self.backend.signer.warm)

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._warm is not None:
            await self._warm
            self._warm = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> LocalCognito:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        where = self.endpoint_url if self._port is not None else "not started"
        return f"LocalCognito({where}, pool={self.user_pool_id})"
