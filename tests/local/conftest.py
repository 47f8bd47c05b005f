"""Fixtures for the local Cognito emulator's own tests: real HTTP, no mocks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.config
import pyotp
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError

from cognito_flows import srp
from cognito_local import LocalCognito, secret_hash

PASSWORD = "Corr3ct-Horse!"
NO_RETRIES = {"mode": "standard", "total_max_attempts": 1}


@pytest.fixture(autouse=True)
def _dummy_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
async def local() -> AsyncIterator[LocalCognito]:
    """A started LocalCognito with its default pool and clients."""
    async with LocalCognito() as emulator:
        yield emulator


def shape_errors(shape: Any, value: Any, path: str = "") -> list[str]:
    """Members and types in a JSON response that botocore's output shape does not have."""
    kind = shape.type_name
    if getattr(shape, "is_document_type", False):
        return []  # a Document is any JSON value (CredentialCreationOptions, Credential)
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path or '<root>'}: expected an object"]
        errors = []
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                errors.append(f"{path}{key}: not in {shape.name}")
            else:
                errors += shape_errors(member, item, f"{path}{key}.")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [e for item in value for e in shape_errors(shape.member, item, path)]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        return [e for item in value.values() for e in shape_errors(shape.value, item, path)]
    expected: Any = {
        "string": str,
        "boolean": bool,
        "integer": int,
        "long": int,
        "timestamp": (int, float),
        "double": float,
        "float": float,
    }.get(kind)
    if expected is not None and (
        not isinstance(value, expected) or (kind in ("integer", "long") and isinstance(value, bool))
    ):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} not in the enum of {shape.name}"]
    return []


def check_response(model: Any, operation: str, status: int, body: bytes) -> None:
    """Assert that a successful response fits botocore's output shape exactly."""
    if status >= 300 or not body:
        return
    output = model.operation_model(operation).output_shape
    data = json.loads(body)
    errors = (
        shape_errors(output, data)
        if output is not None
        else ([] if data == {} else [f"{operation} has no output but answered {data}"])
    )
    assert not errors, f"{operation}: {errors}"


@pytest.fixture
async def idp(local: LocalCognito, aio_session: AioSession) -> AsyncIterator[Any]:
    """An aiobotocore cognito-idp client (dummy credentials, no retries), from the test
    process's one session (``tests/conftest.py``).

    Every successful response is checked against botocore's output shape.
    """
    async with aio_session.create_client(
        "cognito-idp",
        region_name=local.region,
        endpoint_url=local.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries=NO_RETRIES),
    ) as client:
        model = client.meta.service_model

        async def check(http_response: Any, model_: Any = None, **kwargs: Any) -> None:
            operation = kwargs["context"].get("operation_name") or kwargs.get("operation_name")
            body = await http_response.content
            check_response(
                model, str(model_.name if model_ else operation), http_response.status_code, body
            )

        client.meta.events.register("after-call.cognito-identity-provider", _renamed(check))
        yield client


def _renamed(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adapt botocore's ``model=`` keyword (the operation model) for the checkers."""
    if asyncio.iscoroutinefunction(func):

        async def async_wrapper(**kwargs: Any) -> None:
            await func(model_=kwargs.pop("model", None), **kwargs)

        return async_wrapper

    def wrapper(**kwargs: Any) -> None:
        func(model_=kwargs.pop("model", None), **kwargs)

    return wrapper


@pytest.fixture
def boto(local: LocalCognito) -> Any:
    """A boto3 cognito-idp client (sync: call it through ``asyncio.to_thread``).

    Every successful response is checked against botocore's output shape.
    """
    client = boto3.client(
        "cognito-idp",
        region_name=local.region,
        endpoint_url=local.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries=NO_RETRIES),
    )
    model = client.meta.service_model

    def check(http_response: Any, model_: Any = None, **kwargs: Any) -> None:
        check_response(model, str(model_.name), http_response.status_code, http_response.content)

    client.meta.events.register("after-call.cognito-identity-provider", _renamed(check))
    return client


def code_of(exc: BaseException) -> str:
    """The Cognito error code of a botocore ClientError."""
    assert isinstance(exc, ClientError), exc
    return str(exc.response["Error"]["Code"])


def message_of(exc: BaseException) -> str:
    """The Cognito error message of a botocore ClientError."""
    assert isinstance(exc, ClientError), exc
    return str(exc.response["Error"]["Message"])


async def fails(awaitable: Any, code: str, message: str | None = None) -> ClientError:
    """Await a call that must fail with ``code`` (and ``message`` when given)."""
    with pytest.raises(ClientError) as info:
        await awaitable
    assert code_of(info.value) == code, message_of(info.value)
    if message is not None:
        assert message_of(info.value) == message
    return info.value


def totp(local: LocalCognito, secret: str, offset: int = 0) -> str:
    """The TOTP code for ``secret`` at the emulator clock (+ ``offset`` seconds)."""
    return pyotp.TOTP(secret).at(local.clock.now() + offset)


def timestamp(local: LocalCognito) -> str:
    """A TIMESTAMP at the emulator clock."""
    return srp.format_timestamp(datetime.fromtimestamp(local.clock.now(), timezone.utc))


class Srp:
    """Client-side SRP helper built on cognito_flows.srp."""

    def __init__(
        self,
        local: LocalCognito,
        idp: Any,
        *,
        pool_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        self.local = local
        self.idp = idp
        self.pool_id = pool_id or local.user_pool_id
        self.client_id = client_id or local.client_id
        self.client_secret = client_secret

    def hash(self, username: str) -> dict[str, str]:
        if self.client_secret is None:
            return {}
        return {"SECRET_HASH": secret_hash(self.client_secret, username, self.client_id)}

    async def start(
        self, username: str, *, flow: str = "USER_SRP_AUTH", extra: dict[str, str] | None = None
    ) -> tuple[srp.SrpEphemeral, dict[str, Any]]:
        eph = srp.start_ephemeral()
        params = {"USERNAME": username, "SRP_A": eph.srp_a, **self.hash(username), **(extra or {})}
        response = await self.idp.initiate_auth(
            AuthFlow=flow, ClientId=self.client_id, AuthParameters=params
        )
        return eph, response

    def answer(
        self, eph: srp.SrpEphemeral, challenge: dict[str, Any], password: str, **kwargs: Any
    ) -> dict[str, str]:
        kwargs.setdefault("timestamp", timestamp(self.local))
        responses = srp.password_verifier_response(
            eph,
            challenge["ChallengeParameters"],
            user_pool_id=self.pool_id,
            password=password,
            **kwargs,
        )
        responses.update(self.hash(responses["USERNAME"]))
        return responses

    async def verify(self, responses: dict[str, str], session: str | None = None) -> Any:
        extra = {"Session": session} if session else {}
        return await self.idp.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=responses,
            **extra,
        )

    async def sign_in(
        self, username: str, password: str, *, device_key: str | None = None
    ) -> dict[str, Any]:
        extra = {"DEVICE_KEY": device_key} if device_key else None
        eph, first = await self.start(username, extra=extra)
        assert first["ChallengeName"] == "PASSWORD_VERIFIER"
        responses = self.answer(eph, first, password)
        if device_key:
            responses["DEVICE_KEY"] = device_key
        result: dict[str, Any] = await self.verify(responses, first.get("Session"))
        return result


@pytest.fixture
def srp_client(local: LocalCognito, idp: Any) -> Srp:
    """SRP sign-ins against the default public client."""
    return Srp(local, idp)


@pytest.fixture
def make_srp(local: LocalCognito, idp: Any) -> Callable[..., Srp]:
    """SRP sign-ins against any pool/client."""

    def make(**kwargs: Any) -> Srp:
        return Srp(local, idp, **kwargs)

    return make


async def in_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a sync (boto3) call off the event loop serving the emulator."""
    return await asyncio.to_thread(func, *args, **kwargs)
