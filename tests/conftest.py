"""Shared fixtures: the local Cognito over real HTTP, pools and users set up through its API.

Pools and users are created with Cognito's own admin operations over the wire (the same
calls one would make against AWS), so these fixtures depend on the emulator's protocol, not
its Python internals. Only the outbox and the clock are emulator-specific test controls.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pyotp
import pytest
from aiobotocore.session import AioSession, get_session

from cognito_flows import UserPool

ALL_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
]
PASSWORD = "Corr3ct-Horse!"


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_data_loader() -> Iterator[None]:
    """One botocore data loader for the whole test process.

    Every botocore/aiobotocore session (the library's own, the fixtures', the CLI's run
    in-process) otherwise parses the cognito-idp model, the endpoint rules and the
    partitions JSON again: about 1.8 s per client on a loaded 2-core machine, 60 ms with the
    loader shared. The loader only reads botocore's packaged data, so sharing it isolates
    nothing away; each session, client and connection stays the test's own. The loaders are
    the library's own (``cognito_flows.wire._data_loader``, one per data path), which its
    sessions already share, so the test process holds one cache of them.
    """
    import botocore.session

    from cognito_flows.wire import _data_loader

    patch = pytest.MonkeyPatch()
    patch.setattr(botocore.session, "create_loader", _data_loader)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _dummy_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Admin calls are signed with dummy credentials; nothing ever leaves 127.0.0.1."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
async def local() -> AsyncIterator[Any]:
    """A fresh strict local Cognito on 127.0.0.1."""
    from cognito_local import LocalCognito

    async with LocalCognito() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def aio_session() -> AioSession:
    """One aiobotocore session for the test process's fixtures, as a host app keeps one.

    A botocore session registers its 120-odd built-in event handlers when it is made (13 ms
    of CPU each time); the clients made from it each copy those handlers and stay the
    test's own, so sharing it isolates nothing away. Credentials are the fixtures' explicit
    dummy keys, not the session's.
    """
    return get_session()


@pytest.fixture
async def admin(local: Any, aio_session: AioSession) -> AsyncIterator[Any]:
    """An aiobotocore cognito-idp client (signed, dummy credentials) for the local Cognito."""
    async with aio_session.create_client(
        "cognito-idp",
        region_name=local.region,
        endpoint_url=local.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        yield client


class PoolFactory:
    """Creates pools, clients, users and opened :class:`UserPool` objects on the emulator."""

    def __init__(self, local: Any, admin: Any, session: AioSession | None = None) -> None:
        self.local = local
        self.admin = admin
        self.session = session
        self.opened: list[UserPool] = []

    async def pool(
        self,
        *,
        mfa: str = "OFF",
        secret: bool = False,
        flows: list[str] | None = None,
        prevent_user_existence_errors: str = "ENABLED",
        pool_settings: dict[str, Any] | None = None,
        client_settings: dict[str, Any] | None = None,
        **pool_kwargs: Any,
    ) -> UserPool:
        settings: dict[str, Any] = {"PoolName": "tests", "MfaConfiguration": "OFF"}
        settings.update(pool_settings or {})
        created = await self.admin.create_user_pool(**settings)
        pool_id = created["UserPool"]["Id"]
        if mfa != "OFF":
            await self.admin.set_user_pool_mfa_config(
                UserPoolId=pool_id,
                SoftwareTokenMfaConfiguration={"Enabled": True},
                SmsMfaConfiguration={"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/x"}},
                EmailMfaConfiguration={"Message": "Your code is {####}"},
                MfaConfiguration=mfa,
            )
        client = await self.admin.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="tests",
            GenerateSecret=secret,
            ExplicitAuthFlows=flows or ALL_FLOWS,
            PreventUserExistenceErrors=prevent_user_existence_errors,
            **(client_settings or {}),
        )
        info = client["UserPoolClient"]
        pool = UserPool(
            pool_id,
            info["ClientId"],
            client_secret=info.get("ClientSecret"),
            endpoint_url=self.local.endpoint_url,
            region=self.local.region,
            clock=self.local.clock.now,
            **{"session": self.session, **pool_kwargs},
        )
        await pool.__aenter__()
        self.opened.append(pool)
        return pool

    async def user(
        self,
        pool: UserPool,
        username: str,
        password: str = PASSWORD,
        *,
        attributes: dict[str, str] | None = None,
        permanent: bool = True,
    ) -> None:
        attrs = [{"Name": k, "Value": v} for k, v in (attributes or {}).items()]
        await self.admin.admin_create_user(
            UserPoolId=pool.user_pool_id,
            Username=username,
            TemporaryPassword=password,
            UserAttributes=attrs,
            MessageAction="SUPPRESS",
        )
        if permanent:
            await self.admin.admin_set_user_password(
                UserPoolId=pool.user_pool_id, Username=username, Password=password, Permanent=True
            )

    def totp(self, secret: str) -> str:
        """The TOTP code for ``secret`` at the emulator's clock."""
        return pyotp.TOTP(secret).at(self.local.clock.now())

    async def enroll_totp(self, pool: UserPool, username: str, password: str = PASSWORD) -> str:
        """Sign in, enrol TOTP through the public API, prefer it; returns the secret."""
        tokens = await pool.sign_in(username, password)
        call = pool.client.call
        secret = (await call("AssociateSoftwareToken", AccessToken=tokens.access_token))[
            "SecretCode"
        ]
        await call(
            "VerifySoftwareToken", AccessToken=tokens.access_token, UserCode=self.totp(secret)
        )
        await call(
            "SetUserMFAPreference",
            AccessToken=tokens.access_token,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        # The next TOTP code must come from a later 30 s window (codes are single-use).
        self.local.clock.advance(30)
        return secret

    async def close(self) -> None:
        for pool in self.opened:
            await pool.aclose()


@pytest.fixture
async def pools(local: Any, admin: Any, aio_session: AioSession) -> AsyncIterator[PoolFactory]:
    factory = PoolFactory(local, admin, aio_session)
    yield factory
    await factory.close()


@pytest.fixture
def outbox_code(local: Any) -> Callable[..., Awaitable[str]]:
    """The newest code the emulator sent (optionally for a user and purpose)."""

    async def get(username: str | None = None, purpose: str | None = None) -> str:
        message = local.outbox.last(username=username, purpose=purpose)
        assert message is not None, "no code was sent"
        return str(message.code)

    return get


def device_tracking(*, challenge_new: bool, on_prompt: bool) -> dict[str, Any]:
    """Pool settings for device tracking (CreateUserPool ``DeviceConfiguration``): challenge
    a new device or not (``challenge_new``), remember a device only when the user says so
    (``on_prompt``) or always."""
    return {
        "DeviceConfiguration": {
            "ChallengeRequiredOnNewDevice": challenge_new,
            "DeviceOnlyRememberedOnUserPrompt": on_prompt,
        }
    }


def env_flag(name: str) -> bool:
    """Whether CI demands something that a developer machine may lack (node, locales)."""
    return os.environ.get(name, "") not in ("", "0")


KAT_DIR = __import__("pathlib").Path(__file__).parent / "kat"


def npm_modules(directory: Any, package: str) -> Any:
    """``directory/node_modules`` holding npm ``package`` (``npm ci`` there once when node
    and npm exist but the modules do not). Skips without them, unless ``CF_REQUIRE_NODE=1``
    (CI), where it fails."""
    import shutil
    import subprocess

    modules = directory / "node_modules"
    if not (modules / package).is_dir() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=directory,
            check=False,
            timeout=600,
        )
    if shutil.which("node") is None or not (modules / package).is_dir():
        message = f"needs node and npm's {package} in tests/{directory.name} (npm ci there)"
        if env_flag("CF_REQUIRE_NODE"):
            pytest.fail(message)
        pytest.skip(message)
    return modules


@pytest.fixture(scope="session")
def identity_js_modules() -> Any:
    """``tests/kat/node_modules`` with AWS's ``amazon-cognito-identity-js``."""
    return npm_modules(KAT_DIR, "amazon-cognito-identity-js")
