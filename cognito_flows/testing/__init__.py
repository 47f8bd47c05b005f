"""Test your own Cognito handlers against the strict local Cognito.

``cognito_flows`` ships a pytest plugin (:mod:`cognito_flows.testing.plugin`, registered as
the ``cognito_flows`` entry point, so installing the package enables it; or pass
``-p cognito_flows.testing.plugin``). It needs ``pytest-asyncio``. Fixtures:

``cognito_local``
    a fresh :class:`~cognito_local.LocalCognito` on 127.0.0.1 for the test.
``cognito_pool``
    an opened :class:`~cognito_flows.UserPool` bound to a new pool on it (MFA optional,
    SMS / TOTP / e-mail MFA available, no device tracking, no client secret). Override the
    ``cognito_pool_settings`` fixture to change that: ``{"mfa": "ON", "secret": True,
    "device_tracking": "opt-in", "pool": {<CreateUserPool members>}, "client":
    {<CreateUserPoolClient members>}}``.
``cognito_pools``
    a :class:`PoolMaker` for more pools (``await cognito_pools.pool(device_tracking=
    "always")``) and their user factories (``cognito_pools.users(pool)``).
``cognito_users``
    a :class:`UserFactory` for ``cognito_pool``: ``await cognito_users.confirmed()``,
    ``.unconfirmed()``, ``.force_change_password()``, ``.totp_enrolled()`` ->
    ``(name, secret)``, ``.sms_mfa()``, ``.email_mfa()``, ``.remembered_device()`` ->
    ``(name, device)``; ``cognito_users.totp(secret)`` is the current TOTP code and
    ``cognito_users.code(name)`` the newest code sent to a user.
``cognito_outbox`` / ``cognito_clock``
    every code the emulator "sent"; the emulator's clock (``advance(seconds)``).

Step through a flow and say which challenge comes next with :func:`expect_step` or
:class:`FlowStepper`::

    from cognito_flows.testing import FlowStepper, expect_step

    async def test_my_login_handler(cognito_pool, cognito_users):
        name, secret = await cognito_users.totp_enrolled()
        flow = cognito_pool.sign_in_flow(name, cognito_users.password)
        await expect_step(flow.start(), "SOFTWARE_TOKEN_MFA")
        step = await expect_step(flow.answer("000000"), "SOFTWARE_TOKEN_MFA", retry=True)
        step = await expect_step(flow.answer(cognito_users.totp(secret)), "DONE")
        assert step.tokens is not None

    async def test_with_a_stepper(cognito_pool, cognito_users, cognito_outbox):
        name = await cognito_users.sms_mfa()
        stepper = FlowStepper(cognito_pool.sign_in_flow(name, cognito_users.password))
        await stepper.start(expect="SMS_MFA")
        await stepper.answer(cognito_users.code(name), expect="DONE")
        assert stepper.states == ["SMS_MFA", "DONE"]

A failed expectation raises :class:`UnexpectedStepError` (an ``AssertionError``) that names
the expected and actual states and the step's error type and Cognito message (never a
password, code or token).
"""

from __future__ import annotations

from .helpers import (
    DEFAULT_PASSWORD,
    FlowStepper,
    PoolMaker,
    UnexpectedStepError,
    UserFactory,
    expect_step,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "FlowStepper",
    "PoolMaker",
    "UnexpectedStepError",
    "UserFactory",
    "expect_step",
]
