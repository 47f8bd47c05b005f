"""Checking the emulator's configuration (``LocalCognito(config=...)``, ``--config FILE``).

Every key and every value is checked before anything is built, and a wrong one is a
``ValueError`` naming the key and what it accepts: nothing is silently dropped. The
members of ``pool`` and ``client`` are checked against botocore's model of CreateUserPool
and CreateUserPoolClient (their values are then checked the way those operations check
them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CHECKS", "DEVICE_TRACKING_MODES", "check_config"]

#: ``device_tracking`` by name, as the pytest plugin (cognito_flows.testing) names them:
#: "always" remembers every confirmed device, "opt-in" only the ones the user chooses
#: (DeviceOnlyRememberedOnUserPrompt). Both need the device's own proof on a new device.
DEVICE_TRACKING_MODES: dict[str, dict[str, bool]] = {
    "always": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False},
    "opt-in": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
}

_MFA = ("OFF", "ON", "OPTIONAL")
_MFA_METHODS = ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
_FIRST_FACTORS = ("PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
_USER_STATUSES = ("UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED")
_PASSWORD_POLICY: dict[str, tuple[type, tuple[int, int] | None]] = {
    "MinimumLength": (int, (6, 99)),
    "RequireUppercase": (bool, None),
    "RequireLowercase": (bool, None),
    "RequireNumbers": (bool, None),
    "RequireSymbols": (bool, None),
    "PasswordHistorySize": (int, (0, 24)),
    "TemporaryPasswordValidityDays": (int, (0, 365)),
}
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")


@functools.cache
def _members(operation: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset(model.operation_model(operation).input_shape.members)


def _fail(key: str, accepts: str, value: object) -> ValueError:
    shown = type(value).__name__ if isinstance(value, (Mapping, list)) else repr(value)
    return ValueError(f"configuration key {key!r}: expected {accepts}, got {shown}")


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(choices: tuple[str, ...]) -> Callable[[str, object], None]:
    def check(key: str, value: object) -> None:
        if not isinstance(value, str) or value not in choices:
            raise _fail(key, "one of " + ", ".join(repr(c) for c in choices), value)

    return check


def _subset(choices: tuple[str, ...], *, non_empty: bool = False) -> Callable[[str, object], None]:
    def check(key: str, value: object) -> None:
        accepts = f"a list of {', '.join(repr(c) for c in choices)}" + (
            " (at least one)" if non_empty else ""
        )
        if (
            not isinstance(value, list)
            or any(not isinstance(item, str) or item not in choices for item in value)
            or len(set(value)) != len(value)
            or (non_empty and not value)
        ):
            raise _fail(key, accepts, value)

    return check


def _members_of(
    operation: str, *, extra: str | None = None, without: tuple[str, ...] = ()
) -> Callable[[str, object], None]:
    def check(key: str, value: object) -> None:
        allowed = (_members(operation) | (_members(extra) if extra else frozenset())) - set(without)
        if not isinstance(value, Mapping):
            raise _fail(key, f"an object of {operation} members", value)
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise ValueError(
                f"configuration key {key!r}: {', '.join(map(repr, unknown))} "
                f"{'is not a member' if len(unknown) == 1 else 'are not members'} of "
                f"{operation} (members: {', '.join(sorted(allowed))})"
            )

    return check


def _region(key: str, value: object) -> None:
    if not isinstance(value, str) or not _REGION.match(value):
        raise _fail(key, "an AWS region name such as 'us-east-1'", value)


def _pool_id(key: str, value: object) -> None:
    if not isinstance(value, str) or not _POOL_ID.match(value) or len(value) > 55:
        raise _fail(key, "a user pool id such as 'us-east-1_Local0001'", value)


def _password_policy(key: str, value: object) -> None:
    if not isinstance(value, Mapping):
        raise _fail(key, "an object of PasswordPolicyType members", value)
    for name, item in value.items():
        if name not in _PASSWORD_POLICY:
            raise ValueError(
                f"configuration key {key!r}: {name!r} is not a PasswordPolicyType member "
                f"(members: {', '.join(_PASSWORD_POLICY)})"
            )
        kind, bounds = _PASSWORD_POLICY[name]
        if kind is bool:
            ok, accepts = _is_bool(item), "true or false"
        else:
            low, high = bounds or (0, 0)
            ok = isinstance(item, int) and not isinstance(item, bool) and low <= item <= high
            accepts = f"an integer {low}..{high}"
        if not ok:
            raise _fail(f"{key}.{name}", accepts, item)


def _device_tracking(key: str, value: object) -> None:
    accepts = (
        "true, false, 'always', 'opt-in' or an object with ChallengeRequiredOnNewDevice and "
        "DeviceOnlyRememberedOnUserPrompt (true/false)"
    )
    if _is_bool(value) or (isinstance(value, str) and value in DEVICE_TRACKING_MODES):
        return
    if (
        isinstance(value, Mapping)
        and value
        and all(
            name in DEVICE_TRACKING_MODES["always"] and _is_bool(item)
            for name, item in value.items()
        )
    ):
        return
    raise _fail(key, accepts, value)


def _case_sensitive(key: str, value: object) -> None:
    if not _is_bool(value):
        raise _fail(key, "true or false", value)


def _custom_auth(key: str, value: object) -> None:
    if value is not None and value != "email_code":
        raise _fail(key, "'email_code' or null", value)


_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")


def _domain(key: str, value: object) -> None:
    # DomainType's pattern in botocore's model (CreateUserPoolDomain).
    if value is None or value == "":
        return
    if not isinstance(value, str) or not _DOMAIN.match(value):
        raise _fail(key, "a domain prefix of lowercase letters, digits and hyphens, or null", value)


def _triggers(key: str, value: object) -> None:
    # Trigger names as LambdaConfig spells them ("PreSignUp"...), each a "module:function".
    from .triggers import TRIGGER_NAMES

    if not isinstance(value, Mapping):
        raise _fail(key, "an object of trigger name -> 'module:function'", value)
    for name, reference in value.items():
        if name not in TRIGGER_NAMES:
            raise _fail(f"{key}.{name}", "one of " + ", ".join(TRIGGER_NAMES), name)
        if name == "PreTokenGeneration" and isinstance(reference, Mapping):
            if set(reference) - {"handler", "version"}:
                raise _fail(f"{key}.{name}", "{'handler': 'module:function', 'version'}", reference)
            version = reference.get("version", "V1_0")
            if version not in ("V1_0", "V2_0", "V3_0"):
                raise _fail(f"{key}.{name}.version", "'V1_0', 'V2_0' or 'V3_0'", version)
            reference = reference.get("handler")
        if not isinstance(reference, str) or ":" not in reference:
            raise _fail(f"{key}.{name}", "a 'module:function' reference", reference)


def _lambdas(key: str, value: object) -> None:
    if not isinstance(value, Mapping):
        raise _fail(key, "an object mapping Lambda ARNs to 'module:function'", value)
    for arn, reference in value.items():
        if not isinstance(reference, str) or ":" not in reference:
            raise _fail(f"{key}[{arn!r}]", "a 'module:function' reference", reference)


def _seed(key: str, value: object) -> None:
    if value is not None and not _is_int(value):
        raise _fail(key, "an integer or null", value)


_USER_KEYS: dict[str, Callable[[str, object], None]] = {}


def _users(key: str, value: object) -> None:
    if not isinstance(value, list):
        raise _fail(key, "a list of user objects", value)
    for index, user in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(user, Mapping):
            raise _fail(where, "an object with at least 'username'", user)
        unknown = sorted(str(k) for k in user if k not in _USER_KEYS)
        if unknown:
            raise ValueError(
                f"configuration key {where!r}: unknown user setting(s) {', '.join(unknown)} "
                f"(settings: {', '.join(_USER_KEYS)})"
            )
        if "username" not in user:
            raise _fail(f"{where}.username", "a non-empty string", None)
        for name, item in user.items():
            _USER_KEYS[name](f"{where}.{name}", item)


def _non_empty_str(key: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise _fail(key, "a non-empty string", value)


def _optional_str(key: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(key, "a string or null", value)


def _attributes(key: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(key, "an object of attribute names to string values", value)


def _user_mfa(key: str, value: object) -> None:
    if value is None or (isinstance(value, str) and value in _MFA_METHODS):
        return
    _subset(_MFA_METHODS)(key, value)


def _optional_mfa(key: str, value: object) -> None:
    if value is not None:
        _choice(_MFA_METHODS)(key, value)


def _enabled(key: str, value: object) -> None:
    if not _is_bool(value):
        raise _fail(key, "true or false", value)


_USER_KEYS.update(
    {
        "username": _non_empty_str,
        "password": _optional_str,
        "attributes": _attributes,
        "status": _choice(_USER_STATUSES),
        "mfa": _user_mfa,
        "preferred_mfa": _optional_mfa,
        "totp_secret": _optional_str,
        "enabled": _enabled,
    }
)

#: Every configuration key and its check.
CHECKS: dict[str, Callable[[str, object], None]] = {
    "region": _region,
    "pool_id": _pool_id,
    "pool": _members_of("CreateUserPool", extra="SetUserPoolMfaConfig", without=("UserPoolId",)),
    "mfa": _choice(_MFA),
    "mfa_methods": _subset(_MFA_METHODS),
    "password_policy": _password_policy,
    "username_attributes": _subset(("email", "phone_number")),
    "alias_attributes": _subset(("email", "phone_number", "preferred_username")),
    "auto_verified_attributes": _subset(("email", "phone_number")),
    "device_tracking": _device_tracking,
    "first_auth_factors": _subset(_FIRST_FACTORS, non_empty=True),
    "case_sensitive": _case_sensitive,
    "tier": _choice(("LITE", "ESSENTIALS", "PLUS")),
    "client": _members_of("CreateUserPoolClient", without=("UserPoolId",)),
    "users": _users,
    "custom_auth": _custom_auth,
    "triggers": _triggers,
    "lambdas": _lambdas,
    "seed": _seed,
    "domain": _domain,
}


def check_config(data: Mapping[str, Any]) -> None:
    """Check every key and value of an emulator configuration.

    Raises:
        ValueError: an unknown key, or a value the key does not accept (the message names
            the key and what it accepts).
    """
    unknown = sorted(str(k) for k in data if k not in CHECKS)
    if unknown:
        raise ValueError(
            f"unknown configuration key(s): {', '.join(unknown)} (keys: {', '.join(CHECKS)})"
        )
    for key, value in data.items():
        CHECKS[key](key, value)
