"""The wire protocol: errors, request ids, admin signing, faults, local endpoints, JWKS."""

from __future__ import annotations

import json
import random
from typing import Any

import aiohttp
import jwt
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore import UNSIGNED
from botocore.exceptions import ClientError, ConnectionClosedError

from cognito_local import LocalCognito

from .conftest import PASSWORD, Srp, fails

TARGET = "AWSCognitoIdentityProviderService."


async def raw(
    local: LocalCognito, operation: str | None, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], Any]:
    all_headers = {"Content-Type": "application/x-amz-json-1.1"}
    if operation is not None:
        all_headers["X-Amz-Target"] = TARGET + operation
    all_headers.update(headers or {})
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(local.endpoint_url + "/", data=data, headers=all_headers) as response,
    ):
        return response.status, dict(response.headers), await response.json(content_type=None)


async def test_error_shape_and_request_id(local: LocalCognito) -> None:
    status, headers, body = await raw(
        local,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": local.client_id,
            "AuthParameters": {"USERNAME": "nobody", "PASSWORD": "x"},
        },
    )
    assert status == 400
    assert body == {
        "__type": "NotAuthorizedException",
        "message": "Incorrect username or password.",
    }
    assert headers["x-amzn-ErrorType"].startswith("NotAuthorizedException:")
    assert headers["x-amzn-RequestId"]
    assert headers["Content-Type"].startswith("application/x-amz-json-1.1")


async def test_success_has_request_id(local: LocalCognito, idp: Any) -> None:
    response = await idp.describe_user_pool_client(
        UserPoolId=local.user_pool_id, ClientId=local.client_id
    )
    assert response["ResponseMetadata"]["RequestId"]
    assert response["UserPoolClient"]["ClientId"] == local.client_id


async def test_unknown_operation_and_bad_bodies(local: LocalCognito) -> None:
    status, _, body = await raw(local, "NoSuchOperation", {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, _, body = await raw(local, None, {})
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, _, body = await raw(local, "InitiateAuth", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, _, body = await raw(local, "InitiateAuth", [1, 2])
    assert (status, body["__type"]) == (400, "SerializationException")


async def test_missing_member_is_a_validation_error(local: LocalCognito) -> None:
    status, _, body = await raw(local, "InitiateAuth", {"AuthFlow": "USER_SRP_AUTH"})
    assert status == 400
    assert body == {
        "__type": "InvalidParameterException",
        "message": "1 validation error detected: Value null at 'clientId' failed to satisfy "
        "constraint: Member must not be null",
    }
    status, _, body = await raw(local, "InitiateAuth", {"AuthFlow": "NOPE", "ClientId": "x"})
    assert body["__type"] == "InvalidParameterException"
    assert "authFlow" in body["message"]


async def test_missing_auth_parameter(local: LocalCognito, idp: Any) -> None:
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_SRP_AUTH", ClientId=local.client_id, AuthParameters={"USERNAME": "a"}
        ),
        "InvalidParameterException",
        "Missing required parameter SRP_A",
    )


async def test_unknown_client_and_pool(local: LocalCognito, idp: Any) -> None:
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId="nope",
            AuthParameters={"USERNAME": "a", "PASSWORD": "b"},
        ),
        "ResourceNotFoundException",
        "User pool client nope does not exist.",
    )
    await fails(
        idp.describe_user_pool(UserPoolId="us-east-1_Missing"),
        "ResourceNotFoundException",
        "User pool us-east-1_Missing does not exist.",
    )


async def test_admin_operations_need_sigv4(local: LocalCognito) -> None:
    async with get_session().create_client(
        "cognito-idp",
        region_name=local.region,
        endpoint_url=local.endpoint_url,
        config=AioConfig(signature_version=UNSIGNED),
    ) as unsigned:
        await fails(
            unsigned.admin_get_user(UserPoolId=local.user_pool_id, Username="x"),
            "MissingAuthenticationTokenException",
        )
        # public operations work unsigned
        await fails(
            unsigned.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId=local.client_id,
                AuthParameters={"USERNAME": "x", "PASSWORD": "y"},
            ),
            "NotAuthorizedException",
        )
    status, _, body = await raw(
        local, "AdminGetUser", {"UserPoolId": local.user_pool_id, "Username": "x"}
    )
    assert (status, body["__type"]) == (400, "MissingAuthenticationTokenException")
    status, _, body = await raw(
        local,
        "AdminGetUser",
        {"UserPoolId": local.user_pool_id, "Username": "x"},
        {"Authorization": "AWS4-HMAC-SHA256 Credential=any"},
    )
    assert body["__type"] == "UserNotFoundException"


async def test_throttle_fault_by_count_and_operation(local: LocalCognito, idp: Any) -> None:
    fault = local.faults.add(operation="DescribeUserPool", kind="throttle", count=2)
    for _ in range(2):
        await fails(
            idp.describe_user_pool(UserPoolId=local.user_pool_id),
            "TooManyRequestsException",
            "Rate exceeded",
        )
    await idp.describe_user_pool_client(UserPoolId=local.user_pool_id, ClientId=local.client_id)
    await idp.describe_user_pool(UserPoolId=local.user_pool_id)
    assert fault.fired == 2


async def test_5xx_fault(local: LocalCognito, idp: Any) -> None:
    local.faults.add(kind="5xx", count=1)
    error = await fails(
        idp.describe_user_pool(UserPoolId=local.user_pool_id), "InternalErrorException"
    )
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    await idp.describe_user_pool(UserPoolId=local.user_pool_id)


async def test_faults_are_retried_by_botocore(local: LocalCognito) -> None:
    local.faults.add(operation="DescribeUserPool", kind="throttle", count=2)
    async with get_session().create_client(
        "cognito-idp",
        region_name=local.region,
        endpoint_url=local.endpoint_url,
        config=AioConfig(retries={"mode": "standard", "total_max_attempts": 3}),
    ) as client:
        response = await client.describe_user_pool(UserPoolId=local.user_pool_id)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2


async def test_drop_fault_closes_the_connection(local: LocalCognito, idp: Any) -> None:
    fault = local.faults.add(operation="DescribeUserPool", kind="drop", count=1)
    with pytest.raises(ConnectionClosedError):
        await idp.describe_user_pool(UserPoolId=local.user_pool_id)
    assert fault.fired == 1
    await idp.describe_user_pool(UserPoolId=local.user_pool_id)


async def test_latency_fault_still_answers(local: LocalCognito, idp: Any) -> None:
    fault = local.faults.add(operation="DescribeUserPool", kind="latency", latency=0.01, count=1)
    await idp.describe_user_pool(UserPoolId=local.user_pool_id)
    assert fault.fired == 1


async def test_rate_uses_the_seeded_random(local: LocalCognito, idp: Any) -> None:
    local.faults.random = random.Random(7)
    expected = random.Random(7)
    local.faults.add(operation="DescribeUserPool", kind="throttle", rate=0.5)
    for _ in range(12):
        hit = expected.random() < 0.5
        try:
            await idp.describe_user_pool(UserPoolId=local.user_pool_id)
            assert not hit
        except ClientError as exc:
            assert hit
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
    local.faults.clear()
    await idp.describe_user_pool(UserPoolId=local.user_pool_id)


def test_fault_arguments_are_checked() -> None:
    faults = LocalCognito().faults
    with pytest.raises(ValueError):
        faults.add(kind="boom")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        faults.add(rate=2.0)


async def test_local_endpoints(local: LocalCognito, srp_client: Srp, idp: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(local.endpoint_url + "/_local/health") as response:
            health = await response.json()
        assert health["status"] == "ok"
        assert health["user_pool_id"] == local.user_pool_id
        await idp.sign_up(
            ClientId=local.client_id,
            Username="outboxer",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "o@example.com"}],
        )
        async with session.get(
            local.endpoint_url + "/_local/outbox", params={"username": "outboxer"}
        ) as response:
            messages = (await response.json())["messages"]
        assert [m["purpose"] for m in messages] == ["SIGN_UP"]
        assert set(messages[0]) >= {"username", "channel", "destination", "purpose", "code", "time"}
        assert messages[0]["code"] == local.outbox.last(username="outboxer").code
        before = local.clock.now()
        async with session.post(
            local.endpoint_url + "/_local/clock", json={"advance": 3600}
        ) as response:
            now = (await response.json())["now"]
        assert now >= before + 3600
        async with session.delete(local.endpoint_url + "/_local/outbox") as response:
            assert response.status == 200
        assert len(local.outbox) == 0


async def test_jwks_and_openid_configuration(local: LocalCognito, srp_client: Srp) -> None:
    local.pool().create_user("jwks", PASSWORD, attributes={"email": "j@example.com"})
    result = (await srp_client.sign_in("jwks", PASSWORD))["AuthenticationResult"]
    async with aiohttp.ClientSession() as session:
        async with session.get(local.issuer() + "/.well-known/openid-configuration") as r:
            config = await r.json()
        async with session.get(config["jwks_uri"]) as r:
            jwks = await r.json()
        async with session.get(local.endpoint_url + "/us-east-1_Nope/.well-known/jwks.json") as r:
            assert r.status == 404
    assert config["issuer"] == local.issuer()
    assert config["jwks_uri"] == local.jwks_url()
    # Looked up by kid: the ID and access tokens are signed under different keys.
    header = jwt.get_unverified_header(result["IdToken"])
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        result["IdToken"],
        key.key,
        algorithms=["RS256"],
        audience=local.client_id,
        issuer=local.issuer(),
    )
    assert claims["token_use"] == "id"


async def test_cors_preflight(local: LocalCognito) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.options(
            local.endpoint_url + "/",
            headers={"Origin": "http://x", "Access-Control-Request-Method": "POST"},
        ) as r,
    ):
        assert r.status == 200
        assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_only_loopback() -> None:
    with pytest.raises(ValueError):
        LocalCognito(host="0.0.0.0")
