"""The per-call cuts of CognitoClient (cognito_flows/wire.py ``_trim`` and the retry fast
path) leave the wire as plain aiobotocore makes it.

Every operation of the cognito-idp model is called once through ``CognitoClient`` and once
through a plain aiobotocore client configured the same way (unsigned, or signed for the
admin operations), against a server on 127.0.0.1 that records the raw request: method,
path, every header in order, the body's bytes. The invocation id and the signing clock are
pinned so that signed requests compare byte for byte. Then retries (throttling, a 5xx, a
lost answer) and the Lambda recursion header, and the retry fast path against botocore's
own conditions.
"""

from __future__ import annotations

import datetime
import functools
import json
import types
import uuid
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.retries.standard import AioStandardRetryConditions
from aiobotocore.session import get_session
from aiohttp import web
from botocore.awsrequest import AWSResponse
from botocore.retries import standard as botocore_standard_retries
from botocore.retries.standard import RetryContext
from botocore.validate import ParamValidator

import cognito_flows.wire as wire
from cognito_flows.errors import CognitoError, OutcomeUnknownError
from cognito_flows.wire import ADMIN_OPERATIONS, ClientConfig, CognitoClient

REGION = "eu-west-1"
SECRET = "1example23456789abcdefghijklmnopqrstuvwxyz0123"
SERVICE = "cognito-identity-provider"
#: A fixed Date header: the ``ttl`` botocore puts in the retry header is computed from it.
SERVER_DATE = "Wed, 02 Dec 2026 01:00:00 GMT"
FIXED_NOW = datetime.datetime(2026, 12, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)


@attrs.frozen
class Raw:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@attrs.define
class Recorder:
    url: str = ""
    requests: list[Raw] = attrs.field(factory=list)
    replies: dict[str, list[tuple[int, dict[str, Any]]]] = attrs.field(factory=dict)
    seen: dict[str, int] = attrs.field(factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            Raw(
                request.method,
                request.path_qs,
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
                body,
            )
        )
        key = (request.headers.get("X-Amz-Target") or "").rpartition(".")[2]
        script = self.replies.get(key) or []
        n = self.seen[key] = self.seen.get(key, 0) + 1
        status, payload = script[min(n, len(script)) - 1] if script else (200, {})
        return web.Response(
            status=status,
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "x-amzn-RequestId": "req-1",
                "Date": SERVER_DATE,
            },
        )

    def take(self) -> list[Raw]:
        taken, self.requests, self.seen = self.requests, [], {}
        return taken


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The invocation id, the signing clock and the backoff fixed; dummy credentials only."""
    import botocore.auth
    import botocore.endpoint

    fixed = uuid.UUID(int=1)
    monkeypatch.setattr(botocore.endpoint, "uuid", types.SimpleNamespace(uuid4=lambda: fixed))
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: FIXED_NOW)
    monkeypatch.setattr(botocore.endpoint, "get_current_datetime", lambda: FIXED_NOW)
    monkeypatch.setattr(
        botocore_standard_retries.ExponentialBackoff, "delay_amount", lambda self, context: 0
    )
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def recorder(pinned: None) -> AsyncIterator[Recorder]:
    rec = Recorder()
    app = web.Application()
    app.router.add_post("/", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield rec
    finally:
        await runner.cleanup()


def _plain(url: str, *, unsigned: bool) -> Any:
    """A plain aiobotocore client configured as CognitoClient configures its own."""
    config: AioConfig = ClientConfig().aio_config(unsigned=unsigned)
    return get_session().create_client(
        "cognito-idp", region_name=REGION, endpoint_url=url, config=config
    )


def _example(shape: Any) -> Any:
    """A smallest value of ``shape`` that botocore's validation accepts."""
    kind = shape.type_name
    low = max(int(shape.metadata.get("min", 1)), 1)
    if kind == "structure":
        return {name: _example(shape.members[name]) for name in shape.required_members}
    if kind == "list":
        return [_example(shape.member) for _ in range(low)]
    if kind == "map":
        return {_example(shape.key): _example(shape.value)}
    if kind == "string":
        return shape.enum[0] if shape.enum else "a" * low
    if kind in ("integer", "long"):
        return low
    if kind == "boolean":
        return True
    if kind in ("double", "float"):
        return 1.5
    if kind == "blob":
        return b"b" * low
    if kind == "timestamp":
        return FIXED_NOW
    raise AssertionError(f"no example for a {kind}")


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("cognito-idp")


def _operations() -> list[tuple[str, dict[str, Any]]]:
    """Every operation of the model with a smallest valid request."""
    model = _model()
    validator = ParamValidator()
    out = []
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        params = _example(shape) if shape is not None else {}
        assert not validator.validate(params, shape).has_errors(), name
        out.append((name, params))
    return out


async def test_every_operation_sends_what_plain_aiobotocore_sends(recorder: Recorder) -> None:
    async with (
        CognitoClient(region=REGION, endpoint_url=recorder.url) as ours,
        _plain(recorder.url, unsigned=True) as plain,
        _plain(recorder.url, unsigned=False) as plain_signed,
    ):
        for name, params in _operations():
            await ours.call(name, **params)
            reference = plain_signed if name in ADMIN_OPERATIONS else plain
            await getattr(reference, wire._snake(name))(**params)
            mine, theirs = recorder.take()
            assert mine == theirs, name
            headers = dict(mine.headers)
            assert headers["X-Amz-Target"] == f"AWSCognitoIdentityProviderService.{name}"
            assert headers["Content-Type"] == "application/x-amz-json-1.1"
            signed = "Authorization" in headers
            assert signed == (name in ADMIN_OPERATIONS), name
        # The cuts were in effect (else this test compared botocore with itself).
        events = ours._public.meta.events
        created = wire._handlers(events, f"request-created.{SERVICE}.GetUser") or []
        assert ours._public._request_signer.handler not in created
        admin = await ours._admin_client()
        assert admin._request_signer.handler in (
            wire._handlers(admin.meta.events, f"request-created.{SERVICE}.AdminGetUser") or []
        )
        for client in (ours._public, admin):
            assert isinstance(client._endpoint._response_parser_factory, wire._ReusedParsers)
            resolver = client._ruleset_resolver
            assert resolver.construct_endpoint.__qualname__.startswith("_cache_endpoints")
            assert wire._handlers(client.meta.events, f"before-parameter-build.{SERVICE}.X") == []


async def test_secret_hash_and_client_id_requests_match(recorder: Recorder) -> None:
    """ClientId and SECRET_HASH added by CognitoClient: the same bytes either way."""
    args = {"region": REGION, "endpoint_url": recorder.url, "client_id": "cid"}
    async with (
        CognitoClient(**args, client_secret=SECRET) as ours,
        _plain(recorder.url, unsigned=True) as plain,
        CognitoClient(**args, client_secret=SECRET, client=plain) as reference,
    ):
        for client in (ours, reference):
            await client.call(
                "InitiateAuth",
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "alice", "PASSWORD": "pw"},
            )
            await client.call("SignUp", Username="alice", Password="pw")
            await client.call("RevokeToken", Token="t")
        sent = recorder.take()
        assert sent[:3] == sent[3:]


@pytest.mark.parametrize(
    ("operation", "params", "script", "raised"),
    [
        # retried (throttling) and then answered
        ("GetUser", {"AccessToken": "t"}, [(400, {"__type": "TooManyRequestsException"})] * 2
         + [(200, {"Username": "u", "UserAttributes": []})], None),
        # retried until the attempts run out
        ("GetUser", {"AccessToken": "t"}, [(500, {"__type": "InternalErrorException"})],
         CognitoError),
        # not retried: an operation that must not be applied twice lost its answer
        ("SignUp", {"ClientId": "c", "Username": "u", "Password": "p"},
         [(500, {"__type": "InternalErrorException"})], OutcomeUnknownError),
        # a plain error answer
        ("ChangePassword", {"PreviousPassword": "a", "ProposedPassword": "b",
                            "AccessToken": "t"},
         [(400, {"__type": "NotAuthorizedException", "message": "Incorrect"})], CognitoError),
        # the signed client
        ("AdminGetUser", {"UserPoolId": "eu-west-1_A", "Username": "u"},
         [(400, {"__type": "ThrottlingException"}), (200, {"Username": "u"})], None),
    ],
)  # fmt: skip
async def test_retries_and_errors_match(
    recorder: Recorder,
    operation: str,
    params: dict[str, Any],
    script: list[tuple[int, dict[str, Any]]],
    raised: type[Exception] | None,
) -> None:
    """The same attempts with the same headers (attempt, max, ttl) and the same typed error
    as a CognitoClient over plain aiobotocore clients, which it does not trim."""
    recorder.replies[operation] = script
    async with (
        CognitoClient(region=REGION, endpoint_url=recorder.url) as ours,
        _plain(recorder.url, unsigned=True) as plain,
        _plain(recorder.url, unsigned=False) as plain_signed,
        CognitoClient(
            region=REGION, endpoint_url=recorder.url, client=plain, admin_client=plain_signed
        ) as reference,
    ):
        outcomes: list[Any] = []
        sent: list[list[Raw]] = []
        for client in (ours, reference):
            try:
                outcomes.append(await client.call(operation, **params))
            except CognitoError as exc:
                outcomes.append((type(exc), exc.code))
            except OutcomeUnknownError as exc:
                outcomes.append((type(exc), str(exc)))
            sent.append(recorder.take())
    assert sent[0] == sent[1]
    assert outcomes[0] == outcomes[1]
    if raised is None:
        assert len(sent[0]) == len(script)
    else:
        assert isinstance(outcomes[0], tuple) and issubclass(outcomes[0][0], raised)


async def test_lambda_recursion_header_is_kept(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793")
    async with (
        CognitoClient(region=REGION, endpoint_url=recorder.url) as ours,
        _plain(recorder.url, unsigned=True) as plain,
    ):
        await ours.call("GetUser", AccessToken="t")
        await plain.get_user(AccessToken="t")
        mine, theirs = recorder.take()
    assert mine == theirs
    assert ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793") in mine.headers


async def test_a_session_signer_hook_keeps_the_signer(recorder: Recorder) -> None:
    """A host's choose-signer handler on the session: the unsigned client still asks it."""
    session = get_session()
    asked: list[str] = []

    def choose(signature_version: Any, **kwargs: Any) -> None:
        asked.append(str(signature_version))

    session.register(f"choose-signer.{SERVICE}.GetUser", choose)
    async with CognitoClient(region=REGION, endpoint_url=recorder.url, session=session) as ours:
        await ours.call("GetUser", AccessToken="t")
        await ours.call("GetUser", AccessToken="t")
    assert len(asked) == 2
    recorder.take()


def _context(status: int | None, attempt: int, operation: str, error: str | None) -> Any:
    model = _model()
    http = None if status is None else AWSResponse("http://x", status, {}, None)
    parsed = None if status is None else ({"Error": {"Code": error}} if error else {})
    return RetryContext(
        attempt_number=attempt,
        operation_model=model.operation_model(operation),
        http_response=http,
        parsed_response=parsed,
        caught_exception=None,
        request_context={"retries": {"attempt": attempt}},
    )


@pytest.mark.parametrize("operation", ["GetUser", "SignUp"])
@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
@pytest.mark.parametrize(
    ("status", "error"),
    [(200, None), (204, None), (200, "ThrottlingException"), (500, None), (400, "Throttling")],
)
async def test_retry_fast_path_agrees_with_botocore(
    operation: str, attempt: int, status: int, error: str | None
) -> None:
    """For a retry-safe operation the conditions are botocore's standard ones: same
    decision, same side effects (the retries context's ``max``, MaxAttemptsReached)."""
    ours_ctx = _context(status, attempt, operation, error)
    ours = await wire._CognitoRetryConditions(3).is_retryable(ours_ctx)
    if not wire.retry_safe(operation):
        if status < 300 and error is None:
            assert ours is False
        return
    theirs_ctx = _context(status, attempt, operation, error)
    theirs = await AioStandardRetryConditions(max_attempts=3).is_retryable(theirs_ctx)
    assert ours == theirs
    assert ours_ctx.get_retry_metadata() == theirs_ctx.get_retry_metadata()
    assert ours_ctx.request_context == theirs_ctx.request_context
