"""Sign-up, forgot password, refresh, sign-out and TOTP setup against moto server.

moto is lenient (it does not check sign-up or reset codes) and lacks
GetTokensFromRefreshToken, so these tests prove the wire plumbing, the flow sequencing and
the REFRESH_TOKEN_AUTH fallback against a Cognito peer we did not write.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from cognito_flows import NotAuthorizedError, ResetPassword, SignedOutError, Step
from cognito_flows.account import Account, refresh_tokens, token_manager

from .conftest import MOTO_TOTP_SECRET

pytestmark = pytest.mark.moto
PASSWORD = "Passw0rd!x"


class _ShortSecretTOTP(pyotp.TOTP):
    min_secret_length_bits = 0  # moto's fixed secret is only 60 bits


def _totp_code() -> str:
    # moto checks only the current 30 s window: stay away from its edge.
    if 30 - time.time() % 30 < 3:
        time.sleep(3.5)
    return _ShortSecretTOTP(MOTO_TOTP_SECRET).now()


async def test_sign_up_and_confirm(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    pool = moto_user_pool(moto_pool_factory())
    flow = pool.sign_up_flow("alice", PASSWORD, attributes={"email": "alice@example.com"})
    step = await flow.start()
    assert step.state == "CONFIRM_SIGN_UP"
    step = await flow.answer("123456")  # moto accepts any code
    assert step.state == "CONFIRMED"
    tokens = await pool.sign_in("alice", PASSWORD)
    assert tokens.username == "alice"


async def test_sign_up_handler_mode_with_secret(
    moto_pool_factory: Any, moto_user_pool: Any
) -> None:
    pool = moto_user_pool(moto_pool_factory(secret=True))

    class Handlers:
        async def confirm_sign_up(self, step: Step) -> str:
            return "123456"

    result = await pool.sign_up("bob", PASSWORD, handlers=Handlers())
    assert result.confirmed
    assert (await pool.sign_in("bob", PASSWORD)).username == "bob"


async def test_forgot_password(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory()
    mp.user("carol", PASSWORD)
    pool = moto_user_pool(mp)
    flow = pool.forgot_password_flow("carol")
    step = await flow.start()
    assert step.state == "CONFIRM_FORGOT_PASSWORD"
    step = await flow.answer(ResetPassword("123456", "N3w-Passw0rd!"))
    assert step.state == "DONE"
    assert (await pool.sign_in("carol", "N3w-Passw0rd!", flow="password")).username == "carol"


@pytest.mark.parametrize("secret", [False, True])
async def test_refresh_falls_back_to_refresh_token_auth(
    moto_pool_factory: Any, moto_user_pool: Any, secret: bool
) -> None:
    mp = moto_pool_factory(secret=secret)
    mp.user("dave", PASSWORD)
    pool = moto_user_pool(mp)
    tokens = await pool.sign_in("dave", PASSWORD)
    new = await refresh_tokens(pool, tokens)  # GetTokensFromRefreshToken: moto answers 500
    assert new.username == "dave"
    assert new.refresh_token == tokens.refresh_token
    again = await refresh_tokens(pool, new)  # straight to REFRESH_TOKEN_AUTH now
    assert (await Account(pool, again).get_user()).username == "dave"
    manager = token_manager(pool, again)
    assert (await manager.force_refresh()).username == "dave"


async def test_global_sign_out(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory()
    mp.user("erin", PASSWORD)
    pool = moto_user_pool(mp)
    tokens = await pool.sign_in("erin", PASSWORD)
    account = Account(pool, tokens)
    assert (await account.get_user()).username == "erin"
    await account.global_sign_out()
    with pytest.raises(SignedOutError):
        await account.get_user()
    with pytest.raises(NotAuthorizedError):
        await Account(pool, tokens.access_token).get_user()
    with pytest.raises(NotAuthorizedError):
        await refresh_tokens(pool, tokens)


async def test_totp_setup_then_sign_in(moto_pool_factory: Any, moto_user_pool: Any) -> None:
    mp = moto_pool_factory(mfa="OPTIONAL")
    mp.user("fay", PASSWORD)
    pool = moto_user_pool(mp)
    account = Account(pool, await pool.sign_in("fay", PASSWORD))
    flow = account.totp_setup_flow(prefer=True)
    step = await flow.start()
    assert step.state == "VERIFY_SOFTWARE_TOKEN"
    assert step.totp is not None and step.totp.secret == MOTO_TOTP_SECRET
    assert step.totp.uri.startswith("otpauth://totp/")
    step = await flow.answer("000000" if _totp_code() != "000000" else "111111")
    assert step.retry and step.state == "VERIFY_SOFTWARE_TOKEN"
    step = await flow.answer(_totp_code())
    assert step.state == "DONE", step

    class Handlers:
        async def software_token_mfa(self, step: Step) -> str:
            return _totp_code()

    tokens = await pool.sign_in("fay", PASSWORD, handlers=Handlers())
    assert tokens.username == "fay"
