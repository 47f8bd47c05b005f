"""Tests of cognito_flows.wire: SECRET_HASH, region parsing, and CognitoClient against a tiny
JSON 1.1 server on 127.0.0.1 (signing, retries, error mapping, timeouts, logging)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore import UNSIGNED
from botocore.retries import standard as botocore_standard_retries
from pycognito.aws_srp import AWSSRP

from cognito_flows.errors import (
    CognitoError,
    ConfigurationError,
    IncorrectCredentialsError,
    InternalErrorError,
    ProtocolError,
    TooManyRequestsError,
)
from cognito_flows.wire import (
    ClientConfig,
    CognitoClient,
    CognitoConnectionError,
    region_from_pool_id,
    secret_hash,
)

from .scripted_cognito import Reply, Request, ScriptedCognito, error

REGION = "us-east-1"
PASSWORD = "hunter2-Very-Secret-P@ss"
_AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


# --------------------------------------------------------------------------------------
# SECRET_HASH and region


@pytest.mark.parametrize(
    ("username", "client_id", "client_secret"),
    [
        ("alice", "3n4b5urk1ft4fl3mg5e62d9ado", "1example23456789abcdefghijklmnopqrstuvwxyz0123"),
        ("bob@example.com", "client", "s3cr3t"),
        ("jörg-Ünïcødé-用户", "cid", "sécret"),
        ("8f4e2c1a-0000-4000-8000-000000000000", "abc", "x" * 64),
    ],
)
def test_secret_hash(username: str, client_id: str, client_secret: str) -> None:
    by_hand = base64.b64encode(
        hmac.new(
            client_secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256
        ).digest()
    ).decode("ascii")
    ours = secret_hash(username, client_id, client_secret)
    assert ours == by_hand
    assert ours == AWSSRP.get_secret_hash(username, client_id, client_secret)
    assert len(base64.b64decode(ours)) == 32


def test_secret_hash_depends_on_every_input() -> None:
    base = secret_hash("alice", "cid", "secret")
    assert secret_hash("alicf", "cid", "secret") != base
    assert secret_hash("alice", "cie", "secret") != base
    assert secret_hash("alice", "cid", "secreu") != base


@pytest.mark.parametrize(
    ("pool_id", "region"),
    [
        ("eu-west-1_AbC", "eu-west-1"),
        ("us-east-1_Xy12Zz", "us-east-1"),
        ("ap-southeast-2_Qw3rTy", "ap-southeast-2"),
        ("us-gov-west-1_abc", "us-gov-west-1"),
        ("eu-central-2_A1", "eu-central-2"),
    ],
)
def test_region_from_pool_id(pool_id: str, region: str) -> None:
    assert region_from_pool_id(pool_id) == region


@pytest.mark.parametrize(
    "pool_id",
    [
        "",
        "AbC",
        "eu-west-1",
        "eu-west-1_",
        "_AbC",
        "EU-WEST-1_AbC",
        "eu-west_AbC",
        "eu-west-1_Ab-C",
        " eu-west-1_AbC",
        "eu-west-1_AbC\n",
    ],
)
def test_region_from_pool_id_rejects(pool_id: str) -> None:
    with pytest.raises(ConfigurationError):
        region_from_pool_id(pool_id)


# --------------------------------------------------------------------------------------
# The scripted Cognito (tests/scripted_cognito.py) on 127.0.0.1, no AWS configuration


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No AWS configuration from the machine; nothing may reach the instance metadata service."""
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def credentials(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without botocore's randomized sleeps (the attempt count is what is tested)."""
    monkeypatch.setattr(
        botocore_standard_retries.ExponentialBackoff, "delay_amount", lambda self, context: 0
    )


@pytest.fixture
async def server(aws_env: pytest.MonkeyPatch, no_backoff: None) -> AsyncIterator[ScriptedCognito]:
    async with ScriptedCognito(default=(200, {})) as fake:
        yield fake


def client_for(fake: ScriptedCognito, **config: Any) -> CognitoClient:
    return CognitoClient(region=REGION, endpoint_url=fake.url, config=ClientConfig(**config))


INITIATE = {
    "AuthFlow": "USER_PASSWORD_AUTH",
    "ClientId": "client-id-1",
    "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD},
}


# --------------------------------------------------------------------------------------
# Signing


async def test_public_operation_is_unsigned_even_with_credentials(
    server: ScriptedCognito, credentials: None
) -> None:
    challenge = {"ChallengeName": "PASSWORD_VERIFIER", "Session": "sess", "ChallengeParameters": {}}
    server.on("InitiateAuth", (200, challenge))
    async with client_for(server) as client:
        response = await client.call("InitiateAuth", **INITIATE)
    assert response == {
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": "sess",
        "ChallengeParameters": {},
    }
    (rec,) = server.requests
    assert rec.operation == "InitiateAuth"
    assert "Authorization" not in rec.headers
    assert "X-Amz-Security-Token" not in rec.headers
    assert rec.body == INITIATE


async def test_admin_operation_is_signed(server: ScriptedCognito, credentials: None) -> None:
    server.on("AdminGetUser", (200, {"Username": "alice", "UserAttributes": []}))
    async with client_for(server) as client:
        await client.call("InitiateAuth", **INITIATE)
        response = await client.call("AdminGetUser", UserPoolId="us-east-1_AbC", Username="alice")
    assert response["Username"] == "alice"
    public, admin = server.requests
    assert "Authorization" not in public.headers
    assert admin.operation == "AdminGetUser"
    auth = admin.headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 ")
    assert "Credential=AKIDEXAMPLE/" in auth and f"/{REGION}/cognito-idp/aws4_request" in auth


async def test_admin_operation_without_credentials(server: ScriptedCognito) -> None:
    async with client_for(server) as client:
        # public operations need no credentials at all
        await client.call("InitiateAuth", **INITIATE)
        with pytest.raises(ConfigurationError) as info:
            await client.call("AdminGetUser", UserPoolId="us-east-1_AbC", Username="alice")
    assert "AdminGetUser" in str(info.value)
    assert [r.operation for r in server.requests] == ["InitiateAuth"]


# --------------------------------------------------------------------------------------
# Retries and error mapping


async def test_throttling_is_retried_then_raised(server: ScriptedCognito) -> None:
    server.on("InitiateAuth", error("TooManyRequestsException", "Rate exceeded"))
    async with client_for(server, max_attempts=3) as client:
        with pytest.raises(TooManyRequestsError) as info:
            await client.call("InitiateAuth", **INITIATE)
    assert server.count("InitiateAuth") == 3
    err = info.value
    assert (err.code, err.message, err.http_status) == (
        "TooManyRequestsException",
        "Rate exceeded",
        400,
    )
    assert err.request_id == "req-InitiateAuth-3"


async def test_default_config_makes_three_attempts(server: ScriptedCognito) -> None:
    server.on("InitiateAuth", error("TooManyRequestsException", "slow"))
    async with CognitoClient(region=REGION, endpoint_url=server.url) as client:
        with pytest.raises(TooManyRequestsError):
            await client.call("InitiateAuth", **INITIATE)
    assert ClientConfig().max_attempts == 3
    assert server.count("InitiateAuth") == 3


async def test_max_attempts_is_honoured(server: ScriptedCognito) -> None:
    server.on("InitiateAuth", error("TooManyRequestsException", "slow"))
    async with client_for(server, max_attempts=1) as client:
        with pytest.raises(TooManyRequestsError):
            await client.call("InitiateAuth", **INITIATE)
    assert server.count("InitiateAuth") == 1


async def test_throttling_then_success(server: ScriptedCognito) -> None:
    def flaky(rec: Request) -> Reply:
        if rec.attempt < 3:
            return error("TooManyRequestsException", "Rate exceeded")
        return 200, {"AuthenticationResult": {"AccessToken": "at"}}

    server.on("InitiateAuth", flaky)
    async with client_for(server, max_attempts=3) as client:
        response = await client.call("InitiateAuth", **INITIATE)
    assert response == {"AuthenticationResult": {"AccessToken": "at"}}
    assert server.count("InitiateAuth") == 3


async def test_internal_error_is_retried(server: ScriptedCognito) -> None:
    server.on("InitiateAuth", error("InternalErrorException", "Internal error", 500))
    async with client_for(server, max_attempts=3) as client:
        with pytest.raises(InternalErrorError) as info:
            await client.call("InitiateAuth", **INITIATE)
    assert server.count("InitiateAuth") == 3
    assert info.value.http_status == 500
    assert info.value.request_id == "req-InitiateAuth-3"


async def test_not_authorized_is_not_retried_and_mapped(server: ScriptedCognito) -> None:
    server.on("InitiateAuth", error("NotAuthorizedException", "Incorrect username or password."))
    async with client_for(server, max_attempts=3) as client:
        with pytest.raises(IncorrectCredentialsError) as info:
            await client.call("InitiateAuth", **INITIATE)
    assert server.count("InitiateAuth") == 1
    err = info.value
    assert (err.code, err.message, err.operation, err.request_id, err.http_status) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
        "InitiateAuth",
        "req-InitiateAuth-1",
        400,
    )
    assert err.__cause__ is None and err.__suppress_context__
    assert PASSWORD not in str(err) and PASSWORD not in repr(err)


async def test_namespaced_unknown_error_code(server: ScriptedCognito) -> None:
    server.on("SignUp", error("com.amazonaws.cognito#SomethingNewException", "New!"))
    async with client_for(server) as client:
        with pytest.raises(CognitoError) as info:
            await client.call("SignUp", ClientId="c", Username="u", Password=PASSWORD)
    assert type(info.value) is CognitoError
    assert info.value.code == "SomethingNewException"
    assert info.value.request_id == "req-SignUp-1"


# --------------------------------------------------------------------------------------
# Connection failures


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_closed_port_is_connection_error(
    aws_env: pytest.MonkeyPatch, no_backoff: None
) -> None:
    port = _closed_port()
    client = CognitoClient(
        region=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        config=ClientConfig(max_attempts=2, connect_timeout=2),
    )
    async with client:
        with pytest.raises(CognitoConnectionError) as info:
            await client.call("InitiateAuth", **INITIATE)
    assert "InitiateAuth" in str(info.value)
    assert PASSWORD not in str(info.value)


async def test_read_timeout_is_connection_error(server: ScriptedCognito) -> None:
    release = asyncio.Event()

    async def slow(rec: Request) -> Reply:
        await release.wait()  # set after the client gave up (its read timeout)
        return 200, {}

    server.on("InitiateAuth", slow)
    try:
        async with client_for(server, read_timeout=0.5, max_attempts=1) as client:
            with pytest.raises(CognitoConnectionError) as info:
                await client.call("InitiateAuth", **INITIATE)
    finally:
        release.set()
    assert "InitiateAuth" in str(info.value)
    assert server.count("InitiateAuth") == 1


# --------------------------------------------------------------------------------------
# Client ownership, parameters, logging


async def test_injected_client_is_not_closed(server: ScriptedCognito) -> None:
    session = get_session()
    async with session.create_client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=server.url,
        config=AioConfig(signature_version=UNSIGNED),
    ) as raw:
        async with CognitoClient(region=REGION, client=raw) as client:
            await client.call("InitiateAuth", **INITIATE)
        await client.aclose()  # twice: still harmless
        # the host's client still works, and so does the wrapper (re-opened on demand)
        await raw.initiate_auth(**INITIATE)
        await client.call("InitiateAuth", **INITIATE)
        await client.aclose()
    assert server.count("InitiateAuth") == 3


async def test_owned_client_is_closed_and_reopened(server: ScriptedCognito) -> None:
    client = client_for(server)
    await client.call("InitiateAuth", **INITIATE)  # opens on demand
    await client.aclose()
    await client.call("InitiateAuth", **INITIATE)  # a new client after close
    await client.aclose()
    assert server.count("InitiateAuth") == 2


async def test_admin_client_after_close_and_reopen(
    server: ScriptedCognito, credentials: None
) -> None:
    client = client_for(server)
    await client.call("AdminGetUser", UserPoolId="us-east-1_AbC", Username="alice")
    await client.aclose()
    await client.call("AdminGetUser", UserPoolId="us-east-1_AbC", Username="alice")
    await client.aclose()
    assert server.count("AdminGetUser") == 2


async def test_none_params_are_dropped(server: ScriptedCognito) -> None:
    async with client_for(server) as client:
        await client.call(
            "InitiateAuth",
            ClientMetadata=None,
            AnalyticsMetadata=None,
            UserContextData=None,
            **INITIATE,
        )
    (rec,) = server.requests
    assert rec.body == INITIATE


async def test_invalid_params_do_not_echo_values(server: ScriptedCognito) -> None:
    async with client_for(server) as client:
        with pytest.raises(ProtocolError) as info:
            await client.call(
                "InitiateAuth",
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId="c",
                AuthParameters={"PASSWORD": [PASSWORD]},
            )
    assert PASSWORD not in str(info.value)
    assert server.requests == []


async def test_debug_log_has_no_parameter_values(
    server: ScriptedCognito, caplog: pytest.LogCaptureFixture
) -> None:
    server.on(
        "RespondToAuthChallenge", error("CodeMismatchException", "Invalid code received for user")
    )
    caplog.set_level(logging.DEBUG, logger="cognito_flows")
    async with client_for(server) as client:
        await client.call("InitiateAuth", **INITIATE)
        with pytest.raises(CognitoError):
            await client.call(
                "RespondToAuthChallenge",
                ClientId="client-id-1",
                ChallengeName="SMS_MFA",
                Session="session-secret-abcdefghijklmnop",
                ChallengeResponses={"USERNAME": "alice", "SMS_MFA_CODE": "918273"},
            )
    ours = [r for r in caplog.records if r.name.startswith("cognito_flows")]
    text = "\n".join(r.getMessage() for r in ours)
    assert "InitiateAuth" in text and "RespondToAuthChallenge" in text  # it did log
    for value in (PASSWORD, "alice", "client-id-1", "session-secret-abcdefghijklmnop", "918273"):
        assert value not in text


@pytest.mark.parametrize(
    "body",
    [
        'Making request ... \'body\': b\'{"Token": "eyJjdHkiOi...", "ClientId": "c"}\'',
        'Response body: b\'{"AuthenticationResult": {"AccessToken": "eyJ..."}}\'',
        'Making request ... {"FeedbackToken": "f", "Username": "u"}',
        'Making request ... {"ChallengeResponses": {"SMS_MFA_CODE": "123456"}}',
    ],
)
def test_botocore_bodies_with_secrets_are_withheld(body: str) -> None:
    import logging as _logging

    from cognito_flows.wire import RedactCognitoBodies

    record = _logging.LogRecord(
        "botocore.endpoint", _logging.DEBUG, __file__, 1, "%s", (body,), None
    )
    assert RedactCognitoBodies().filter(record)
    assert "withheld" in record.getMessage()
    for secret in ("eyJ", "123456", '"f"'):
        assert secret not in record.getMessage()


def test_botocore_records_without_secrets_pass() -> None:
    import logging as _logging

    from cognito_flows.wire import RedactCognitoBodies

    record = _logging.LogRecord(
        "botocore.endpoint",
        _logging.DEBUG,
        __file__,
        1,
        "Sending http request: %s",
        ("<AWSPreparedRequest>",),
        None,
    )
    RedactCognitoBodies().filter(record)
    assert record.getMessage() == "Sending http request: <AWSPreparedRequest>"


# --------------------------------------------------------------------------------------
# TLS mismatches are connection errors


def _self_signed_tls_context(tmp_path: Any) -> Any:
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


async def test_https_endpoint_against_a_plain_http_server_is_a_connection_error(
    server: ScriptedCognito,
) -> None:
    url = server.url.replace("http://", "https://")
    async with CognitoClient(
        region=REGION, endpoint_url=url, config=ClientConfig(max_attempts=1)
    ) as client:
        with pytest.raises(CognitoConnectionError) as info:
            await client.call("InitiateAuth", **INITIATE)
    assert not isinstance(info.value, ProtocolError)
    assert "InitiateAuth" in str(info.value) and "TLS" in str(info.value)
    assert PASSWORD not in str(info.value)
    assert server.count("InitiateAuth") == 0


async def test_http_endpoint_against_a_tls_server_is_a_connection_error(tmp_path: Any) -> None:
    context = _self_signed_tls_context(tmp_path)

    async def refuse_plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):  # the handshake fails on the plain request
            await reader.read(1)
        writer.close()

    tls = await asyncio.start_server(refuse_plain_http, "127.0.0.1", 0, ssl=context)
    port = tls.sockets[0].getsockname()[1]
    try:
        async with CognitoClient(
            region=REGION,
            endpoint_url=f"http://127.0.0.1:{port}",
            config=ClientConfig(max_attempts=1),
        ) as client:
            with pytest.raises(CognitoConnectionError) as info:
                await client.call("InitiateAuth", **INITIATE)
        assert not isinstance(info.value, ProtocolError)
    finally:
        tls.close()
        await tls.wait_closed()


async def test_clients_the_library_makes_share_one_data_loader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Each CognitoClient without a session makes its own botocore session, but they share
    the loader (the service model is parsed once per process, not once per client); an
    other AWS_DATA_PATH gets a loader of its own, which searches that path."""
    import botocore.loaders
    import botocore.session

    # botocore's own behaviour (a new loader per session), not the test process's shared one
    # (tests/conftest.py), so that only the library's sharing is measured.
    monkeypatch.setattr(botocore.session, "create_loader", botocore.loaders.create_loader)
    async with ScriptedCognito() as server:
        server.on("GetUser", (200, {"Username": "u", "UserAttributes": []}))
        first = CognitoClient(region="eu-west-1", endpoint_url=server.url)
        second = CognitoClient(region="eu-west-1", endpoint_url=server.url)
        async with first, second:
            await first.call("GetUser", AccessToken="t")
            await second.call("GetUser", AccessToken="t")
            one, two = (c._get_session() for c in (first, second))
            assert one is not two
            assert one.get_component("data_loader") is two.get_component("data_loader")
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
        async with CognitoClient(region="eu-west-1", endpoint_url=server.url) as third:
            await third.call("GetUser", AccessToken="t")
            loader = third._get_session().get_component("data_loader")
            assert loader is not one.get_component("data_loader")
            assert str(tmp_path) in loader.search_paths
    assert len(server.sent("GetUser")) == 3
