"""Every emulator configuration key and value is checked (issue 15 item 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cognito_flows.testing import helpers
from cognito_local import LocalCognito
from cognito_local.emulator import load_config
from cognito_local.settings import CHECKS, DEVICE_TRACKING_MODES


@pytest.mark.parametrize(
    ("config", "key", "accepts"),
    [
        ({"device_tracking": "sometimes"}, "device_tracking", "'opt-in'"),
        (
            {"device_tracking": {"Remember": True}},
            "device_tracking",
            "DeviceOnlyRememberedOnUserPrompt",
        ),
        ({"mfa": "REQUIRED"}, "mfa", "'OPTIONAL'"),
        ({"mfa_methods": ["TOTP"]}, "mfa_methods", "'SOFTWARE_TOKEN_MFA'"),
        ({"mfa_methods": "SMS_MFA"}, "mfa_methods", "a list of"),
        ({"region": "moon"}, "region", "AWS region"),
        ({"pool_id": "no underscore"}, "pool_id", "user pool id"),
        ({"pool": {"PoolNmae": "x"}}, "pool", "'PoolNmae' is not a member of CreateUserPool"),
        ({"pool": []}, "pool", "CreateUserPool members"),
        ({"client": {"ExplicitAuthFlow": []}}, "client", "CreateUserPoolClient"),
        ({"password_policy": {"MinimumLength": 3}}, "password_policy.MinimumLength", "6..99"),
        ({"password_policy": {"RequireSymbol": True}}, "password_policy", "PasswordPolicyType"),
        (
            {"password_policy": {"RequireNumbers": "yes"}},
            "password_policy.RequireNumbers",
            "true or false",
        ),
        ({"username_attributes": ["username"]}, "username_attributes", "'phone_number'"),
        ({"alias_attributes": ["email", "email"]}, "alias_attributes", "'preferred_username'"),
        ({"auto_verified_attributes": "email"}, "auto_verified_attributes", "a list of"),
        ({"first_auth_factors": []}, "first_auth_factors", "at least one"),
        ({"first_auth_factors": ["SOFTWARE_TOKEN"]}, "first_auth_factors", "'WEB_AUTHN'"),
        ({"case_sensitive": "no"}, "case_sensitive", "true or false"),
        ({"custom_auth": "sms_code"}, "custom_auth", "'email_code' or null"),
        ({"seed": "abc"}, "seed", "an integer"),
        ({"domain": "My_App"}, "domain", "domain prefix"),
        ({"users": {"username": "a"}}, "users", "a list of user objects"),
        ({"users": [{"password": "x"}]}, "users[0].username", "non-empty string"),
        ({"users": [{"username": "a", "mfa": "TOTP"}]}, "users[0].mfa", "'SOFTWARE_TOKEN_MFA'"),
        ({"users": [{"username": "a", "status": "ACTIVE"}]}, "users[0].status", "'CONFIRMED'"),
        ({"users": [{"username": "a", "enabled": 1}]}, "users[0].enabled", "true or false"),
        (
            {"users": [{"username": "a", "attributes": {"age": 3}}]},
            "users[0].attributes",
            "string values",
        ),
        ({"users": [{"username": "a", "nick": "b"}]}, "users[0]", "nick"),
        ({"tier": "GOLD"}, "tier", "'LITE'"),
        ({"triggers": {"PreSignUp": "no-colon"}}, "triggers.PreSignUp", "module:function"),
        ({"triggers": {"PreSignIn": "m:f"}}, "triggers.PreSignIn", "PreSignUp"),
        ({"lambdas": []}, "lambdas", "ARNs"),
    ],
)
def test_a_wrong_value_names_the_key_and_what_it_accepts(
    config: dict[str, Any], key: str, accepts: str
) -> None:
    with pytest.raises(ValueError) as info:
        LocalCognito(config=config)
    message = str(info.value)
    assert f"'{key}'" in message, message
    assert accepts in message, message


def test_unknown_key_lists_the_keys(tmp_path: Path) -> None:
    path = tmp_path / "local.json"
    path.write_text(json.dumps({"device_tracknig": "opt-in"}), encoding="utf-8")
    with pytest.raises(ValueError, match="device_tracknig") as info:
        load_config(path)
    assert "device_tracking" in str(info.value)


def no_op_trigger(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """A trigger the configuration test references by ``module:function``."""
    return event


def test_every_key_has_a_check_and_good_values_pass() -> None:
    good = {
        "region": "eu-west-1",
        "pool_id": "eu-west-1_Abc123",
        "pool": {"PoolName": "p", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
        "mfa": "OPTIONAL",
        "mfa_methods": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
        "password_policy": {"MinimumLength": 8, "RequireSymbols": False},
        "username_attributes": ["email"],
        "alias_attributes": [],
        "auto_verified_attributes": ["email"],
        "device_tracking": "opt-in",
        "first_auth_factors": ["PASSWORD", "EMAIL_OTP"],
        "case_sensitive": False,
        "client": {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
        "users": [{"username": "a@example.com", "password": "Corr3ct-Horse!", "mfa": None}],
        "custom_auth": None,
        "tier": "ESSENTIALS",
        "triggers": {"PreSignUp": "tests.local.test_config:no_op_trigger"},
        "lambdas": {
            "arn:aws:lambda:eu-west-1:1:function:f": "tests.local.test_config:no_op_trigger"
        },
        "seed": 7,
        "domain": "my-app",
    }
    assert set(good) == set(CHECKS)
    assert load_config(good) == good
    local = LocalCognito(config=good)
    assert local.region == "eu-west-1"


@pytest.mark.parametrize(
    ("tracking", "expected"),
    [
        ("opt-in", DEVICE_TRACKING_MODES["opt-in"]),
        ("always", DEVICE_TRACKING_MODES["always"]),
        (True, DEVICE_TRACKING_MODES["always"]),
        (False, None),
    ],
)
def test_device_tracking_names_mean_what_the_pytest_plugin_means(
    tracking: object, expected: dict[str, bool] | None
) -> None:
    """The pytest plugin passes "opt-in"; the emulator once dropped it silently."""
    local = LocalCognito(config={"device_tracking": tracking})
    assert local.pool().device_configuration == expected
    # One meaning for both: the plugin's table is the emulator's.
    assert helpers._DEVICE_TRACKING == DEVICE_TRACKING_MODES
