"""Tests of cognito_flows.tokens: TokenSet, JWKS verification (real RSA, real pyjwt, a real
JWKS server on 127.0.0.1) and the single-flight TokenManager. Time is always a fake clock."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import pickle
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from cognito_flows.errors import (
    CognitoFlowsError,
    NotAuthorizedError,
    ProtocolError,
    RefreshTokenReuseError,
    TokenRevokedError,
    TokenVerificationError,
    TooManyRequestsError,
    from_cognito,
)
from cognito_flows.tokens import (
    DEFAULT_MIN_TTL,
    BadAlgorithmError,
    BadSignatureError,
    JwksCache,
    JwksFetchError,
    MalformedTokenError,
    SignedOutError,
    TokenExpiredError,
    TokenManager,
    TokenNotYetValidError,
    TokenRejectedError,
    TokenSet,
    TokenSetFormatError,
    TokenVerifier,
    UnknownKidError,
    WrongAudienceError,
    WrongIssuerError,
    WrongTokenUseError,
)

POOL = "eu-west-1_TestPool1"
CLIENT = "client0123456789abcdefghij"
NOW = 1_700_000_000.0
SUB = "7d8a6c2e-1111-4222-8333-944445555666"


# --------------------------------------------------------------------------------------
# helpers


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@functools.cache
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(name: str, kid: str) -> dict[str, Any]:
    data = RSAAlgorithm.to_jwk(private_key(name).public_key(), as_dict=True)
    return {**data, "kid": kid, "alg": "RS256", "use": "sig"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def id_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    claims = {
        "sub": SUB,
        "iss": issuer,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "alice",
        "email": "alice@example.com",
        "auth_time": int(NOW),
        "iat": int(NOW),
        "exp": int(NOW) + 3600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def access_claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    claims = {
        "sub": SUB,
        "iss": issuer,
        "client_id": CLIENT,
        "token_use": "access",
        "username": "alice",
        "scope": "aws.cognito.signin.user.admin",
        "iat": int(NOW),
        "exp": int(NOW) + 3600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def mint(claims: dict[str, Any], *, key: str = "k1", kid: str = "kid-1") -> str:
    return jwt.encode(claims, private_key(key), algorithm="RS256", headers={"kid": kid})


class JwksServer:
    """Serves a JWKS on 127.0.0.1 and counts requests."""

    def __init__(self) -> None:
        self.count = 0
        self.keys: list[dict[str, Any]] = [jwk("k1", "kid-1")]
        self.status = 200
        self.endpoint = ""

    @property
    def issuer(self) -> str:
        return f"{self.endpoint}/{POOL}"

    async def handle(self, request: web.Request) -> web.Response:
        self.count += 1
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        return web.json_response({"keys": self.keys})


@pytest.fixture
async def server() -> AsyncIterator[JwksServer]:
    srv = JwksServer()
    app = web.Application()
    app.router.add_get(f"/{POOL}/.well-known/jwks.json", srv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.endpoint = f"http://127.0.0.1:{port}"
    try:
        yield srv
    finally:
        await runner.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def verifier(server: JwksServer, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(
        user_pool_id=POOL, client_id=CLIENT, endpoint_url=server.endpoint, clock=clock
    )


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    text = str(exc) + repr(exc)
    for secret in secrets:
        if not secret:
            continue
        assert secret not in text
        for part in secret.split("."):
            if len(part) > 8:
                assert part not in text


# --------------------------------------------------------------------------------------
# verification


async def test_good_id_and_access_tokens(verifier: TokenVerifier, server: JwksServer) -> None:
    id_token = mint(id_claims(server.issuer))
    access = mint(access_claims(server.issuer))
    claims = await verifier.verify_id_token(id_token)
    assert claims["sub"] == SUB
    assert claims["cognito:username"] == "alice"
    claims = await verifier.verify_access_token(access)
    assert claims["username"] == "alice"
    assert server.count == 1  # cached


async def test_default_issuer_and_jwks_url() -> None:
    v = TokenVerifier(user_pool_id=POOL, client_id=CLIENT)
    assert v.issuer == f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    assert v.jwks.url == f"{v.issuer}/.well-known/jwks.json"
    v2 = TokenVerifier(
        user_pool_id=POOL, client_id=CLIENT, issuer="https://x/y", jwks_url="https://k/jwks"
    )
    assert (v2.issuer, v2.jwks.url) == ("https://x/y", "https://k/jwks")


async def test_injected_session_and_fetch(server: JwksServer, clock: FakeClock) -> None:
    async with aiohttp.ClientSession() as session:
        v = TokenVerifier(
            user_pool_id=POOL,
            client_id=CLIENT,
            endpoint_url=server.endpoint,
            session=session,
            clock=clock,
        )
        assert (await v.verify_id_token(mint(id_claims(server.issuer))))["sub"] == SUB
        assert not session.closed
    assert server.count == 1

    urls: list[str] = []

    async def fetch(url: str) -> Any:
        urls.append(url)
        return {"keys": [jwk("k1", "kid-1")]}

    v = TokenVerifier(
        user_pool_id=POOL,
        client_id=CLIENT,
        issuer="https://issuer.test/p",
        fetch=fetch,
        clock=clock,
    )
    await v.verify_access_token(mint(access_claims("https://issuer.test/p")))
    assert urls == ["https://issuer.test/p/.well-known/jwks.json"]


@pytest.mark.parametrize(
    ("which", "overrides", "error"),
    [
        (
            "id",
            {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
            WrongIssuerError,
        ),
        ("access", {"iss": None}, WrongIssuerError),
        ("id", {"aud": "someone-else"}, WrongAudienceError),
        ("id", {"aud": None}, WrongAudienceError),
        ("access", {"client_id": "someone-else"}, WrongAudienceError),
        ("id", {"token_use": "access"}, WrongTokenUseError),
        ("access", {"token_use": "id"}, WrongTokenUseError),
        ("id", {"iat": None}, MalformedTokenError),
        ("access", {"exp": None}, MalformedTokenError),
        ("access", {"exp": "tomorrow"}, MalformedTokenError),
        ("id", {"iat": int(NOW) + 60}, TokenNotYetValidError),
    ],
)
async def test_claim_checks(
    verifier: TokenVerifier,
    server: JwksServer,
    which: str,
    overrides: dict[str, Any],
    error: type[TokenRejectedError],
) -> None:
    make = id_claims if which == "id" else access_claims
    token = mint(make(server.issuer, **overrides))
    with pytest.raises(error) as info:
        await verifier.verify(token, "id" if which == "id" else "access")
    assert isinstance(info.value, TokenVerificationError)
    assert info.value.reason == error.reason
    assert_no_secret(info.value, token)


async def test_access_token_is_not_an_id_token(verifier: TokenVerifier, server: JwksServer) -> None:
    with pytest.raises(WrongTokenUseError):
        await verifier.verify_id_token(mint(access_claims(server.issuer)))


async def test_expiry_uses_injected_clock_and_leeway(
    verifier: TokenVerifier, server: JwksServer, clock: FakeClock
) -> None:
    token = mint(id_claims(server.issuer))
    exp = int(NOW) + 3600
    clock.now = exp + 4  # within the default 5 s leeway
    await verifier.verify_id_token(token)
    clock.now = exp + 6
    with pytest.raises(TokenExpiredError) as info:
        await verifier.verify_id_token(token)
    assert info.value.reason == "expired"
    assert info.value.token_use == "id"
    assert_no_secret(info.value, token)


async def test_alg_none_rejected_without_fetch(verifier: TokenVerifier, server: JwksServer) -> None:
    token = ".".join(
        [b64json({"alg": "none", "kid": "kid-1"}), b64json(id_claims(server.issuer)), ""]
    )
    with pytest.raises(BadAlgorithmError) as info:
        await verifier.verify_id_token(token)
    assert info.value.reason == "bad_algorithm"
    assert server.count == 0
    assert_no_secret(info.value, token)


async def test_hs256_with_public_key_pem_rejected(
    verifier: TokenVerifier, server: JwksServer
) -> None:
    pem = (
        private_key("k1")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = ".".join(
        [
            b64json({"alg": "HS256", "typ": "JWT", "kid": "kid-1"}),
            b64json(access_claims(server.issuer)),
        ]
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(signature)}"
    with pytest.raises(BadAlgorithmError) as info:
        await verifier.verify_access_token(token)
    assert_no_secret(info.value, token)


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "HS512", "NONE", None])
async def test_other_algorithms_rejected(
    verifier: TokenVerifier, server: JwksServer, alg: str | None
) -> None:
    header = {"alg": alg, "kid": "kid-1"} if alg else {"kid": "kid-1"}
    token = ".".join([b64json(header), b64json(id_claims(server.issuer)), b64(b"sig")])
    with pytest.raises(BadAlgorithmError):
        await verifier.verify_id_token(token)


async def test_unknown_kid_refetches_once_per_interval(
    verifier: TokenVerifier, server: JwksServer, clock: FakeClock
) -> None:
    await verifier.verify_id_token(mint(id_claims(server.issuer)))
    assert server.count == 1
    stranger = mint(id_claims(server.issuer), key="k2", kid="kid-unknown")
    with pytest.raises(UnknownKidError) as info:
        await verifier.verify_id_token(stranger)
    assert server.count == 2  # exactly one re-fetch
    assert info.value.reason == "unknown_kid"
    assert info.value.kid == "kid-unknown"
    assert_no_secret(info.value, stranger)

    clock.now += 59
    with pytest.raises(UnknownKidError):
        await verifier.verify_id_token(stranger)
    assert server.count == 2  # rate-limited: no fetch within a minute

    clock.now += 2
    with pytest.raises(UnknownKidError):
        await verifier.verify_id_token(stranger)
    assert server.count == 3


async def test_concurrent_unknown_kid_share_one_refetch(
    verifier: TokenVerifier, server: JwksServer
) -> None:
    await verifier.verify_id_token(mint(id_claims(server.issuer)))
    stranger = mint(id_claims(server.issuer), key="k2", kid="kid-unknown")
    results = await asyncio.gather(
        *(verifier.verify_id_token(stranger) for _ in range(50)), return_exceptions=True
    )
    assert all(isinstance(r, UnknownKidError) for r in results)
    assert server.count == 2


async def test_key_rotation(verifier: TokenVerifier, server: JwksServer) -> None:
    await verifier.verify_id_token(mint(id_claims(server.issuer)))
    server.keys = [jwk("k1", "kid-1"), jwk("k2", "kid-2")]
    rotated = mint(id_claims(server.issuer), key="k2", kid="kid-2")
    assert (await verifier.verify_id_token(rotated))["sub"] == SUB
    assert server.count == 2
    assert verifier.jwks.kids == {"kid-1", "kid-2"}
    await verifier.verify_id_token(rotated)
    assert server.count == 2


async def test_tampered_payload(verifier: TokenVerifier, server: JwksServer) -> None:
    token = mint(id_claims(server.issuer))
    header, _, signature = token.split(".")
    forged = ".".join([header, b64json(id_claims(server.issuer, sub="admin")), signature])
    with pytest.raises(BadSignatureError) as info:
        await verifier.verify_id_token(forged)
    assert info.value.reason == "bad_signature"
    assert_no_secret(info.value, forged)


async def test_signed_by_another_key_with_known_kid(
    verifier: TokenVerifier, server: JwksServer
) -> None:
    forged = mint(id_claims(server.issuer), key="attacker", kid="kid-1")
    with pytest.raises(BadSignatureError):
        await verifier.verify_id_token(forged)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c",
        "!!!.???.***",
        b64json({"alg": "RS256"}) + "." + b64json({}) + ".sig",  # no kid
        b64json(["list"]) + "." + b64json({}) + ".sig",
    ],
)
async def test_malformed(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(MalformedTokenError) as info:
        await verifier.verify_id_token(token)
    assert info.value.reason == "malformed"


async def test_concurrent_cold_verifications_share_one_fetch(
    verifier: TokenVerifier, server: JwksServer
) -> None:
    token = mint(access_claims(server.issuer))
    results = await asyncio.gather(*(verifier.verify_access_token(token) for _ in range(200)))
    assert all(r["username"] == "alice" for r in results)
    assert server.count == 1


async def test_jwks_fetch_failure_is_typed_and_not_cached(
    verifier: TokenVerifier, server: JwksServer
) -> None:
    token = mint(id_claims(server.issuer))
    server.status = 503
    with pytest.raises(JwksFetchError) as info:
        await verifier.verify_id_token(token)
    assert not isinstance(info.value, TokenVerificationError)
    assert isinstance(info.value, CognitoFlowsError)
    server.status = 200
    await verifier.verify_id_token(token)
    assert server.count == 2


async def test_jwks_cache_ignores_unusable_keys(clock: FakeClock) -> None:
    async def fetch(url: str) -> Any:
        return {
            "keys": [
                {**jwk("k1", "kid-enc"), "use": "enc"},
                {**jwk("k1", "kid-512"), "alg": "RS512"},
                {"kty": "oct", "kid": "kid-oct", "k": "c2VjcmV0"},
                {"kty": "RSA", "kid": "kid-bad", "n": "!!", "e": "AQAB"},
                "junk",
                jwk("k1", "kid-ok"),
            ]
        }

    cache = JwksCache("https://x/jwks", fetch=fetch, clock=clock)
    await cache.refresh()
    assert cache.kids == {"kid-ok"}

    async def broken(url: str) -> Any:
        raise OSError("down")

    with pytest.raises(JwksFetchError):
        await JwksCache("https://x/jwks", fetch=broken).get_key("kid-ok")


async def test_cancelled_verifier_does_not_cancel_shared_fetch(clock: FakeClock) -> None:
    gate = asyncio.Event()
    calls = 0

    async def fetch(url: str) -> Any:
        nonlocal calls
        calls += 1
        await gate.wait()
        return {"keys": [jwk("k1", "kid-1")]}

    v = TokenVerifier(
        user_pool_id=POOL, client_id=CLIENT, issuer="https://i/p", fetch=fetch, clock=clock
    )
    token = mint(id_claims("https://i/p"))
    first = asyncio.create_task(v.verify_id_token(token))
    second = asyncio.create_task(v.verify_id_token(token))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    assert (await second)["sub"] == SUB
    with pytest.raises(asyncio.CancelledError):
        await first
    assert calls == 1


# --------------------------------------------------------------------------------------
# TokenSet


def auth_result(n: int = 1, *, refresh: str | None = "refresh-1", **extra: Any) -> dict[str, Any]:
    issuer = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    result: dict[str, Any] = {
        "AccessToken": mint(access_claims(issuer, jti=f"a{n}")),
        "IdToken": mint(id_claims(issuer, jti=f"i{n}")),
        "ExpiresIn": 3600,
        "TokenType": "Bearer",
        **extra,
    }
    if refresh is not None:
        result["RefreshToken"] = refresh
    return result


def test_tokenset_from_authentication_result() -> None:
    result = auth_result(NewDeviceMetadata={"DeviceKey": "eu-west-1_dev", "DeviceGroupKey": "g"})
    ts = TokenSet.from_authentication_result(result, now=NOW)
    assert ts.access_token == result["AccessToken"]
    assert ts.id_token == result["IdToken"]
    assert ts.refresh_token == "refresh-1"
    assert ts.expires_at == NOW + 3600
    assert ts.token_type == "Bearer"
    assert ts.device_key == "eu-west-1_dev"
    assert ts.username == "alice"
    assert ts.sub == SUB
    assert ts.unverified_claims("access")["token_use"] == "access"
    assert ts.unverified_claims("id")["token_use"] == "id"


def test_tokenset_rotation_aware() -> None:
    first = TokenSet.from_authentication_result(
        auth_result(NewDeviceMetadata={"DeviceKey": "dev-1"}), now=NOW
    )
    kept = TokenSet.from_authentication_result(
        auth_result(2, refresh=None), now=NOW + 3000, previous=first
    )
    assert kept.refresh_token == "refresh-1"
    assert kept.device_key == "dev-1"
    assert kept.expires_at == NOW + 6600
    rotated = TokenSet.from_authentication_result(
        auth_result(3, refresh="refresh-2"), now=NOW, previous=kept
    )
    assert rotated.refresh_token == "refresh-2"
    no_previous = TokenSet.from_authentication_result(auth_result(refresh=None), now=NOW)
    assert no_previous.refresh_token is None


@pytest.mark.parametrize("missing", ["AccessToken", "IdToken", "ExpiresIn"])
def test_tokenset_incomplete_result(missing: str) -> None:
    result = auth_result()
    del result[missing]
    with pytest.raises(ProtocolError):
        TokenSet.from_authentication_result(result, now=NOW)


def test_tokenset_expiry_helpers() -> None:
    ts = TokenSet.from_authentication_result(auth_result(), now=NOW)
    assert ts.expires_in(NOW + 600) == 3000
    assert ts.expires_in(NOW + 9999) == 0
    assert not ts.is_expired(NOW + 3599)
    assert ts.is_expired(NOW + 3600)
    assert ts.is_expired(NOW + 3590, leeway=30)


def test_tokenset_as_dict_and_round_trip() -> None:
    ts = TokenSet.from_authentication_result(
        auth_result(NewDeviceMetadata={"DeviceKey": "d"}), now=NOW
    )
    out = ts.as_dict(now=NOW + 100)
    assert out == {
        "AccessToken": ts.access_token,
        "IdToken": ts.id_token,
        "RefreshToken": "refresh-1",
        "ExpiresIn": 3500,
        "TokenType": "Bearer",
    }
    saved = json.loads(json.dumps(ts.to_dict()))
    assert TokenSet.from_dict(saved) == ts


#: ``pickle.dumps(TokenSet(access_token="a", id_token="i", expires_at=1.5, refresh_token="r",
#: device_key="d"), protocol=2)`` written while the class lived in ``cognito_flows/tokens.py``:
#: the stream names the class ``cognito_flows.tokens.TokenSet``.
PICKLED_BEFORE_THE_PACKAGE = (
    b"\x80\x02ccognito_flows.tokens\nTokenSet\nq\x00)\x81q\x01}q\x02(X\x0c\x00\x00\x00"
    b"access_tokenq\x03X\x01\x00\x00\x00aq\x04X\x08\x00\x00\x00id_tokenq\x05X\x01\x00\x00"
    b"\x00iq\x06X\n\x00\x00\x00expires_atq\x07G?\xf8\x00\x00\x00\x00\x00\x00X\r\x00\x00"
    b"\x00refresh_tokenq\x08X\x01\x00\x00\x00rq\tX\n\x00\x00\x00token_typeq\nX\x06\x00"
    b"\x00\x00Bearerq\x0bX\n\x00\x00\x00device_keyq\x0cX\x01\x00\x00\x00dq\rub."
)


def test_tokenset_pickled_before_tokens_became_a_package_still_loads() -> None:
    expected = TokenSet(
        access_token="a", id_token="i", expires_at=1.5, refresh_token="r", device_key="d"
    )
    assert pickle.loads(PICKLED_BEFORE_THE_PACKAGE) == expected
    assert pickle.loads(pickle.dumps(expected)) == expected


@pytest.mark.parametrize(
    "broken",
    [
        {"access_token": "a", "id_token": "i"},
        {"access_token": "a", "id_token": "i", "expires_at": "soon"},
        {"access_token": 1, "id_token": "i", "expires_at": 1.0},
        {"access_token": "a", "id_token": "i", "expires_at": 1.0, "refresh_token": 5},
        {"version": 99, "access_token": "a", "id_token": "i", "expires_at": 1.0},
        ["not", "a", "mapping"],
    ],
)
def test_tokenset_from_dict_rejects(broken: Any) -> None:
    with pytest.raises(TokenSetFormatError):
        TokenSet.from_dict(broken)


def test_tokenset_repr_hides_secrets() -> None:
    ts = TokenSet.from_authentication_result(
        auth_result(refresh="very-secret-refresh", NewDeviceMetadata={"DeviceKey": "dev-key"}),
        now=NOW,
    )
    text = repr(ts) + str(ts)
    for secret in (ts.access_token, ts.id_token, "very-secret-refresh", "dev-key"):
        assert secret not in text
    for part in ts.access_token.split(".") + ts.id_token.split("."):
        assert part not in text
    assert SUB in text
    assert str(NOW + 3600) in text
    opaque = TokenSet(access_token="opaque-a", id_token="opaque-i", expires_at=1.0)
    assert "opaque" not in repr(opaque)


# --------------------------------------------------------------------------------------
# TokenManager


def simple_tokens(n: int, *, expires_at: float, refresh: str | None = "refresh-1") -> TokenSet:
    return TokenSet(
        access_token=f"access-{n}", id_token=f"id-{n}", expires_at=expires_at, refresh_token=refresh
    )


class Refresher:
    """A refresh callable that counts calls and can be held at a gate."""

    def __init__(
        self, clock: FakeClock, *, error: BaseException | None = None, rotate: bool = False
    ) -> None:
        self.clock = clock
        self.calls = 0
        self.error = error
        self.rotate = rotate
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, old: TokenSet) -> TokenSet:
        self.calls += 1
        self.started.set()
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        result = {
            "AccessToken": f"access-{self.calls + 1}",
            "IdToken": f"id-{self.calls + 1}",
            "ExpiresIn": 3600,
        }
        if self.rotate:
            result["RefreshToken"] = f"refresh-{self.calls + 1}"
        return TokenSet.from_authentication_result(result, now=self.clock(), previous=old)


async def test_fresh_tokens_are_returned_without_refresh(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    tokens = simple_tokens(1, expires_at=NOW + 3600)
    manager = TokenManager(tokens, refresher, clock=clock)
    assert manager.state == "signed_in" and not manager.signed_out
    assert await manager.get_tokens() is tokens
    clock.now = NOW + 3600 - DEFAULT_MIN_TTL
    assert await manager.get_tokens() is tokens
    assert refresher.calls == 0
    clock.now += 1
    assert (await manager.get_tokens()).access_token == "access-2"
    assert refresher.calls == 1


async def test_min_ttl_override(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 3600), refresher, clock=clock)
    assert (await manager.get_tokens(min_ttl=7200)).access_token == "access-2"
    assert refresher.calls == 1


async def test_single_flight_1000_callers(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    refresher.gate.clear()
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 30), refresher, clock=clock)
    tasks = [asyncio.create_task(manager.get_tokens()) for _ in range(1000)]
    await refresher.started.wait()
    assert refresher.calls == 1
    refresher.gate.set()
    results = await asyncio.gather(*tasks)
    assert refresher.calls == 1
    assert all(r is results[0] for r in results)
    assert results[0].access_token == "access-2"
    assert results[0].refresh_token == "refresh-1"  # kept: no RefreshToken in the answer
    assert manager.tokens is results[0]
    await manager.get_tokens()
    assert refresher.calls == 1


async def test_refresh_failure_reaches_every_waiter_without_signing_out(
    clock: FakeClock,
) -> None:
    error = TooManyRequestsError("Rate exceeded", operation="GetTokensFromRefreshToken")
    refresher = Refresher(clock, error=error)
    refresher.gate.clear()
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 10), refresher, clock=clock)
    tasks = [asyncio.create_task(manager.get_tokens()) for _ in range(1000)]
    await refresher.started.wait()
    refresher.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(r is error for r in results)
    assert refresher.calls == 1
    assert manager.state == "signed_in"
    refresher.error = None
    assert (await manager.get_tokens()).access_token == "access-3"
    assert refresher.calls == 2


@pytest.mark.parametrize(
    "error",
    [
        TokenRevokedError("Refresh Token has been revoked"),
        from_cognito("NotAuthorizedException", "Refresh Token has expired"),
        NotAuthorizedError("Invalid Refresh Token"),
        RefreshTokenReuseError("Refresh token has been reused"),
    ],
)
async def test_revoked_refresh_signs_out(clock: FakeClock, error: Exception) -> None:
    seen: list[SignedOutError] = []
    refresher = Refresher(clock, error=error)
    refresher.gate.clear()
    manager = TokenManager(
        simple_tokens(1, expires_at=NOW + 10, refresh="secret-refresh"),
        refresher,
        clock=clock,
        on_signed_out=seen.append,
    )
    tasks = [asyncio.create_task(manager.get_tokens()) for _ in range(100)]
    await refresher.started.wait()
    refresher.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, SignedOutError) for r in results)
    assert all(r is results[0] for r in results)
    signed_out = results[0]
    assert isinstance(signed_out, SignedOutError)
    assert signed_out.reason == "revoked"
    assert signed_out.__cause__ is error
    assert manager.signed_out and manager.state == "signed_out"
    assert manager.tokens is None
    assert manager.signed_out_error is signed_out
    assert seen == [signed_out]
    with pytest.raises(SignedOutError):
        await manager.get_tokens()
    with pytest.raises(SignedOutError):
        await manager.force_refresh()
    assert refresher.calls == 1
    assert_no_secret(signed_out, "secret-refresh", "access-1", "id-1")


async def test_on_signed_out_callback_errors_are_contained(clock: FakeClock) -> None:
    def boom(exc: SignedOutError) -> None:
        raise RuntimeError("host bug")

    manager = TokenManager(
        simple_tokens(1, expires_at=NOW),
        Refresher(clock, error=TokenRevokedError("revoked")),
        clock=clock,
        on_signed_out=boom,
    )
    with pytest.raises(SignedOutError):
        await manager.get_tokens()
    assert manager.signed_out


async def test_cancelled_caller_does_not_cancel_shared_refresh(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    refresher.gate.clear()
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 10), refresher, clock=clock)
    tasks = [asyncio.create_task(manager.get_tokens()) for _ in range(3)]
    await refresher.started.wait()
    tasks[0].cancel()
    await asyncio.sleep(0)
    refresher.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]
    assert (await tasks[1]).access_token == "access-2"
    assert (await tasks[2]) is (await tasks[1])
    assert refresher.calls == 1
    assert manager.tokens is not None and manager.tokens.access_token == "access-2"


async def test_all_callers_cancelled_refresh_still_completes(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    refresher.gate.clear()
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 10), refresher, clock=clock)
    caller = asyncio.create_task(manager.get_tokens())
    await refresher.started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    refresher.gate.set()
    fresh = await manager.get_tokens()  # joins the still-running refresh
    assert fresh.access_token == "access-2"
    assert refresher.calls == 1


async def test_rotation_through_manager(clock: FakeClock) -> None:
    refresher = Refresher(clock, rotate=True)
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 10), refresher, clock=clock)
    assert (await manager.get_tokens()).refresh_token == "refresh-2"
    clock.now += 3600
    refresher.rotate = False
    assert (await manager.get_tokens()).refresh_token == "refresh-2"


async def test_manager_keeps_refresh_token_when_refresh_drops_it(clock: FakeClock) -> None:
    async def refresh(old: TokenSet) -> TokenSet:
        return TokenSet(access_token="a2", id_token="i2", expires_at=clock() + 3600)

    manager = TokenManager(simple_tokens(1, expires_at=NOW), refresh, clock=clock)
    assert (await manager.get_tokens()).refresh_token == "refresh-1"


async def test_force_refresh_set_tokens_and_clear(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 3600), refresher, clock=clock)
    assert (await manager.force_refresh()).access_token == "access-2"
    manager.clear()
    assert manager.state == "signed_out"
    with pytest.raises(SignedOutError) as info:
        await manager.get_tokens()
    assert info.value.reason == "cleared"
    manager.set_tokens(simple_tokens(9, expires_at=NOW + 3600))
    state: str = manager.state
    assert state == "signed_in"
    assert (await manager.get_tokens()).access_token == "access-9"


async def test_clear_during_refresh_is_not_undone(clock: FakeClock) -> None:
    refresher = Refresher(clock)
    refresher.gate.clear()
    manager = TokenManager(simple_tokens(1, expires_at=NOW + 10), refresher, clock=clock)
    caller = asyncio.create_task(manager.get_tokens())
    await refresher.started.wait()
    manager.clear()
    refresher.gate.set()
    # A local sign-out wins: the caller waiting on the refresh gets no fresh tokens.
    with pytest.raises(SignedOutError):
        await caller
    assert manager.signed_out and manager.tokens is None


async def test_no_tokens_and_no_refresh_token(clock: FakeClock) -> None:
    seen: list[SignedOutError] = []
    empty = TokenManager(None, Refresher(clock), clock=clock)
    assert empty.signed_out
    with pytest.raises(SignedOutError) as info:
        await empty.get_tokens()
    assert info.value.reason == "no_tokens"

    refresher = Refresher(clock)
    tokens = simple_tokens(1, expires_at=NOW + 30, refresh=None)
    manager = TokenManager(tokens, refresher, clock=clock, on_signed_out=seen.append)
    assert await manager.get_tokens() is tokens  # short-lived but still valid
    with pytest.raises(SignedOutError):
        await manager.force_refresh()
    clock.now = NOW + 30
    with pytest.raises(SignedOutError) as info:
        await manager.get_tokens()
    assert info.value.reason == "no_refresh_token"
    assert manager.signed_out and len(seen) == 1
    assert refresher.calls == 0


def test_error_classes() -> None:
    reasons = {
        cls.reason
        for cls in (
            TokenExpiredError,
            BadSignatureError,
            WrongIssuerError,
            WrongAudienceError,
            WrongTokenUseError,
            UnknownKidError,
            MalformedTokenError,
            BadAlgorithmError,
        )
    }
    assert reasons == {
        "expired",
        "bad_signature",
        "wrong_issuer",
        "wrong_audience",
        "wrong_token_use",
        "unknown_kid",
        "malformed",
        "bad_algorithm",
    }
    assert issubclass(SignedOutError, CognitoFlowsError)
    assert issubclass(TokenRejectedError, TokenVerificationError)


async def test_set_tokens_during_refresh_wins() -> None:
    """set_tokens() made while a refresh is in flight is not undone by it."""
    from cognito_flows.tokens import TokenManager, TokenSet

    started = asyncio.Event()
    release = asyncio.Event()
    old = TokenSet(access_token="a", id_token="i", expires_at=0.0, refresh_token="r")

    async def refresh(tokens: TokenSet) -> TokenSet:
        started.set()
        await release.wait()
        return TokenSet(access_token="a2", id_token="i2", expires_at=1e12, refresh_token="r")

    manager = TokenManager(old, refresh, clock=lambda: 100.0)
    waiter = asyncio.create_task(manager.get_tokens())
    await started.wait()
    replacement = TokenSet(access_token="b", id_token="ib", expires_at=1e12, refresh_token="rb")
    manager.set_tokens(replacement)
    release.set()
    assert await waiter is replacement
    assert manager.tokens is replacement
