"""Sign-in against moto server, a Cognito peer we did not write.

moto does not check SRP proofs or most codes (research/emulators.md), so these tests prove the
wire plumbing and challenge sequencing, not the math; the strict checks run against
``cognito_local`` and AWS's reference client.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from cognito_flows import IncorrectCredentialsError, NewPassword, Step

from .conftest import MOTO_TOTP_SECRET

pytestmark = pytest.mark.moto


class _ShortSecretTOTP(pyotp.TOTP):
    min_secret_length_bits = 0  # moto's fixed secret is only 60 bits


def _totp_code() -> str:
    totp = _ShortSecretTOTP(MOTO_TOTP_SECRET)
    # moto checks only the current 30 s window: stay away from its edge.
    if 30 - time.time() % 30 < 3:
        time.sleep(3.5)
    return totp.now()


@pytest.mark.parametrize("flow", ["srp", "password"])
async def test_sign_in_step_mode(moto_pool_factory: Any, moto_user_pool: Any, flow: str) -> None:
    mp = moto_pool_factory()
    mp.user("alice", "Passw0rd!x")
    pool = moto_user_pool(mp)
    sign_in = pool.sign_in_flow("alice", "Passw0rd!x", flow=flow)
    step = await sign_in.start()
    assert step.state == "DONE", step
    assert step.tokens is not None
    assert step.tokens.username == "alice"
    assert step.tokens.refresh_token


async def test_secret_client_srp(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory(secret=True)
    mp.user("bob", "Passw0rd!x")
    pool = moto_user_pool(mp)
    tokens = await pool.sign_in("bob", "Passw0rd!x")
    assert tokens.username == "bob"


async def test_wrong_password_fails(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory()
    mp.user("carol", "Passw0rd!x")
    pool = moto_user_pool(mp)
    step = await pool.sign_in_flow("carol", "wrong-password", flow="password").start()
    assert step.state == "FAILED"
    assert isinstance(step.error, IncorrectCredentialsError)
    with pytest.raises(IncorrectCredentialsError):
        await pool.sign_in("carol", "wrong-password", flow="password")


async def test_new_password_required(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory()
    mp.user("dave", "Temp0rary!x", permanent=False)
    pool = moto_user_pool(mp)
    sign_in = pool.sign_in_flow("dave", "Temp0rary!x")
    step = await sign_in.start()
    assert step.state == "NEW_PASSWORD_REQUIRED"
    assert step.handler == "new_password_required"
    step = await sign_in.answer(NewPassword("N3w-Passw0rd!"))
    assert step.state == "DONE"
    tokens = await pool.sign_in("dave", "N3w-Passw0rd!", flow="password")
    assert tokens.username == "dave"


async def test_totp_mfa_setup_then_sign_in(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory(mfa="ON")
    mp.user("erin", "Passw0rd!x")
    pool = moto_user_pool(mp)
    seen: list[str] = []

    class Handlers:
        async def mfa_setup(self, step: Step) -> str:
            seen.append(step.state)
            assert step.totp is not None
            assert step.totp.secret == MOTO_TOTP_SECRET
            assert step.totp.uri.startswith("otpauth://totp/")
            return _totp_code()

        async def software_token_mfa(self, step: Step) -> str:
            seen.append(step.state)
            return _totp_code()

    tokens = await pool.sign_in("erin", "Passw0rd!x", handlers=Handlers())
    assert tokens.username == "erin"
    assert seen == ["MFA_SETUP_SOFTWARE_TOKEN"]
    # Enrolled now: the next sign-in asks for the TOTP code.
    tokens = await pool.sign_in("erin", "Passw0rd!x", handlers=Handlers())
    assert seen == ["MFA_SETUP_SOFTWARE_TOKEN", "SOFTWARE_TOKEN_MFA"]
