"""The data of the emulator: user pools, users, app clients and devices."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pyotp

from cognito_flows import srp

from .config import (
    ALL_EXPLICIT_AUTH_FLOWS,
    DEFAULT_AUTH_FLOWS,
    IMMUTABLE_POOL_MEMBERS,
    LEGACY_AUTH_FLOWS,
    STANDARD_ATTRIBUTES,
    normalize_pool_settings,
)
from .errors import ServiceError, invalid_parameter
from .oauth import check_client_oauth
from .triggers import TriggerSet

if TYPE_CHECKING:
    from .codes import CodeRecord
    from .state import Backend

__all__ = [
    "USER_STATUSES",
    "Client",
    "Device",
    "Pool",
    "User",
]

USER_STATUSES = ("UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED")
MFA_NAMES = ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP")
_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE_RE = re.compile(r"^\+[0-9]{4,15}$")
_TIME_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def is_email(value: str) -> bool:
    """Whether ``value`` looks like an e-mail address."""
    return bool(_EMAIL_RE.match(value))


def is_phone(value: str) -> bool:
    """Whether ``value`` is an E.164 phone number."""
    return bool(_PHONE_RE.match(value))


@attrs.define(eq=False)
class Device:
    """A device tracked for a user (created by NewDeviceMetadata, confirmed by ConfirmDevice)."""

    key: str
    group_key: str
    created: float
    modified: float
    last_authenticated: float | None = None
    name: str | None = None
    salt: int | None = attrs.field(default=None, repr=False)
    verifier: int | None = attrs.field(default=None, repr=False)
    remembered: bool = False
    last_ip: str = "127.0.0.1"

    @property
    def confirmed(self) -> bool:
        """Whether ConfirmDevice stored the device's SRP verifier."""
        return self.verifier is not None

    @property
    def remembered_status(self) -> str:
        """``"remembered"`` or ``"not_remembered"``."""
        return "remembered" if self.remembered else "not_remembered"

    def describe(self) -> dict[str, Any]:
        """The ``DeviceType`` shape."""
        attributes = [
            {"Name": "device_status", "Value": "valid"},
            {"Name": "dev:device_remembered_status", "Value": self.remembered_status},
            {"Name": "last_ip_used", "Value": self.last_ip},
        ]
        if self.name is not None:
            attributes.insert(1, {"Name": "device_name", "Value": self.name})
        out: dict[str, Any] = {
            "DeviceKey": self.key,
            "DeviceAttributes": attributes,
            "DeviceCreateDate": self.created,
            "DeviceLastModifiedDate": self.modified,
        }
        if self.last_authenticated is not None:
            out["DeviceLastAuthenticatedDate"] = self.last_authenticated
        return out


@attrs.define(eq=False)
class User:
    """A user of a pool. Passwords are kept only as an SRP verifier and salted digests."""

    username: str
    sub: str
    attributes: dict[str, str]
    status: str
    created: float
    modified: float
    enabled: bool = True
    salt: int = attrs.field(default=0, repr=False)
    verifier: int | None = attrs.field(default=None, repr=False)
    password_history: list[bytes] = attrs.field(factory=list, repr=False)
    temporary_password_expires: float | None = None
    sms_mfa_enabled: bool = False
    sms_mfa_preferred: bool = False
    totp_enabled: bool = False
    totp_preferred: bool = False
    email_mfa_enabled: bool = False
    email_mfa_preferred: bool = False
    totp_secret: str | None = attrs.field(default=None, repr=False)
    pending_totp_secret: str | None = attrs.field(default=None, repr=False)
    totp_last_counter: int = -1
    mfa_options: list[dict[str, str]] = attrs.field(factory=list)
    devices: dict[str, Device] = attrs.field(factory=dict)
    device_group_key: str | None = None
    failed_password_attempts: int = 0
    last_failed_attempt: float = 0.0
    locked_until: float = 0.0
    codes: dict[str, CodeRecord] = attrs.field(factory=dict, repr=False)
    pending_attributes: dict[str, str] = attrs.field(factory=dict)
    event_ids: list[str] = attrs.field(factory=list, repr=False)
    #: Registered passkeys by base64url credential id (:class:`cognito_local.webauthn.Passkey`).
    passkeys: dict[str, Any] = attrs.field(factory=dict, repr=False)
    #: A StartWebAuthnRegistration challenge waiting to be completed.
    pending_webauthn: Any = attrs.field(default=None, repr=False)
    webauthn_mfa_enabled: bool = False

    @property
    def has_password(self) -> bool:
        """Whether the user has a password (passwordless users do not)."""
        return self.verifier is not None

    def attr(self, name: str) -> str | None:
        """An attribute value or ``None``."""
        return self.attributes.get(name)

    def verified(self, name: str) -> bool:
        """Whether ``email`` / ``phone_number`` is present and verified."""
        return bool(self.attributes.get(name)) and (
            self.attributes.get(f"{name}_verified") == "true"
        )

    def attribute_list(self, names: Iterable[str] | None = None) -> list[dict[str, str]]:
        """``AttributeListType``: ``[{"Name": ..., "Value": ...}]`` (sub first)."""
        wanted = None if names is None else set(names)
        out = [{"Name": "sub", "Value": self.sub}] if wanted is None or "sub" in wanted else []
        for name, value in self.attributes.items():
            if name != "sub" and (wanted is None or name in wanted):
                out.append({"Name": name, "Value": value})
        return out

    def password_digest(self, password: str) -> bytes:
        """A salted digest of ``password`` for the password history."""
        return hashlib.sha256(srp.pad(self.salt) + password.encode()).digest()

    def mfa_setting_list(self, pool: Pool) -> list[str]:
        """The MFA methods enabled for this user and usable in the pool."""
        out = []
        if (
            pool.sms_mfa_enabled
            and (self.sms_mfa_enabled or self.mfa_options)
            and self.attr("phone_number")
        ):
            out.append("SMS_MFA")
        if pool.totp_mfa_enabled and self.totp_enabled and self.totp_secret:
            out.append("SOFTWARE_TOKEN_MFA")
        if pool.email_mfa_enabled and self.email_mfa_enabled and self.attr("email"):
            out.append("EMAIL_OTP")
        return out

    def preferred_mfa(self, pool: Pool) -> str | None:
        """The preferred MFA method, when set and usable."""
        usable = self.mfa_setting_list(pool)
        for name, flag in (
            ("SOFTWARE_TOKEN_MFA", self.totp_preferred),
            ("SMS_MFA", self.sms_mfa_preferred),
            ("EMAIL_OTP", self.email_mfa_preferred),
        ):
            if flag and name in usable:
                return name
        return None

    def mfa_response(self, pool: Pool) -> dict[str, Any]:
        """The MFA members of GetUser / AdminGetUser."""
        out: dict[str, Any] = {}
        settings = self.mfa_setting_list(pool)
        if settings:
            out["UserMFASettingList"] = settings
        preferred = self.preferred_mfa(pool)
        if preferred:
            out["PreferredMfaSetting"] = preferred
        if self.mfa_options:
            out["MFAOptions"] = [dict(o) for o in self.mfa_options]
        return out


def _units(units: Mapping[str, Any], key: str, default: str) -> int:
    unit = units.get(key, default)
    if not isinstance(unit, str) or unit not in _TIME_UNITS:
        raise invalid_parameter(f"Invalid TokenValidityUnits {key}: {unit}")
    return _TIME_UNITS[unit]


def _struct(value: Any, name: str) -> dict[str, Any]:
    """A structure member of a client (``None`` is an empty one)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid_parameter(f"{name} must be a structure")
    return dict(value)


_CLIENT_MEMBERS = (
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)


@attrs.define(eq=False)
class Client:
    """An app client of a pool."""

    pool_id: str
    client_id: str
    name: str
    created: float
    modified: float
    secret: str | None = attrs.field(default=None, repr=False)
    settings: dict[str, Any] = attrs.field(factory=dict)

    @staticmethod
    def normalize(params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``CreateUserPoolClient``/``UpdateUserPoolClient`` members, fill defaults."""
        s = {k: v for k, v in params.items() if k in _CLIENT_MEMBERS and v is not None}
        flows = s.get("ExplicitAuthFlows")
        if flows is None:
            flows = list(DEFAULT_AUTH_FLOWS)
        if not isinstance(flows, list) or not all(isinstance(f, str) for f in flows):
            raise invalid_parameter("ExplicitAuthFlows must be a list of strings")
        for flow in flows:
            if flow not in ALL_EXPLICIT_AUTH_FLOWS and flow not in LEGACY_AUTH_FLOWS:
                raise invalid_parameter(
                    f"1 validation error detected: Value '[{', '.join(flows)}]' at "
                    "'explicitAuthFlows' failed to satisfy constraint: Member must satisfy "
                    "constraint: [Member must satisfy enum value set: "
                    f"[{', '.join(ALL_EXPLICIT_AUTH_FLOWS + list(LEGACY_AUTH_FLOWS))}]]"
                )
        legacy = [f for f in flows if f in LEGACY_AUTH_FLOWS]
        if legacy and len(legacy) != len(flows):
            raise invalid_parameter(
                "The ExplicitAuthFlows cannot contain both legacy and ALLOW_ prefixed values."
            )
        s["ExplicitAuthFlows"] = flows
        units = _struct(s.get("TokenValidityUnits"), "TokenValidityUnits")
        units.setdefault("AccessToken", "minutes")
        units.setdefault("IdToken", "minutes")
        units.setdefault("RefreshToken", "days")
        for key in ("AccessToken", "IdToken", "RefreshToken"):
            _units(units, key, "minutes")
        s["TokenValidityUnits"] = units
        s.setdefault("AccessTokenValidity", 60 if units["AccessToken"] == "minutes" else 1)
        s.setdefault("IdTokenValidity", 60 if units["IdToken"] == "minutes" else 1)
        s.setdefault("RefreshTokenValidity", 30 if units["RefreshToken"] == "days" else 30 * 24)
        for key, lo, hi in (
            ("AccessToken", 300, 86400),
            ("IdToken", 300, 86400),
            ("RefreshToken", 3600, 3650 * 86400),
        ):
            value = s[f"{key}Validity"]
            if not isinstance(value, int) or isinstance(value, bool):
                raise invalid_parameter(f"{key}Validity must be an integer")
            seconds = value * _units(units, key, "minutes")
            if not lo <= seconds <= hi:
                raise invalid_parameter(f"Invalid range for token validity: {key}Validity")
        session = s.setdefault("AuthSessionValidity", 3)
        if isinstance(session, bool) or not isinstance(session, int) or not 3 <= session <= 15:
            raise invalid_parameter("AuthSessionValidity must be between 3 and 15 minutes")
        prevent = s.setdefault("PreventUserExistenceErrors", "LEGACY")
        if not isinstance(prevent, str) or prevent not in ("ENABLED", "LEGACY"):
            raise invalid_parameter("PreventUserExistenceErrors must be ENABLED or LEGACY")
        s.setdefault("EnableTokenRevocation", True)
        s.setdefault("EnablePropagateAdditionalUserContextData", False)
        s.setdefault("AllowedOAuthFlowsUserPoolClient", False)
        for key in (
            "EnableTokenRevocation",
            "EnablePropagateAdditionalUserContextData",
            "AllowedOAuthFlowsUserPoolClient",
        ):
            if not isinstance(s[key], bool):
                raise invalid_parameter(f"{key} must be a boolean")
        rotation = _struct(s.get("RefreshTokenRotation"), "RefreshTokenRotation") or {
            "Feature": "DISABLED"
        }
        feature = rotation.get("Feature")
        if not isinstance(feature, str) or feature not in ("ENABLED", "DISABLED"):
            raise invalid_parameter("RefreshTokenRotation Feature must be ENABLED or DISABLED")
        grace = rotation.setdefault("RetryGracePeriodSeconds", 0)
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 60:
            raise invalid_parameter("RetryGracePeriodSeconds must be between 0 and 60")
        s["RefreshTokenRotation"] = rotation
        check_client_oauth(s)
        return s

    @property
    def explicit_auth_flows(self) -> list[str]:
        """The client's ExplicitAuthFlows."""
        flows: list[str] = self.settings["ExplicitAuthFlows"]
        return flows

    def allows(self, auth_flow: str) -> bool:
        """Whether the client enables ``auth_flow`` (an AuthFlow value)."""
        flows = set(self.explicit_auth_flows)
        legacy = bool(flows) and flows <= set(LEGACY_AUTH_FLOWS)
        if legacy:
            if "CUSTOM_AUTH_FLOW_ONLY" in flows:
                return auth_flow in ("CUSTOM_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
            return {
                "USER_SRP_AUTH": True,
                "CUSTOM_AUTH": True,
                "REFRESH_TOKEN_AUTH": True,
                "REFRESH_TOKEN": True,
                "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH" in flows,
                "ADMIN_NO_SRP_AUTH": "ADMIN_NO_SRP_AUTH" in flows,
                "ADMIN_USER_PASSWORD_AUTH": "ADMIN_NO_SRP_AUTH" in flows,
                "USER_AUTH": False,
            }.get(auth_flow, False)
        needed = {
            "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
            "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
            "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
            "USER_AUTH": "ALLOW_USER_AUTH",
            "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
            "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
            "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        }.get(auth_flow)
        return needed is not None and needed in flows

    def _seconds(self, key: str) -> int:
        units = self.settings["TokenValidityUnits"]
        value: int = self.settings[f"{key}Validity"]
        return value * _units(units, key, "minutes")

    @property
    def access_seconds(self) -> int:
        """Access token lifetime in seconds."""
        return self._seconds("AccessToken")

    @property
    def id_seconds(self) -> int:
        """ID token lifetime in seconds."""
        return self._seconds("IdToken")

    @property
    def refresh_seconds(self) -> int:
        """Refresh token lifetime in seconds."""
        return self._seconds("RefreshToken")

    @property
    def auth_session_seconds(self) -> int:
        """How long a challenge Session lives (AuthSessionValidity, in seconds)."""
        minutes: int = self.settings["AuthSessionValidity"]
        return minutes * 60

    @property
    def prevent_user_existence_errors(self) -> bool:
        """Whether PreventUserExistenceErrors is ENABLED."""
        return bool(self.settings["PreventUserExistenceErrors"] == "ENABLED")

    @property
    def token_revocation(self) -> bool:
        """EnableTokenRevocation."""
        return bool(self.settings["EnableTokenRevocation"])

    @property
    def rotation(self) -> bool:
        """Whether refresh token rotation is enabled."""
        return bool(self.settings["RefreshTokenRotation"]["Feature"] == "ENABLED")

    @property
    def rotation_grace(self) -> int:
        """RetryGracePeriodSeconds of refresh token rotation."""
        grace: int = self.settings["RefreshTokenRotation"].get("RetryGracePeriodSeconds", 0)
        return grace

    def describe(self) -> dict[str, Any]:
        """The ``UserPoolClientType`` shape."""
        out: dict[str, Any] = {
            "UserPoolId": self.pool_id,
            "ClientName": self.name,
            "ClientId": self.client_id,
            "LastModifiedDate": self.modified,
            "CreationDate": self.created,
        }
        if self.secret is not None:
            out["ClientSecret"] = self.secret
        out.update(self.settings)
        return out


class Pool:
    """A user pool: settings, users, app clients and custom-auth triggers."""

    def __init__(
        self, backend: Backend, pool_id: str, settings: Mapping[str, Any], *, api: bool = True
    ) -> None:
        self.backend = backend
        self.id = pool_id
        self.region = pool_id.split("_", 1)[0]
        self.created = backend.clock.now()
        self.modified = self.created
        self.settings: dict[str, Any] = normalize_pool_settings(settings, api=api)
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.triggers = TriggerSet()
        #: SetUserPoolMfaConfig's WebAuthnConfiguration (see :mod:`cognito_local.webauthn`).
        self.webauthn_configuration: dict[str, Any] = {}
        #: Wrong passwords before the temporary lockout starts.
        self.lockout_threshold = 5
        #: First lockout duration in seconds (doubles per further failure, capped at 900).
        self.lockout_base_seconds = 1.0

    def __repr__(self) -> str:
        return f"Pool(id={self.id!r}, users={len(self.users)}, clients={len(self.clients)})"

    # ---------------------------------------------------------------- settings
    @property
    def name(self) -> str:
        """PoolName."""
        return str(self.settings["PoolName"])

    @property
    def srp_pool_name(self) -> str:
        """The pool id part after ``_`` (used in SRP)."""
        return srp.pool_name_of(self.id)

    @property
    def arn(self) -> str:
        """A plausible ARN for the pool."""
        return f"arn:aws:cognito-idp:{self.region}:000000000000:userpool/{self.id}"

    @property
    def password_policy(self) -> dict[str, Any]:
        """Policies.PasswordPolicy."""
        policy: dict[str, Any] = self.settings["Policies"]["PasswordPolicy"]
        return policy

    @property
    def first_factors(self) -> list[str]:
        """Policies.SignInPolicy.AllowedFirstAuthFactors."""
        factors: list[str] = self.settings["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"]
        return factors

    @property
    def mfa_configuration(self) -> str:
        """OFF, ON or OPTIONAL."""
        return str(self.settings["MfaConfiguration"])

    @property
    def sms_mfa_enabled(self) -> bool:
        """Whether SMS MFA is configured."""
        return (
            self.mfa_configuration != "OFF" and self.settings.get("SmsMfaConfiguration") is not None
        )

    @property
    def totp_mfa_enabled(self) -> bool:
        """Whether software token (TOTP) MFA is enabled."""
        return self.mfa_configuration != "OFF" and bool(
            (self.settings.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")
        )

    @property
    def email_mfa_enabled(self) -> bool:
        """Whether e-mail MFA is configured."""
        return (
            self.mfa_configuration != "OFF"
            and self.settings.get("EmailMfaConfiguration") is not None
        )

    @property
    def username_attributes(self) -> list[str]:
        """UsernameAttributes (e-mail/phone as user name)."""
        return list(self.settings["UsernameAttributes"])

    @property
    def alias_attributes(self) -> list[str]:
        """AliasAttributes."""
        return list(self.settings["AliasAttributes"])

    @property
    def auto_verified(self) -> list[str]:
        """AutoVerifiedAttributes."""
        return list(self.settings["AutoVerifiedAttributes"])

    @property
    def device_configuration(self) -> dict[str, bool] | None:
        """DeviceConfiguration, or ``None`` when device tracking is off."""
        device: dict[str, bool] | None = self.settings.get("DeviceConfiguration")
        return device

    @property
    def case_sensitive(self) -> bool:
        """UsernameConfiguration.CaseSensitive."""
        return bool(self.settings["UsernameConfiguration"]["CaseSensitive"])

    @property
    def recovery_mechanisms(self) -> list[str]:
        """AccountRecoverySetting names by priority (legacy default: phone, then e-mail)."""
        setting = self.settings.get("AccountRecoverySetting")
        if not setting:
            return ["verified_phone_number", "verified_email"]
        mechanisms = sorted(setting["RecoveryMechanisms"], key=lambda m: m.get("Priority", 0))
        return [str(m["Name"]) for m in mechanisms]

    @property
    def custom_attributes(self) -> dict[str, dict[str, Any]]:
        """Custom (and explicitly declared standard) schema attributes by name."""
        return {a["Name"]: a for a in self.settings["Schema"]}

    @property
    def required_attributes(self) -> list[str]:
        """Standard attributes the schema marks Required."""
        return [a["Name"] for a in self.settings["Schema"] if a.get("Required")]

    def update_settings(self, params: Mapping[str, Any]) -> None:
        """UpdateUserPool semantics: unspecified members return to their defaults."""
        new = {k: v for k, v in params.items() if k != "UserPoolId"}
        for key in IMMUTABLE_POOL_MEMBERS:
            if key in self.settings:
                new[key] = self.settings[key]
        new.setdefault("PoolName", self.name)
        if "MfaConfiguration" not in params:
            new["MfaConfiguration"] = "OFF"
        # MFA methods are set by SetUserPoolMfaConfig, not UpdateUserPool: keep them.
        for key in (
            "SmsMfaConfiguration",
            "SoftwareTokenMfaConfiguration",
            "EmailMfaConfiguration",
        ):
            if key in self.settings and key not in new:
                new[key] = self.settings[key]
        if "SmsConfiguration" in params and "SmsMfaConfiguration" not in new:
            new["SmsMfaConfiguration"] = {"SmsConfiguration": params["SmsConfiguration"]}
        self.settings = normalize_pool_settings(new)
        self.modified = self.backend.clock.now()

    # ---------------------------------------------------------------- users
    def key(self, username: str) -> str:
        """The lookup key of a user name (case-folded in case-insensitive pools)."""
        return username if self.case_sensitive else username.lower()

    def find_user(self, identifier: str) -> User | None:
        """Find a user by user name, sub-as-username, or sign-in alias."""
        user = self.users.get(self.key(identifier))
        if user is not None:
            return user
        folded = identifier.lower()
        if "email" in self.username_attributes and is_email(identifier):
            for u in self.users.values():
                if (u.attr("email") or "").lower() == folded:
                    return u
        if "phone_number" in self.username_attributes and is_phone(identifier):
            for u in self.users.values():
                if u.attr("phone_number") == identifier:
                    return u
        if "email" in self.alias_attributes and is_email(identifier):
            for u in self.users.values():
                if u.verified("email") and (u.attr("email") or "").lower() == folded:
                    return u
        if "phone_number" in self.alias_attributes and is_phone(identifier):
            for u in self.users.values():
                if u.verified("phone_number") and u.attr("phone_number") == identifier:
                    return u
        if "preferred_username" in self.alias_attributes:
            for u in self.users.values():
                if (u.attr("preferred_username") or "").lower() == folded:
                    return u
        return None

    def user(self, username_or_alias: str) -> User:
        """The user with this name or alias.

        Raises:
            LookupError: no such user.
        """
        found = self.find_user(username_or_alias)
        if found is None:
            raise LookupError(f"no user {username_or_alias!r} in pool {self.id}")
        return found

    def user_by_sub(self, sub: str) -> User | None:
        """Find a user by ``sub``."""
        for user in self.users.values():
            if user.sub == sub:
                return user
        return None

    def check_password_policy(self, password: str, user: User | None = None) -> None:
        """Raise InvalidPasswordException (or the history violation) like Cognito.

        Raises:
            ServiceError: the password breaks the policy.
        """
        policy = self.password_policy

        def fail(reason: str) -> ServiceError:
            return ServiceError(
                "InvalidPasswordException", f"Password did not conform with policy: {reason}"
            )

        if len(password) < int(policy.get("MinimumLength", 8)):
            raise fail("Password not long enough")
        if policy.get("RequireLowercase") and not any(c.islower() for c in password):
            raise fail("Password must have lowercase characters")
        if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
            raise fail("Password must have uppercase characters")
        if policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
            raise fail("Password must have numeric characters")
        if policy.get("RequireSymbols") and not any(c in _SYMBOLS for c in password.strip()):
            raise fail("Password must have symbol characters")
        if password != password.strip():
            raise fail(r"Password must satisfy regular expression pattern: ^\S.*\S$")
        history = int(policy.get("PasswordHistorySize", 0) or 0)
        if user is not None and history and user.has_password:
            digest = user.password_digest(password)
            if any(secrets.compare_digest(digest, old) for old in user.password_history[-history:]):
                raise ServiceError(
                    "PasswordHistoryPolicyViolationException",
                    "The password was used recently and cannot be used again.",
                )

    def set_password(self, user: User, password: str) -> None:
        """Store a new SRP verifier for ``user`` (no policy check)."""
        user.salt = int.from_bytes(secrets.token_bytes(16), "big")
        user.verifier = srp.verifier_for(user.salt, self.srp_pool_name, user.username, password)
        user.password_history.append(user.password_digest(password))
        del user.password_history[:-25]
        user.failed_password_attempts = 0
        user.locked_until = 0.0
        user.modified = self.backend.clock.now()

    def password_matches(self, user: User, password: str) -> bool:
        """Whether ``password`` is the user's password."""
        if user.verifier is None:
            return False
        candidate = srp.verifier_for(user.salt, self.srp_pool_name, user.username, password)
        return secrets.compare_digest(srp.pad(candidate), srp.pad(user.verifier))

    def validate_attributes(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        allow_verified_flags: bool = True,
        allow_immutable: bool = True,
    ) -> dict[str, str]:
        """Check attribute names and formats against the schema.

        Raises:
            ServiceError: InvalidParameterException in Cognito's wording.
        """
        out: dict[str, str] = {}
        custom = self.custom_attributes
        for name, value in pairs:
            if name == "sub":
                raise invalid_parameter("Cannot modify the non-mutable attribute sub")
            if name.startswith("custom:") or name.startswith("dev:custom:"):
                base = name.removeprefix("dev:")
                if base not in custom:
                    raise invalid_parameter(
                        "Attributes did not conform to the schema: Type for attribute "
                        f"{{{name}}} could not be determined"
                    )
                if not allow_immutable and not custom[base].get("Mutable", True):
                    raise invalid_parameter(f"Cannot modify the non-mutable attribute {name}")
            elif name not in STANDARD_ATTRIBUTES:
                raise invalid_parameter(
                    "Attributes did not conform to the schema: Type for attribute "
                    f"{{{name}}} could not be determined"
                )
            if name in ("email_verified", "phone_number_verified"):
                if not allow_verified_flags:
                    raise invalid_parameter(f"Cannot modify {name}")
                if value not in ("true", "false"):
                    raise invalid_parameter(f"Invalid value for {name}: must be true or false")
            if name == "email" and value and not is_email(value):
                raise invalid_parameter("Invalid email address format.")
            if name == "phone_number" and value and not is_phone(value):
                raise invalid_parameter("Invalid phone number format.")
            if len(value) > 2048:
                raise invalid_parameter(f"Attribute {name} is too long")
            out[name] = value
        return out

    def check_username(self, username: str) -> None:
        """Validate a new user name against UsernameAttributes / AliasAttributes."""
        kinds = self.username_attributes
        if kinds:
            if kinds == ["email"] and not is_email(username):
                raise invalid_parameter("Username should be an email.")
            if kinds == ["phone_number"] and not is_phone(username):
                raise invalid_parameter("Username should be a phone number.")
            if not (is_email(username) or is_phone(username)):
                raise invalid_parameter("Username should be either an email or a phone number.")
            return
        if "email" in self.alias_attributes and is_email(username):
            raise invalid_parameter(
                "Username cannot be of email format, since user pool is configured for email alias."
            )
        if "phone_number" in self.alias_attributes and is_phone(username):
            raise invalid_parameter(
                "Username cannot be of phone number format, since user pool is configured "
                "for phone_number alias."
            )

    def alias_conflict(self, user: User | None, name: str, value: str) -> User | None:
        """Another user already holding ``value`` as a unique sign-in attribute."""
        if not value:
            return None
        unique_unverified = name in self.username_attributes
        is_alias = name in self.alias_attributes
        if not (unique_unverified or is_alias):
            return None
        folded = value.lower()
        for other in self.users.values():
            if other is user:
                continue
            other_value = other.attr(name)
            if other_value is None or other_value.lower() != folded:
                continue
            if unique_unverified or name == "preferred_username" or other.verified(name):
                return other
        return None

    def new_user(self, username: str, attributes: Mapping[str, str], status: str) -> User:
        """Create and register a user (no policy checks; callers check first).

        In e-mail/phone-as-username pools ``username`` is the e-mail/phone and the user
        gets a UUID user name (equal to ``sub``).
        """
        if status not in USER_STATUSES:
            raise ValueError(f"status must be one of {USER_STATUSES}")
        now = self.backend.clock.now()
        sub = str(uuid.uuid4())
        attrs_: dict[str, str] = dict(attributes)
        real_username = username
        if self.username_attributes:
            real_username = sub
            if is_email(username):
                attrs_.setdefault("email", username)
            elif is_phone(username):
                attrs_.setdefault("phone_number", username)
        attrs_.pop("sub", None)
        user = User(
            username=real_username,
            sub=sub,
            attributes=attrs_,
            status=status,
            created=now,
            modified=now,
        )
        self.users[self.key(real_username)] = user
        return user

    def remove_user(self, user: User) -> None:
        """Delete ``user`` and revoke all their tokens."""
        self.users.pop(self.key(user.username), None)
        self.backend.revoke_user_tokens(self, user)

    # ---------------------------------------------------------------- test shortcuts
    def create_user(
        self,
        username: str,
        password: str | None,
        *,
        attributes: Mapping[str, str] | None = None,
        status: str = "CONFIRMED",
        mfa: str | Sequence[str] | None = None,
        preferred_mfa: str | None = None,
        totp_secret: str | None = None,
        enabled: bool = True,
        check_policy: bool = False,
    ) -> User:
        """Create a user directly (test shortcut, no messages sent).

        Args:
            username: the user name; in e-mail/phone-as-username pools the e-mail/phone
                (the user then gets a UUID user name).
            password: the password (``None`` for a passwordless user).
            attributes: attributes; ``email_verified``/``phone_number_verified`` default to
                ``"true"`` when the e-mail/phone is given.
            status: ``CONFIRMED``, ``FORCE_CHANGE_PASSWORD``, ``UNCONFIRMED`` or
                ``RESET_REQUIRED``.
            mfa: enabled MFA methods (``"SMS_MFA"``, ``"SOFTWARE_TOKEN_MFA"``,
                ``"EMAIL_OTP"``), one or several.
            preferred_mfa: the preferred one (default: the first of ``mfa`` when only one).
            totp_secret: the TOTP secret (generated when TOTP MFA is enabled without one).
            enabled: whether the user is enabled.
            check_policy: apply the password policy.

        Raises:
            ValueError: the user exists or the arguments are invalid.
        """
        if self.find_user(username) is not None:
            raise ValueError(f"user {username!r} already exists")
        attrs_ = dict(attributes or {})
        if self.username_attributes:
            if is_email(username):
                attrs_.setdefault("email", username)
            elif is_phone(username):
                attrs_.setdefault("phone_number", username)
        for name in ("email", "phone_number"):
            if attrs_.get(name):
                attrs_.setdefault(f"{name}_verified", "true")
        validated = self.validate_attributes(list(attrs_.items()))
        if password is not None and check_policy:
            self.check_password_policy(password)
        user = self.new_user(username, validated, status)
        user.enabled = enabled
        if password is not None:
            self.set_password(user, password)
        if status == "FORCE_CHANGE_PASSWORD":
            days = int(self.password_policy.get("TemporaryPasswordValidityDays", 7))
            user.temporary_password_expires = user.created + days * 86400
        methods = [mfa] if isinstance(mfa, str) else list(mfa or [])
        for method in methods:
            if method == "SMS_MFA":
                user.sms_mfa_enabled = True
            elif method == "SOFTWARE_TOKEN_MFA":
                user.totp_enabled = True
            elif method == "EMAIL_OTP":
                user.email_mfa_enabled = True
            else:
                raise ValueError(f"unknown MFA method {method!r}")
        if totp_secret is not None or user.totp_enabled:
            user.totp_secret = totp_secret or pyotp.random_base32(32)
        preferred = preferred_mfa or (methods[0] if len(methods) == 1 else None)
        if preferred is not None:
            if preferred not in methods:
                raise ValueError("preferred_mfa must be one of mfa")
            user.sms_mfa_preferred = preferred == "SMS_MFA"
            user.totp_preferred = preferred == "SOFTWARE_TOKEN_MFA"
            user.email_mfa_preferred = preferred == "EMAIL_OTP"
        return user

    def set_triggers(
        self,
        triggers: TriggerSet | None = None,
        *,
        define_auth_challenge: Any = None,
        create_auth_challenge: Any = None,
        verify_auth_challenge_response: Any = None,
    ) -> TriggerSet:
        """Install custom-auth triggers (Python callables taking Lambda-shaped events).

        Pass a :class:`TriggerSet` (for example ``TriggerSet.email_code()``) and/or the
        individual callables, which override the set's. Each callable receives the event
        dict and returns it (or ``None`` after changing it in place); it may be async.
        """
        base = triggers or TriggerSet()
        self.triggers = TriggerSet(
            define_auth_challenge=define_auth_challenge or base.define_auth_challenge,
            create_auth_challenge=create_auth_challenge or base.create_auth_challenge,
            verify_auth_challenge_response=(
                verify_auth_challenge_response or base.verify_auth_challenge_response
            ),
        )
        return self.triggers
