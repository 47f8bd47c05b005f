"""The cognito_flows pytest plugin, run on a user's test file with pytester.

The user's tests run in this process (``runpytest_inprocess``: a fresh pytest config and
plugin manager, which loads the plugin from its ``pytest11`` entry point as a user's run
does); the fixture listing runs in a fresh interpreter, the way a user's ``pytest`` starts.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]


def _plugin_args() -> list[str]:
    """Load the plugin by hand until the ``pytest11`` entry point is installed (loading it
    both ways would register the module twice)."""
    installed = any(ep.name == "cognito_flows" for ep in entry_points(group="pytest11"))
    by_hand = [] if installed else ["-p", "cognito_flows.testing.plugin"]
    return [*by_hand, "-p", "no:cacheprovider"]


PLUGIN = _plugin_args()

USER_TESTS = """
import pytest
from cognito_flows import CodeMismatchError, NewPassword
from cognito_flows.testing import FlowStepper, UnexpectedStepError, expect_step


async def test_totp(cognito_pool, cognito_users, cognito_clock):
    name, secret = await cognito_users.totp_enrolled()
    flow = cognito_pool.sign_in_flow(name, cognito_users.password)
    await expect_step(flow.start(), "SOFTWARE_TOKEN_MFA")
    await expect_step(flow.answer("000000"), "SOFTWARE_TOKEN_MFA", retry=True,
                      error=CodeMismatchError)
    step = await expect_step(flow.answer(cognito_users.totp(secret)), "DONE")
    assert step.tokens.username == name


async def test_sms_with_a_stepper(cognito_pool, cognito_users, cognito_outbox):
    name = await cognito_users.sms_mfa()
    stepper = FlowStepper(cognito_pool.sign_in_flow(name, cognito_users.password))
    await stepper.start(expect="SMS_MFA")
    assert cognito_outbox.last(username=name, purpose="MFA").channel == "SMS"
    await stepper.answer(cognito_users.code(name), expect="DONE")
    assert stepper.states == ["SMS_MFA", "DONE"]


async def test_email_mfa_run(cognito_pool, cognito_users):
    name = await cognito_users.email_mfa()
    stepper = FlowStepper(cognito_pool.sign_in_flow(name, cognito_users.password))
    step = await stepper.run({"EMAIL_OTP": lambda step: cognito_users.code(name)})
    assert step.tokens is not None


async def test_states(cognito_pool, cognito_users):
    confirmed = await cognito_users.confirmed()
    await expect_step(cognito_pool.sign_in_flow(confirmed, cognito_users.password).start(),
                      "DONE")
    unconfirmed = await cognito_users.unconfirmed()
    await expect_step(cognito_pool.sign_in_flow(unconfirmed, cognito_users.password).start(),
                      "CONFIRM_SIGN_UP")
    invited = await cognito_users.force_change_password()
    flow = cognito_pool.sign_in_flow(invited, cognito_users.password)
    await expect_step(flow.start(), "NEW_PASSWORD_REQUIRED")
    await expect_step(flow.answer(NewPassword("N3w-Passw0rd!x")), "DONE")


async def test_expiry_with_the_clock(cognito_pool, cognito_users, cognito_clock):
    name, secret = await cognito_users.totp_enrolled()
    flow = cognito_pool.sign_in_flow(name, cognito_users.password)
    await flow.start()
    cognito_clock.advance(181)
    await expect_step(flow.answer(cognito_users.totp(secret)), "EXPIRED")


async def test_a_wrong_expectation_says_what_happened(cognito_pool, cognito_users):
    name, _ = await cognito_users.totp_enrolled()
    flow = cognito_pool.sign_in_flow(name, cognito_users.password)
    with pytest.raises(UnexpectedStepError, match="expected state DONE; got SOFTWARE_TOKEN_MFA"):
        await expect_step(flow.start(), "DONE")
    with pytest.raises(UnexpectedStepError, match="CodeMismatch"):
        await expect_step(flow.answer("000000"), "DONE")


async def test_fails_on_purpose(cognito_pool, cognito_users):
    name = await cognito_users.confirmed()
    await expect_step(cognito_pool.sign_in_flow(name, "wrong-password").start(), "DONE")
"""

DEVICE_TESTS = """
import pytest
from cognito_flows.testing import expect_step


@pytest.fixture
def cognito_pool_settings():
    return {"device_tracking": "always", "secret": True}


@pytest.mark.asyncio
async def test_remembered_device(cognito_pool, cognito_users, cognito_local):
    assert cognito_pool.has_secret
    name, device = await cognito_users.remembered_device()
    assert device.device_key
    step = await expect_step(
        cognito_pool.sign_in_flow(name, cognito_users.password).start(), "DONE")
    assert step.device_key == device.device_key


@pytest.mark.asyncio
async def test_more_pools(cognito_pools, cognito_pool):
    other = await cognito_pools.pool(mfa="ON")
    assert other.user_pool_id != cognito_pool.user_pool_id
    users = cognito_pools.users(other)
    name, secret = await users.totp_enrolled()
    flow = other.sign_in_flow(name, users.password)
    await expect_step(flow.start(), "SOFTWARE_TOKEN_MFA")
    await expect_step(flow.answer(users.totp(secret)), "DONE")
"""


def test_plugin_fixtures_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess(*PLUGIN, "-q")
    result.assert_outcomes(passed=6, failed=1)
    # The failure message names the expected and actual step and Cognito's error.
    result.stdout.fnmatch_lines(
        ["*UnexpectedStepError: expected state DONE; got FAILED (error IncorrectCredentialsError*"]
    )
    assert "wrong-password" not in "\n".join(
        line for line in result.outlines if "UnexpectedStepError" in line
    )


def test_plugin_fixtures_in_strict_mode_with_overridden_settings(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_devices=DEVICE_TESTS)
    result = pytester.runpytest_inprocess(*PLUGIN, "-q")
    result.assert_outcomes(passed=2)


def test_fixture_names_do_not_clash(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess(*PLUGIN, "--fixtures")
    out = result.stdout.str()
    for name in (
        "cognito_local",
        "cognito_pool",
        "cognito_pools",
        "cognito_users",
        "cognito_outbox",
        "cognito_clock",
        "cognito_pool_settings",
    ):
        assert name in out
    from cognito_flows.testing import plugin

    public = [n for n in dir(plugin) if not n.startswith("_") and n in plugin.__all__]
    assert public and all(n.startswith("cognito_") for n in public)


def _documented_trigger_tests() -> str:
    """The example of docs/testing.md, "Testing your own trigger code", verbatim."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "testing.md").read_text("utf-8")
    section = text.split("## Testing your own trigger code", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_trigger_example_runs(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_triggers=_documented_trigger_tests())
    result = pytester.runpytest_inprocess(*PLUGIN, "-q")
    result.assert_outcomes(passed=2)
