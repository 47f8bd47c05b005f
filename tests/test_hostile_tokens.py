"""Hostile bearer tokens (issue 13, item 3): every one is a TokenRejectedError.

An API that verifies a bearer token must answer 401, never 500: deeply nested JSON, a huge
token, bad base64, wrong types in the header or in (correctly signed) claims, NaN and
infinite times. Crafted cases first, then hypothesis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_flows.tokens import TokenRejectedError, TokenSet, TokenVerifier

from .test_tokens import (
    CLIENT,
    NOW,
    POOL,
    FakeClock,
    access_claims,
    b64,
    id_claims,
    jwk,
    private_key,
)

ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
GOOD_HEADER = {"alg": "RS256", "kid": "kid-1", "typ": "JWT"}


def _verifier() -> TokenVerifier:
    async def fetch(url: str) -> Any:
        return {"keys": [jwk("k1", "kid-1")]}

    return TokenVerifier(user_pool_id=POOL, client_id=CLIENT, fetch=fetch, clock=FakeClock())


def mint(claims: dict[str, Any]) -> str:
    """Sign ``claims`` as they are (pyjwt's encoder would refuse some of these types)."""
    return jwt.PyJWS().encode(
        json.dumps(claims).encode(), private_key("k1"), algorithm="RS256", headers=GOOD_HEADER
    )


def _raw_json(text: str) -> str:
    return b64(text.encode())


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def _run(token: Any, use: str = "access") -> None:
    """Verify ``token``: it must be rejected with a TokenRejectedError and nothing else."""

    async def go() -> None:
        await _verifier().verify(token, use)  # type: ignore[arg-type]

    with pytest.raises(TokenRejectedError):
        asyncio.run(go())


SIG = b64(b"\x00" * 256)
HOSTILE: dict[str, Any] = {
    "nested header": f"{_raw_json(_nested(50_000))}.{_raw_json('{}')}.{SIG}",
    "nested payload": f"{_raw_json(json.dumps(GOOD_HEADER))}.{_raw_json(_nested(50_000))}.{SIG}",
    "nested object in header": _raw_json('{"alg":' + '{"a":' * 20_000 + "1" + "}" * 20_001)
    + f".{_raw_json('{}')}.{SIG}",
    "nested kid": _raw_json('{"alg":"RS256","kid":' + _nested(900) + "}") + f".e30.{SIG}",
    "nested alg": _raw_json('{"alg":' + _nested(900) + "}") + f".e30.{SIG}",
    "huge": "a" * (70_000) + ".b.c",
    "ten megabytes": f"{_raw_json(json.dumps(GOOD_HEADER))}.{'A' * 10_000_000}.{SIG}",
    "bad base64": "!!!.@@@.###",
    "non-ascii": "é.é.é",
    "lone surrogate": "\ud800.\udc00.x",
    "nul bytes": "\x00.\x00.\x00",
    "empty": "",
    "dots only": "..",
    "four parts": "a.b.c.d",
    "header is a list": f"{_raw_json('[1]')}.{_raw_json('{}')}.{SIG}",
    "header is a number": f"{_raw_json('1e999')}.{_raw_json('{}')}.{SIG}",
    "header is a string": f"{_raw_json(json.dumps('RS256'))}.{_raw_json('{}')}.{SIG}",
    "invalid utf-8": b64(b'{"alg":"\xff"}') + f".{_raw_json('{}')}.{SIG}",
    "huge integer": _raw_json('{"alg":' + "9" * 5000 + "}") + f".{_raw_json('{}')}.{SIG}",
    "alg none": f"{_raw_json(json.dumps({'alg': 'none', 'kid': 'kid-1'}))}.{_raw_json('{}')}.",
    "alg HS256": f"{_raw_json(json.dumps({'alg': 'HS256', 'kid': 'kid-1'}))}.e30.{SIG}",
    "kid is a list": f"{_raw_json(json.dumps({'alg': 'RS256', 'kid': ['kid-1']}))}.e30.{SIG}",
    "kid is a dict": f"{_raw_json(json.dumps({'alg': 'RS256', 'kid': {'a': 1}}))}.e30.{SIG}",
    "kid is huge": f"{_raw_json(json.dumps({'alg': 'RS256', 'kid': 'k' * 20_000}))}.e30.{SIG}",
    "unknown kid": f"{_raw_json(json.dumps({'alg': 'RS256', 'kid': 'nope'}))}.e30.{SIG}",
    "bad signature": f"{_raw_json(json.dumps(GOOD_HEADER))}.{_raw_json('{}')}.{SIG}",
    "signature not base64": f"{_raw_json(json.dumps(GOOD_HEADER))}.e30.!!!!",
    "payload not json": f"{_raw_json(json.dumps(GOOD_HEADER))}.{b64(b'not json')}.{SIG}",
    "payload NaN": f"{_raw_json(json.dumps(GOOD_HEADER))}.{_raw_json('NaN')}.{SIG}",
    "none": None,
    "bytes": b"a.b.c",
    "int": 12345,
    "list": ["a", "b", "c"],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_token_is_rejected(name: str) -> None:
    _run(HOSTILE[name])


#: Correctly signed tokens whose claims have the wrong types or impossible values.
SIGNED_ACCESS: dict[str, dict[str, Any]] = {
    "client_id is a list": {"client_id": [CLIENT]},
    "client_id is a dict": {"client_id": {"a": CLIENT}},
    "iss is a list": {"iss": [ISSUER]},
    "token_use is a dict": {"token_use": {"access": True}},
    "exp is NaN": {"exp": math.nan},
    "exp is infinite": {"exp": math.inf},
    "exp is minus infinity": {"exp": -math.inf},
    "exp is huge": {"exp": 10**400},
    "exp is a string": {"exp": str(int(NOW) + 3600)},
    "exp is true": {"exp": True},
    "iat is NaN": {"iat": math.nan},
    "iat is huge": {"iat": -(10**400)},
    "nbf is NaN": {"nbf": math.nan},
    "nbf is huge": {"nbf": 10**400},
    "nbf is infinite": {"nbf": math.inf},
    "exp missing": {"exp": None},
    "nested claim": {"client_id": json.loads(_nested(200))},
}
SIGNED_ID: dict[str, dict[str, Any]] = {
    "aud is nested": {"aud": [[CLIENT]]},
    "aud is a dict": {"aud": {CLIENT: CLIENT}},
    "aud is a number": {"aud": 5},
    "exp is NaN": {"exp": math.nan},
}


@pytest.mark.parametrize("name", sorted(SIGNED_ACCESS))
def test_signed_access_token_with_bad_claims(name: str) -> None:
    _run(mint(access_claims(ISSUER, **SIGNED_ACCESS[name])))


@pytest.mark.parametrize("name", sorted(SIGNED_ID))
def test_signed_id_token_with_bad_claims(name: str) -> None:
    _run(mint(id_claims(ISSUER, **SIGNED_ID[name])), "id")


def test_the_good_token_passes() -> None:
    """The cases above are rejected for their defect, not because nothing passes."""

    async def go() -> None:
        v = _verifier()
        assert (await v.verify(mint(access_claims(ISSUER)), "access"))["client_id"] == CLIENT
        assert (await v.verify(mint(id_claims(ISSUER)), "id"))["aud"] == CLIENT

    asyncio.run(go())


def test_token_set_repr_survives_hostile_tokens() -> None:
    for name in ("nested header", "nested payload", "huge", "lone surrogate"):
        tokens = TokenSet(access_token=HOSTILE[name], id_token=HOSTILE[name], expires_at=NOW)
        assert "TokenSet" in repr(tokens)


# --------------------------------------------------------------------------------------
# hypothesis

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
segments = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(b64),
    json_values.map(lambda v: _raw_json(json.dumps(v))),
    st.integers(1, 3000).map(lambda n: _raw_json(_nested(n))),
)
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FUZZ
@given(header=segments, payload=segments, signature=segments)
def test_fuzz_three_segments(header: str, payload: str, signature: str) -> None:
    _run(f"{header}.{payload}.{signature}")


@FUZZ
@given(
    header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "x"]), json_values),
    payload=json_values,
)
def test_fuzz_headers_and_payloads(header: dict[str, Any], payload: Any) -> None:
    _run(f"{_raw_json(json.dumps(header))}.{_raw_json(json.dumps(payload))}.{SIG}")


@settings(max_examples=100, deadline=None, database=None)
@given(
    claim=st.sampled_from(["iss", "client_id", "token_use", "exp", "iat", "nbf", "aud"]),
    value=json_values,
)
def test_fuzz_signed_claims(claim: str, value: Any) -> None:
    """Signed tokens with one claim replaced: accepted only if still valid, never a crash."""
    token = mint(access_claims(ISSUER, **{claim: value}))

    async def go() -> None:
        with contextlib.suppress(TokenRejectedError):
            await _verifier().verify(token, "access")

    asyncio.run(go())
