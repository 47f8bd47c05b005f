"""No request gets a 500 (issue 13 item 7): hostile bodies against every operation in the
registry, over raw HTTP, each answered in Cognito's error shape."""

from __future__ import annotations

import gzip
import json
from typing import Any

import aiohttp
import botocore.session
import pytest

from cognito_local import LocalCognito
from cognito_local.params import OPERATIONS

from .conftest import PASSWORD, fails

TARGET = "AWSCognitoIdentityProviderService."
SIGNED = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cognito-idp/aws4_request"
SURROGATE = "\ud800"


def _model() -> Any:
    return botocore.session.get_session().get_service_model("cognito-idp")


def _sample(shape: Any, depth: int = 0) -> Any:
    """A plausible value for ``shape`` whose every string holds a lone surrogate."""
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return {}
        return {name: _sample(member, depth + 1) for name, member in shape.members.items()}
    if kind == "list":
        return [_sample(shape.member, depth + 1)]
    if kind == "map":
        return {f"k{SURROGATE}": _sample(shape.value, depth + 1)}
    if kind in ("integer", "long"):
        return 1
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 0
    if shape.enum:
        return shape.enum[0]
    return f"a{SURROGATE}b"


def _bodies(local: LocalCognito, operation: str) -> list[dict[str, Any]]:
    """Hostile requests for ``operation``: surrogates everywhere, and realistic ids with a
    surrogate in one member at a time (AccessToken above all)."""
    model = _model()
    if operation not in model.operation_names:
        return [{}]
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return [{}]
    real = {
        "UserPoolId": local.user_pool_id,
        "ClientId": local.client_id,
        "Username": "robin",
    }
    everything = _sample(shape)
    out = [everything, {k: v for k, v in everything.items() if k in real}]
    base = {k: real.get(k, v) for k, v in everything.items()}
    for name, member in shape.members.items():
        if member.type_name == "string" and not member.enum:
            out.append({**base, name: f"x{SURROGATE}"})
    return out


def _raw(body: dict[str, Any]) -> bytes:
    # json.dumps keeps a lone surrogate as its \ud800 escape: valid JSON, invalid Unicode.
    return json.dumps(body).encode()


async def _post(
    http: aiohttp.ClientSession,
    local: LocalCognito,
    operation: str,
    data: bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    all_headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET + operation,
        "Authorization": SIGNED,
        **(headers or {}),
    }
    async with http.post(local.endpoint_url, data=data, headers=all_headers) as response:
        text = await response.text()
        assert response.status < 500, (operation, response.status, text)
        answer = json.loads(text) if text else {}
        assert isinstance(answer, dict), text
        if response.status >= 400:
            assert set(answer) == {"__type", "message"}, text
            assert response.headers["x-amzn-ErrorType"].startswith(answer["__type"] + ":")
        return response.status, answer


async def test_no_operation_answers_500_to_lone_surrogates(local: LocalCognito) -> None:
    local.pool().create_user("robin", PASSWORD)
    tried = 0
    async with aiohttp.ClientSession() as http:
        for operation in sorted(OPERATIONS):
            for body in _bodies(local, operation):
                await _post(http, local, operation, _raw(body))
                tried += 1
    assert tried > 3 * len(OPERATIONS)


async def test_lone_surrogate_access_token_on_every_operation(local: LocalCognito) -> None:
    model = _model()
    taking = [
        name
        for name in sorted(OPERATIONS)
        if name in model.operation_names
        and "AccessToken" in (model.operation_model(name).input_shape.members or {})
    ]
    assert len(taking) >= 15
    async with aiohttp.ClientSession() as http:
        for operation in taking:
            shape = model.operation_model(operation).input_shape
            body = {k: v for k, v in _sample(shape).items() if k in shape.required_members}
            body["AccessToken"] = f"eyJ{SURROGATE}.eyJ.sig"
            status, answer = await _post(http, local, operation, _raw(body))
            assert status == 400
            assert answer["__type"] in ("InvalidParameterException", "NotAuthorizedException")


async def test_gzip_header_on_a_plain_body(local: LocalCognito) -> None:
    body = json.dumps({"ClientId": local.client_id}).encode()
    async with aiohttp.ClientSession() as http:
        status, answer = await _post(http, local, "GetUser", body, {"Content-Encoding": "gzip"})
        assert status == 400
        assert answer["__type"] == "SerializationException"
        # A body that really is gzip-compressed is read.
        status, answer = await _post(
            http,
            local,
            "GetUser",
            gzip.compress(json.dumps({"AccessToken": "abc"}).encode()),
            {"Content-Encoding": "gzip"},
        )
        assert (status, answer["__type"]) == (400, "NotAuthorizedException")


async def test_over_size_body_gets_the_error_shape(local: LocalCognito) -> None:
    body = json.dumps({"ClientId": "x" * (2 * 1024 * 1024)}).encode()
    async with aiohttp.ClientSession() as http:
        status, answer = await _post(http, local, "InitiateAuth", body)
    assert status == 413
    assert answer["__type"] == "InvalidParameterException"


async def test_sign_up_with_a_bad_user_name_leaves_no_user(local: LocalCognito, idp: Any) -> None:
    before = set(local.pool().users)
    async with aiohttp.ClientSession() as http:
        for name, password in (
            (f"bad{SURROGATE}", PASSWORD),
            ("", PASSWORD),
            ("with space", PASSWORD),
            ("tab\there", PASSWORD),
            ("x" * 129, PASSWORD),
            ("bad", f"Corr3ct-{SURROGATE}"),
            ("bad", "short"),
        ):
            body = {"ClientId": local.client_id, "Username": name, "Password": password}
            status, _answer = await _post(http, local, "SignUp", _raw(body))
            assert status == 400, name
    assert set(local.pool().users) == before
    await fails(
        idp.admin_get_user(UserPoolId=local.user_pool_id, Username="bad"), "UserNotFoundException"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"advance": NaN}',
        b'{"set": Infinity}',
        b'{"advance": -Infinity}',
        b'{"advance": 1e400}',
        b'{"set": "nan"}',
        b'{"advance": "inf"}',
        b'{"advance": true}',
        b'{"set": 1e300}',
        b"[1]",
        b"not json",
    ],
)
async def test_clock_refuses_non_finite_values(local: LocalCognito, body: bytes) -> None:
    before = local.clock.now()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{local.endpoint_url}/_local/clock", data=body) as response,
    ):
        text = await response.text()
        assert response.status == 400, text
        json.loads(text)  # strict JSON: no NaN or Infinity
    assert local.clock.now() >= before
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{local.endpoint_url}/_local/clock") as response,
    ):
        now = json.loads(await response.text())["now"]
        assert now == pytest.approx(local.clock.now(), abs=60)
