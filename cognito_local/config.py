"""User pool and app client settings: defaults, validation and the Describe* shapes.

A pool's settings are kept as a normalised ``CreateUserPool`` request (PascalCase members,
exactly as in botocore's model) so that ``DescribeUserPool`` can echo them. Besides the
``CreateUserPool`` members, the programmatic/config-file forms also accept the
``SetUserPoolMfaConfig`` members ``SmsMfaConfiguration``, ``SoftwareTokenMfaConfiguration``
and ``EmailMfaConfiguration``.
"""

from __future__ import annotations

import copy
import secrets
import string
from collections.abc import Mapping
from typing import Any

from .errors import invalid_parameter
from .plans import check_tier
from .triggers import check_lambda_config

__all__ = [
    "ALL_EXPLICIT_AUTH_FLOWS",
    "DEFAULT_AUTH_FLOWS",
    "STANDARD_ATTRIBUTES",
    "normalize_pool_settings",
    "new_client_id",
    "new_client_secret",
    "new_pool_suffix",
]

#: Cognito's standard attributes: name -> (data type, mutable).
STANDARD_ATTRIBUTES: dict[str, tuple[str, bool]] = {
    "sub": ("String", False),
    "name": ("String", True),
    "given_name": ("String", True),
    "family_name": ("String", True),
    "middle_name": ("String", True),
    "nickname": ("String", True),
    "preferred_username": ("String", True),
    "profile": ("String", True),
    "picture": ("String", True),
    "website": ("String", True),
    "email": ("String", True),
    "email_verified": ("Boolean", True),
    "gender": ("String", True),
    "birthdate": ("String", True),
    "zoneinfo": ("String", True),
    "locale": ("String", True),
    "phone_number": ("String", True),
    "phone_number_verified": ("Boolean", True),
    "address": ("String", True),
    "updated_at": ("Number", True),
}

#: AttributeDataType's enum in botocore's model.
ATTRIBUTE_DATA_TYPES = ("String", "Number", "DateTime", "Boolean")

ALL_EXPLICIT_AUTH_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
]
LEGACY_AUTH_FLOWS = ("ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH")
#: What AWS gives a client created without ExplicitAuthFlows.
DEFAULT_AUTH_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]

_ALNUM = string.ascii_letters + string.digits
_CLIENT_ALPHABET = string.ascii_lowercase + string.digits


def new_pool_suffix() -> str:
    """A random 9-character pool name part, like ``AbC123xYz``."""
    return "".join(secrets.choice(_ALNUM) for _ in range(9))


def new_client_id() -> str:
    """A random 26-character app client id (lower-case letters and digits)."""
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(26))


def new_client_secret() -> str:
    """A random 51-character app client secret."""
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(51))


DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

# Members UpdateUserPool cannot change.
IMMUTABLE_POOL_MEMBERS = (
    "UsernameAttributes",
    "AliasAttributes",
    "Schema",
    "UsernameConfiguration",
)

_POOL_MEMBERS = (
    "PoolName",
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "MfaConfiguration",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AdminCreateUserConfig",
    "Schema",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserPoolTier",
    "KeyConfiguration",
    "IssuerConfiguration",
    "AcrConfiguration",
    # extensions (SetUserPoolMfaConfig members)
    "SmsMfaConfiguration",
    "SoftwareTokenMfaConfiguration",
    "EmailMfaConfiguration",
)


def _str_list(value: Any, name: str, allowed: tuple[str, ...]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_parameter(f"{name} must be a list of strings")
    for v in value:
        if v not in allowed:
            raise invalid_parameter(
                f"1 validation error detected: Value '[{', '.join(value)}]' at "
                f"'{name[:1].lower() + name[1:]}' failed to satisfy constraint: Member must "
                f"satisfy constraint: [Member must satisfy enum value set: [{', '.join(allowed)}]]"
            )
    return list(value)


def _struct(value: Any, name: str) -> dict[str, Any]:
    """A structure member (``None`` is an empty one); anything else is invalid."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid_parameter(f"{name} must be a structure")
    return dict(value)


def _typed(struct: Mapping[str, Any], name: str, kind: type, where: str) -> None:
    value = struct.get(name)
    if value is not None and (
        not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    ):
        raise invalid_parameter(
            f"{where}.{name} must be a{'n' if kind is int else ''} "
            f"{'integer' if kind is int else kind.__name__}"
        )


def normalize_pool_settings(params: Mapping[str, Any], *, api: bool = True) -> dict[str, Any]:
    """Validate a ``CreateUserPool``-shaped mapping and fill Cognito's defaults.

    Args:
        params: the request members (unknown members are rejected).
        api: ``True`` for the ``CreateUserPool`` API (AWS defaults); ``False`` for the
            emulator's own default pool and config files (friendlier defaults are applied
            by the caller before this).

    Raises:
        ServiceError: InvalidParameterException on invalid settings.
    """
    unknown = sorted(set(params) - set(_POOL_MEMBERS))
    if unknown:
        raise invalid_parameter(f"Unknown user pool setting(s): {', '.join(unknown)}")
    s: dict[str, Any] = copy.deepcopy(dict(params))
    name = s.get("PoolName")
    if not isinstance(name, str) or not name:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'poolName' failed to satisfy "
            "constraint: Member must not be null"
        )

    policies = _struct(s.get("Policies"), "Policies")
    password = dict(DEFAULT_PASSWORD_POLICY)
    password.update(_struct(policies.get("PasswordPolicy"), "PasswordPolicy"))
    for key in ("MinimumLength", "TemporaryPasswordValidityDays", "PasswordHistorySize"):
        _typed(password, key, int, "PasswordPolicy")
    for key in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols"):
        _typed(password, key, bool, "PasswordPolicy")
    days = password.get("TemporaryPasswordValidityDays")
    if days is not None and not 0 <= days <= 365:
        raise invalid_parameter(
            "Password policy TemporaryPasswordValidityDays must be between 0 and 365"
        )
    min_len = password.get("MinimumLength")
    if not isinstance(min_len, int) or not 6 <= min_len <= 99:
        raise invalid_parameter("Password policy MinimumLength must be between 6 and 99")
    history = password.get("PasswordHistorySize", 0)
    if not isinstance(history, int) or not 0 <= history <= 24:
        raise invalid_parameter("Password policy PasswordHistorySize must be between 0 and 24")
    sign_in = _struct(policies.get("SignInPolicy"), "SignInPolicy")
    factors = _str_list(
        sign_in.get("AllowedFirstAuthFactors", ["PASSWORD"]),
        "AllowedFirstAuthFactors",
        ("PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", "SOFTWARE_TOKEN"),
    )
    if "PASSWORD" not in factors:
        raise invalid_parameter("AllowedFirstAuthFactors must include PASSWORD")
    sign_in["AllowedFirstAuthFactors"] = factors
    s["Policies"] = {"PasswordPolicy": password, "SignInPolicy": sign_in}

    username_attrs = _str_list(
        s.get("UsernameAttributes"), "UsernameAttributes", ("phone_number", "email")
    )
    alias_attrs = _str_list(
        s.get("AliasAttributes"), "AliasAttributes", ("phone_number", "email", "preferred_username")
    )
    if username_attrs and alias_attrs:
        raise invalid_parameter(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."
        )
    s["UsernameAttributes"] = username_attrs
    s["AliasAttributes"] = alias_attrs
    s["AutoVerifiedAttributes"] = _str_list(
        s.get("AutoVerifiedAttributes"), "AutoVerifiedAttributes", ("phone_number", "email")
    )

    mfa = s.get("MfaConfiguration", "OFF")
    if not isinstance(mfa, str) or mfa not in ("OFF", "ON", "OPTIONAL"):
        raise invalid_parameter(
            f"1 validation error detected: Value '{mfa}' at 'mfaConfiguration' failed to satisfy"
            " constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
        )
    s["MfaConfiguration"] = mfa
    extensions = any(
        k in params
        for k in ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration")
    )
    if not extensions and mfa != "OFF":
        # CreateUserPool: MFA other than OFF works through SMS (an SMS configuration is
        # what AWS requires at creation); TOTP and e-mail MFA come via SetUserPoolMfaConfig.
        s["SmsMfaConfiguration"] = {
            k: s[k] for k in ("SmsAuthenticationMessage", "SmsConfiguration") if k in s
        }
    totp = s.get("SoftwareTokenMfaConfiguration")
    if totp is not None:
        _typed(
            _struct(totp, "SoftwareTokenMfaConfiguration"),
            "Enabled",
            bool,
            "SoftwareTokenMfaConfiguration",
        )
    for key in (
        "SmsMfaConfiguration",
        "EmailMfaConfiguration",
        "SmsConfiguration",
        "EmailConfiguration",
        "LambdaConfig",
        "VerificationMessageTemplate",
        "UserPoolAddOns",
        "UserAttributeUpdateSettings",
        "UserPoolTags",
    ):
        if s.get(key) is not None:
            _struct(s[key], key)
    sms_mfa = s.get("SmsMfaConfiguration")
    if sms_mfa is not None:
        _struct(sms_mfa.get("SmsConfiguration"), "SmsMfaConfiguration.SmsConfiguration")
        _typed(sms_mfa, "SmsAuthenticationMessage", str, "SmsMfaConfiguration")
    if mfa != "OFF" and not (
        s.get("SmsMfaConfiguration") is not None
        or (totp or {}).get("Enabled")
        or s.get("EmailMfaConfiguration") is not None
    ):
        # AWS's wording (anomalyco/sst#5177).
        raise invalid_parameter(
            "Invalid MFA configuration given, can't disable all MFAs with a required or "
            "optional configuration."
        )

    device = s.get("DeviceConfiguration")
    if device is not None:
        device = _struct(device, "DeviceConfiguration")
        for key in ("ChallengeRequiredOnNewDevice", "DeviceOnlyRememberedOnUserPrompt"):
            _typed(device, key, bool, "DeviceConfiguration")
        s["DeviceConfiguration"] = {
            "ChallengeRequiredOnNewDevice": bool(device.get("ChallengeRequiredOnNewDevice", False)),
            "DeviceOnlyRememberedOnUserPrompt": bool(
                device.get("DeviceOnlyRememberedOnUserPrompt", False)
            ),
        }

    admin_create = _struct(s.get("AdminCreateUserConfig"), "AdminCreateUserConfig")
    _typed(admin_create, "AllowAdminCreateUserOnly", bool, "AdminCreateUserConfig")
    _typed(admin_create, "UnusedAccountValidityDays", int, "AdminCreateUserConfig")
    _struct(admin_create.get("InviteMessageTemplate"), "InviteMessageTemplate")
    admin_create.setdefault("AllowAdminCreateUserOnly", False)
    admin_create.setdefault(
        "UnusedAccountValidityDays", password.get("TemporaryPasswordValidityDays", 7)
    )
    s["AdminCreateUserConfig"] = admin_create

    username_cfg = _struct(s.get("UsernameConfiguration"), "UsernameConfiguration")
    _typed(username_cfg, "CaseSensitive", bool, "UsernameConfiguration")
    if "CaseSensitive" not in username_cfg:
        username_cfg["CaseSensitive"] = bool(api)
    s["UsernameConfiguration"] = username_cfg

    schema = s.get("Schema") or []
    if not isinstance(schema, list):
        raise invalid_parameter("Schema must be a list")
    normalized_schema: list[dict[str, Any]] = []
    for attr in schema:
        if not isinstance(attr, Mapping) or not isinstance(attr.get("Name"), str):
            raise invalid_parameter("Schema attributes need a Name")
        item = dict(attr)
        attr_name = item["Name"]
        if attr_name not in STANDARD_ATTRIBUTES and not attr_name.startswith("custom:"):
            item["Name"] = f"custom:{attr_name}"
        item.setdefault("AttributeDataType", "String")
        if item["AttributeDataType"] not in ATTRIBUTE_DATA_TYPES:
            # AWS's answer to an unknown type (aws-amplify/amplify-cli#9960, #9525).
            raise invalid_parameter(
                "Invalid AttributeDataType input, consider using the provided "
                "AttributeDataType enum."
            )
        item.setdefault("DeveloperOnlyAttribute", False)
        item.setdefault("Mutable", True)
        item.setdefault("Required", False)
        if item["Name"].startswith("custom:") and item["Required"]:
            raise invalid_parameter("Required custom attributes are not supported.")
        normalized_schema.append(item)
    s["Schema"] = normalized_schema

    recovery = s.get("AccountRecoverySetting")
    if recovery is not None:
        mechanisms = recovery.get("RecoveryMechanisms") if isinstance(recovery, Mapping) else None
        if not isinstance(mechanisms, list):
            raise invalid_parameter("AccountRecoverySetting needs RecoveryMechanisms")
        for m in mechanisms:
            if not isinstance(m, Mapping) or m.get("Name") not in (
                "verified_email",
                "verified_phone_number",
                "admin_only",
            ):
                raise invalid_parameter("Invalid RecoveryMechanisms")
            # RecoveryOptionType: Priority is a required integer, 1 or 2.
            priority = m.get("Priority")
            where = "'accountRecoverySetting.recoveryMechanisms.member.priority'"
            if priority is None:
                raise invalid_parameter(
                    f"1 validation error detected: Value null at {where} "
                    "failed to satisfy constraint: Member must not be null"
                )
            if not isinstance(priority, int) or isinstance(priority, bool):
                raise invalid_parameter("RecoveryMechanisms Priority must be an integer")
            if not 1 <= priority <= 2:
                bound = "greater than or equal to 1" if priority < 1 else "less than or equal to 2"
                raise invalid_parameter(
                    f"1 validation error detected: Value {priority} at "
                    f"{where} failed to satisfy constraint: Member must "
                    f"have value {bound}"
                )
    s.setdefault("UserPoolTier", "ESSENTIALS")
    s.setdefault("LambdaConfig", {})
    s.setdefault("DeletionProtection", "INACTIVE")
    s.setdefault("UserAttributeUpdateSettings", {"AttributesRequireVerificationBeforeUpdate": []})
    check_lambda_config(s["LambdaConfig"])
    check_tier(s)  # feature plans (plans.py)
    return s


def default_local_pool_settings(name: str = "local") -> dict[str, Any]:
    """The settings of the emulator's default pool (before config overrides)."""
    return {
        "PoolName": name,
        "Policies": {
            "PasswordPolicy": dict(DEFAULT_PASSWORD_POLICY),
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]},
        },
        "AutoVerifiedAttributes": ["email"],
        "MfaConfiguration": "OPTIONAL",
        "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Your code is {####}"},
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
        "EmailMfaConfiguration": {"Message": "Your code is {####}", "Subject": "Your code"},
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [
                {"Priority": 1, "Name": "verified_email"},
                {"Priority": 2, "Name": "verified_phone_number"},
            ]
        },
        "UsernameConfiguration": {"CaseSensitive": False},
    }
