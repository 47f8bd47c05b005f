"""moto server: a second, independent Cognito peer (lenient: see docs/local.md)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest

from cognito_flows import UserPool

os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
REGION = "us-east-1"
#: moto gives every user this TOTP secret.
MOTO_TOTP_SECRET = "asdfasdfasdf"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._server.server_port}"
    finally:
        server.stop()


@pytest.fixture
def moto_admin(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 cognito-idp client with dummy credentials, for setting pools up."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class MotoPool:
    """A pool and app client created on moto."""

    def __init__(self, admin: Any, *, mfa: str = "OFF", secret: bool = False) -> None:
        self.admin = admin
        pool = admin.create_user_pool(PoolName="cf-tests", MfaConfiguration="OFF")["UserPool"]
        self.user_pool_id: str = pool["Id"]
        if mfa != "OFF":
            admin.set_user_pool_mfa_config(
                UserPoolId=self.user_pool_id,
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration=mfa,
            )
        client = admin.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName="cf",
            GenerateSecret=secret,
            ExplicitAuthFlows=[
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
        )["UserPoolClient"]
        self.client_id: str = client["ClientId"]
        self.client_secret: str | None = client.get("ClientSecret")

    def user(self, username: str, password: str, *, permanent: bool = True) -> None:
        self.admin.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=username,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",
        )
        if permanent:
            self.admin.admin_set_user_password(
                UserPoolId=self.user_pool_id, Username=username, Password=password, Permanent=True
            )


@pytest.fixture
def moto_pool_factory(moto_admin: Any) -> Any:
    return lambda **kw: MotoPool(moto_admin, **kw)


@pytest.fixture
async def moto_user_pool(moto_endpoint: str) -> AsyncIterator[Any]:
    """Open a UserPool on a MotoPool: ``async with`` is done for the test."""
    opened: list[UserPool] = []

    def open_pool(mp: MotoPool) -> UserPool:
        pool = UserPool(
            mp.user_pool_id,
            mp.client_id,
            client_secret=mp.client_secret,
            endpoint_url=moto_endpoint,
            region=REGION,
        )
        opened.append(pool)
        return pool

    yield open_pool
    for pool in opened:
        await pool.aclose()
