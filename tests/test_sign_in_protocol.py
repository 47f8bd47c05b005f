"""A misbehaving server: answers no real Cognito gives, over real HTTP through aiobotocore.

Each ends the flow in a state that says why, with a typed error, and logs nothing secret.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cognito_flows import (
    ProtocolError,
    SrpError,
    UnknownChallengeError,
    UserPool,
)

from .scripted_cognito import Reply, ScriptedCognito

PASSWORD = "Not-Logged-Passw0rd!"


@pytest.fixture
async def crafted() -> AsyncIterator[tuple[ScriptedCognito, str]]:
    async with ScriptedCognito() as server:
        yield server, server.url


def _pool(endpoint: str) -> UserPool:
    return UserPool("us-east-1_Crafted1", "client", endpoint_url=endpoint)


def _challenge(name: str, params: dict[str, str] | None = None) -> Reply:
    return 200, {
        "ChallengeName": name,
        "Session": "s" * 40,
        "ChallengeParameters": params or {},
    }


async def test_unknown_challenge_name(crafted: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    server, endpoint = crafted
    server.on("InitiateAuth", _challenge("QUANTUM_ENTANGLEMENT_MFA"))
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", PASSWORD, flow="password").start()
    assert step.state == "FAILED" and step.done
    assert isinstance(step.error, UnknownChallengeError)
    assert step.error.challenge == "QUANTUM_ENTANGLEMENT_MFA"
    assert PASSWORD not in caplog.text


async def test_neither_challenge_nor_result(crafted: Any) -> None:
    server, endpoint = crafted
    server.on("InitiateAuth", (200, {}))  # moto's CUSTOM_AUTH answer
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", flow="custom").start()
        assert step.state == "FAILED"
        assert isinstance(step.error, ProtocolError)
        with pytest.raises(ProtocolError):
            await pool.sign_in("alice", flow="custom")


async def test_authentication_result_without_tokens(crafted: Any) -> None:
    server, endpoint = crafted
    server.on("InitiateAuth", (200, {"AuthenticationResult": {"ExpiresIn": 5}}))
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", PASSWORD, flow="password").start()
    assert step.state == "FAILED" and isinstance(step.error, ProtocolError)


@pytest.mark.parametrize(
    "params",
    [
        {},  # nothing at all
        {"SRP_B": "zz", "SALT": "ab", "SECRET_BLOCK": "AAAA", "USER_ID_FOR_SRP": "alice"},
        {"SRP_B": "0", "SALT": "ab", "SECRET_BLOCK": "AAAA", "USER_ID_FOR_SRP": "alice"},
        {"SRP_B": "ab", "SALT": "", "SECRET_BLOCK": "AAAA", "USER_ID_FOR_SRP": "alice"},
        {"SRP_B": "ab", "SALT": "ab", "SECRET_BLOCK": "@@@@", "USER_ID_FOR_SRP": "alice"},
    ],
)
async def test_malformed_srp_parameters(crafted: Any, params: dict[str, str]) -> None:
    server, endpoint = crafted
    server.on("InitiateAuth", _challenge("PASSWORD_VERIFIER", params))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD)
        step = await flow.start()
    assert step.state == "FAILED"
    assert isinstance(step.error, SrpError)
    assert server.operations == ["InitiateAuth"]  # no signature was ever sent
    assert PASSWORD not in str(step.error) + repr(flow) + str(flow.snapshot())


async def test_server_b_zero_mod_n_gets_no_signature(crafted: Any) -> None:
    from cognito_flows import srp

    server, endpoint = crafted
    server.on(
        "InitiateAuth",
        _challenge(
            "PASSWORD_VERIFIER",
            {
                "SRP_B": format(srp.N * 2, "x"),
                "SALT": "ab",
                "SECRET_BLOCK": "AAAA",
                "USER_ID_FOR_SRP": "alice",
            },
        ),
    )
    async with _pool(endpoint) as pool:
        step = await pool.sign_in_flow("alice", PASSWORD).start()
    assert isinstance(step.error, SrpError)
    assert server.operations == ["InitiateAuth"]


async def test_malformed_json_parameters_are_tolerated(crafted: Any) -> None:
    server, endpoint = crafted
    server.on("InitiateAuth", _challenge("SELECT_MFA_TYPE", {"MFAS_CAN_CHOOSE": "{oops"}))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
        assert step.state == "SELECT_MFA_TYPE"
        assert step.options == ()
        server.on("RespondToAuthChallenge", _challenge("SOFTWARE_TOKEN_MFA"))
        step = await flow.answer("TOTP")  # with no list to check against, the answer goes
    assert step.state == "SOFTWARE_TOKEN_MFA"


async def test_challenge_not_allowed_after_done(crafted: Any) -> None:
    from cognito_flows import FlowFinishedError

    server, endpoint = crafted
    tokens = {"AccessToken": "a.b.c", "IdToken": "a.b.c", "ExpiresIn": 3600, "TokenType": "Bearer"}
    server.on("InitiateAuth", (200, {"AuthenticationResult": tokens}))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
        assert step.state == "DONE"
        with pytest.raises(FlowFinishedError):
            await flow.answer("123456")


async def test_authentication_result_missing_members_fails_the_flow(crafted: Any) -> None:
    server, endpoint = crafted
    tokens = {"AccessToken": "a.b.c", "TokenType": "Bearer"}  # no IdToken, no ExpiresIn
    server.on("InitiateAuth", (200, {"AuthenticationResult": tokens}))
    async with _pool(endpoint) as pool:
        flow = pool.sign_in_flow("alice", PASSWORD, flow="password")
        step = await flow.start()
    assert step.state == "FAILED" and step.done
    assert isinstance(step.error, ProtocolError)
    assert step.tokens is None
