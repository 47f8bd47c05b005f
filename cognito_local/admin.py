"""IAM-authorised (admin) operations: pools, app clients and users."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any

from .account import (
    alias_holder,
    delete_attributes,
    send_forgot_code,
    take_alias,
    update_attributes,
)
from .config import STANDARD_ATTRIBUTES
from .errors import ServiceError, invalid_parameter, not_authorized
from .mfa import apply_mfa_options, apply_mfa_preferences
from .model import Pool, User
from .oauth import check_client_against_pool
from .params import Params, RequestContext, operation

__all__ = ["describe_pool", "user_type"]


def describe_pool(pool: Pool) -> dict[str, Any]:
    """The ``UserPoolType`` shape."""
    s = pool.settings
    schema: list[dict[str, Any]] = []
    declared = {a["Name"]: a for a in s["Schema"]}
    for name, (kind, mutable) in STANDARD_ATTRIBUTES.items():
        item: dict[str, Any] = {
            "Name": name,
            "AttributeDataType": kind,
            "DeveloperOnlyAttribute": False,
            "Mutable": mutable,
            "Required": bool(declared.get(name, {}).get("Required")),
        }
        if kind == "String":
            item["StringAttributeConstraints"] = {"MinLength": "0", "MaxLength": "2048"}
        schema.append(item)
    schema += [dict(a) for a in s["Schema"] if a["Name"] not in STANDARD_ATTRIBUTES]
    out: dict[str, Any] = {
        "Id": pool.id,
        "Name": pool.name,
        "Policies": s["Policies"],
        "DeletionProtection": s["DeletionProtection"],
        "LambdaConfig": s["LambdaConfig"],
        "LastModifiedDate": pool.modified,
        "CreationDate": pool.created,
        "SchemaAttributes": schema,
        "AutoVerifiedAttributes": s["AutoVerifiedAttributes"],
        "MfaConfiguration": s["MfaConfiguration"],
        "EstimatedNumberOfUsers": len(pool.users),
        "AdminCreateUserConfig": s["AdminCreateUserConfig"],
        "UsernameConfiguration": s["UsernameConfiguration"],
        "Arn": pool.arn,
        "UserPoolTier": s["UserPoolTier"],
        "UserAttributeUpdateSettings": s["UserAttributeUpdateSettings"],
    }
    if s["AliasAttributes"]:
        out["AliasAttributes"] = s["AliasAttributes"]
    if s["UsernameAttributes"]:
        out["UsernameAttributes"] = s["UsernameAttributes"]
    for key in (
        "SmsVerificationMessage",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
        "VerificationMessageTemplate",
        "SmsAuthenticationMessage",
        "DeviceConfiguration",
        "EmailConfiguration",
        "SmsConfiguration",
        "UserPoolTags",
        "UserPoolAddOns",
        "AccountRecoverySetting",
    ):
        if s.get(key) is not None:
            out[key] = s[key]
    domain = pool.backend.oauth.domain_of(pool.id)
    if domain is not None:
        out["Domain"] = domain
    return out


def user_type(user: User, names: list[str] | None = None) -> dict[str, Any]:
    """The ``UserType`` shape."""
    out: dict[str, Any] = {
        "Username": user.username,
        "Attributes": user.attribute_list(names),
        "UserCreateDate": user.created,
        "UserLastModifiedDate": user.modified,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }
    if user.mfa_options:
        out["MFAOptions"] = [dict(o) for o in user.mfa_options]
    return out


def _pool(rc: RequestContext, p: Params) -> Pool:
    return rc.backend.pool(p.req_str("UserPoolId", max_len=55))


def _user(pool: Pool, p: Params) -> User:
    user = pool.find_user(p.req_str("Username", max_len=128))
    if user is None:
        raise ServiceError("UserNotFoundException", "User does not exist.")
    return user


def _page(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, binascii.Error):
        raise invalid_parameter("Invalid pagination token") from None


def _next(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


# ---------------------------------------------------------------------------- pools
@operation("CreateUserPool", signed=True)
async def create_user_pool(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CreateUserPool."""
    pool = rc.backend.create_pool(dict(p.data))
    return {"UserPool": describe_pool(pool)}


@operation("DescribeUserPool", signed=True)
async def describe_user_pool(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DescribeUserPool."""
    return {"UserPool": describe_pool(_pool(rc, p))}


@operation("UpdateUserPool", signed=True)
async def update_user_pool(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateUserPool (unspecified members return to their defaults, as in AWS)."""
    pool = _pool(rc, p)
    pool.update_settings(dict(p.data))
    return {}


@operation("DeleteUserPool", signed=True)
async def delete_user_pool(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteUserPool."""
    pool = _pool(rc, p)
    if pool.settings.get("DeletionProtection") == "ACTIVE":
        raise invalid_parameter(
            "The user pool cannot be deleted because deletion protection is activated."
        )
    rc.backend.delete_pool(pool)
    return {}


@operation("ListUserPools", signed=True)
async def list_user_pools(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListUserPools."""
    limit = p.opt_int("MaxResults", minimum=1, maximum=60)
    if limit is None:
        p.req_str("MaxResults")
        limit = 60
    start = _page(p.opt_str("NextToken"))
    pools = list(rc.backend.pools.values())
    out: dict[str, Any] = {
        "UserPools": [
            {
                "Id": pool.id,
                "Name": pool.name,
                "LambdaConfig": pool.settings["LambdaConfig"],
                "LastModifiedDate": pool.modified,
                "CreationDate": pool.created,
            }
            for pool in pools[start : start + limit]
        ]
    }
    if start + limit < len(pools):
        out["NextToken"] = _next(start + limit)
    return out


@operation("SetUserPoolMfaConfig", signed=True)
async def set_user_pool_mfa_config(rc: RequestContext, p: Params) -> dict[str, Any]:
    """SetUserPoolMfaConfig (the given methods replace the previous configuration)."""
    pool = _pool(rc, p)
    mfa = p.enum("MfaConfiguration", ("OFF", "ON", "OPTIONAL")) or pool.mfa_configuration
    settings = dict(pool.settings)
    settings["MfaConfiguration"] = mfa
    for key in ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration"):
        value = p.opt_dict(key)
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
    if settings.get("SoftwareTokenMfaConfiguration") is None:
        settings["SoftwareTokenMfaConfiguration"] = {"Enabled": False}
    webauthn = p.opt_dict("WebAuthnConfiguration")
    if webauthn is not None:
        pool.webauthn_configuration = _webauthn_configuration(webauthn)
    from .config import normalize_pool_settings

    pool.settings = normalize_pool_settings(settings)
    return _mfa_config(pool)


def _webauthn_configuration(value: dict[str, Any]) -> dict[str, Any]:
    # WebAuthnConfigurationType (API reference): RelyingPartyId, UserVerification
    # (required | preferred), FactorConfiguration (SINGLE_FACTOR |
    # MULTI_FACTOR_WITH_USER_VERIFICATION).
    out: dict[str, Any] = {}
    rp_id = value.get("RelyingPartyId")
    if rp_id is not None:
        if not isinstance(rp_id, str) or not 1 <= len(rp_id) <= 127:
            raise invalid_parameter("WebAuthnConfiguration.RelyingPartyId must be a domain name.")
        out["RelyingPartyId"] = rp_id
    for key, allowed in (
        ("UserVerification", ("required", "preferred")),
        ("FactorConfiguration", ("SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION")),
    ):
        if key in value:
            if value[key] not in allowed:
                raise invalid_parameter(
                    f"WebAuthnConfiguration.{key} must be one of {', '.join(allowed)}."
                )
            out[key] = value[key]
    return out


def _mfa_config(pool: Pool) -> dict[str, Any]:
    s = pool.settings
    out: dict[str, Any] = {
        "MfaConfiguration": s["MfaConfiguration"],
        "SoftwareTokenMfaConfiguration": {
            "Enabled": bool((s.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"))
        },
    }
    if s.get("SmsMfaConfiguration") is not None:
        out["SmsMfaConfiguration"] = s["SmsMfaConfiguration"]
    if s.get("EmailMfaConfiguration") is not None:
        out["EmailMfaConfiguration"] = s["EmailMfaConfiguration"]
    if pool.webauthn_configuration:
        from .webauthn import config

        out["WebAuthnConfiguration"] = {k: v for k, v in config(pool).items() if v is not None}
    return out


@operation("GetUserPoolMfaConfig", signed=True)
async def get_user_pool_mfa_config(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetUserPoolMfaConfig."""
    return _mfa_config(_pool(rc, p))


# ---------------------------------------------------------------------------- clients
@operation("CreateUserPoolClient", signed=True)
async def create_user_pool_client(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CreateUserPoolClient (ExplicitAuthFlows defaults as in AWS)."""
    pool = _pool(rc, p)
    name = p.req_str("ClientName", max_len=128)
    generate = bool(p.opt_bool("GenerateSecret"))
    secret = p.opt_str("ClientSecret", min_len=24, max_len=64)
    client = rc.backend.create_client(
        pool, name, p.data, generate_secret=generate, client_secret=secret
    )
    return {"UserPoolClient": client.describe()}


@operation("DescribeUserPoolClient", signed=True)
async def describe_user_pool_client(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DescribeUserPoolClient."""
    _, client = rc.backend.client(p.req_str("ClientId"), p.req_str("UserPoolId"))
    return {"UserPoolClient": client.describe()}


@operation("UpdateUserPoolClient", signed=True)
async def update_user_pool_client(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateUserPoolClient (unspecified members return to their defaults, as in AWS)."""
    from .model import Client

    pool, client = rc.backend.client(p.req_str("ClientId"), p.req_str("UserPoolId"))
    settings = Client.normalize(p.data)
    check_client_against_pool(rc.backend, pool, settings, client.secret is not None)
    client.settings = settings
    name = p.opt_str("ClientName")
    if name is not None:
        client.name = name
    client.modified = rc.backend.clock.now()
    return {"UserPoolClient": client.describe()}


@operation("DeleteUserPoolClient", signed=True)
async def delete_user_pool_client(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteUserPoolClient."""
    pool, client = rc.backend.client(p.req_str("ClientId"), p.req_str("UserPoolId"))
    pool.clients.pop(client.client_id, None)
    rc.backend.clients.pop(client.client_id, None)
    return {}


@operation("ListUserPoolClients", signed=True)
async def list_user_pool_clients(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListUserPoolClients."""
    pool = _pool(rc, p)
    limit = p.opt_int("MaxResults", minimum=1, maximum=60) or 60
    start = _page(p.opt_str("NextToken"))
    clients = list(pool.clients.values())
    out: dict[str, Any] = {
        "UserPoolClients": [
            {"ClientId": c.client_id, "UserPoolId": pool.id, "ClientName": c.name}
            for c in clients[start : start + limit]
        ]
    }
    if start + limit < len(clients):
        out["NextToken"] = _next(start + limit)
    return out


# ---------------------------------------------------------------------------- users
def temporary_password(pool: Pool) -> str:
    """A random temporary password satisfying the pool's policy."""
    length = max(int(pool.password_policy.get("MinimumLength", 8)), 12)
    body = secrets.token_urlsafe(length)[: length - 4]
    return f"{body}Aa1!"


@operation("AdminCreateUser", signed=True)
async def admin_create_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminCreateUser: FORCE_CHANGE_PASSWORD with a temporary password (sent unless
    MessageAction=SUPPRESS; the outbox purpose is ``ADMIN_CREATE_USER``)."""
    b = rc.backend
    pool = _pool(rc, p)
    username = p.req_str("Username", max_len=128)
    attributes = pool.validate_attributes(p.attributes("UserAttributes") or [])
    p.attributes("ValidationData")
    temp = p.opt_str("TemporaryPassword", min_len=0, max_len=256)
    action = p.enum("MessageAction", ("RESEND", "SUPPRESS"))
    mediums = p.str_list("DesiredDeliveryMediums") or ["SMS"]
    force = bool(p.opt_bool("ForceAliasCreation"))
    for medium in mediums:
        if medium not in ("SMS", "EMAIL"):
            raise invalid_parameter("DesiredDeliveryMediums must be SMS or EMAIL")
    if action == "RESEND":
        user = pool.find_user(username)
        if user is None:
            raise ServiceError("UserNotFoundException", "User does not exist.")
        if user.status != "FORCE_CHANGE_PASSWORD":
            raise ServiceError(
                "UnsupportedUserStateException",
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD",
            )
    else:
        pool.check_username(username)
        if pool.find_user(username) is not None:
            raise ServiceError("UsernameExistsException", "User account already exists")
        for name in ("email", "phone_number"):
            value = attributes.get(name) or (
                username
                if name in pool.username_attributes and (("@" in username) == (name == "email"))
                else None
            )
            if (
                value
                and name in pool.username_attributes
                and pool.alias_conflict(None, name, value)
            ):
                raise ServiceError(
                    "UsernameExistsException", f"An account with the given {name} already exists."
                )
        user = None
    if temp:
        pool.check_password_policy(temp)
    password = temp or temporary_password(pool)
    if user is None:
        # Every check before the user exists: a failed AdminCreateUser leaves nothing behind.
        holders: list[tuple[str, User | None]] = []
        for name in ("email", "phone_number"):
            value = attributes.get(name)
            if value and attributes.get(f"{name}_verified") == "true":
                holders.append((name, alias_holder(pool, None, name, value, force)))
        user = pool.new_user(username, attributes, "FORCE_CHANGE_PASSWORD")
        for name, holder in holders:
            take_alias(holder, name)
    pool.set_password(user, password)
    days = int(pool.password_policy.get("TemporaryPasswordValidityDays", 7))
    user.temporary_password_expires = b.clock.now() + days * 86400
    if action != "SUPPRESS":
        for medium in mediums:
            attribute = "email" if medium == "EMAIL" else "phone_number"
            destination = user.attr(attribute)
            if destination:
                b.send(pool, user, medium, destination, "ADMIN_CREATE_USER", password)
    return {"User": user_type(user)}


@operation("AdminGetUser", signed=True)
async def admin_get_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminGetUser."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    out = {
        "Username": user.username,
        "UserAttributes": user.attribute_list(),
        "UserCreateDate": user.created,
        "UserLastModifiedDate": user.modified,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }
    out.update(user.mfa_response(pool))
    return out


@operation("AdminDeleteUser", signed=True)
async def admin_delete_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminDeleteUser."""
    pool = _pool(rc, p)
    pool.remove_user(_user(pool, p))
    return {}


@operation("AdminSetUserPassword", signed=True)
async def admin_set_user_password(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminSetUserPassword (Permanent: CONFIRMED; else FORCE_CHANGE_PASSWORD)."""
    b = rc.backend
    pool = _pool(rc, p)
    user = _user(pool, p)
    password = p.req_str("Password", max_len=256)
    permanent = bool(p.opt_bool("Permanent"))
    pool.check_password_policy(password, user)
    pool.set_password(user, password)
    if permanent:
        user.status = "CONFIRMED"
        user.temporary_password_expires = None
    else:
        user.status = "FORCE_CHANGE_PASSWORD"
        days = int(pool.password_policy.get("TemporaryPasswordValidityDays", 7))
        user.temporary_password_expires = b.clock.now() + days * 86400
    return {}


@operation("AdminConfirmSignUp", signed=True)
async def admin_confirm_sign_up(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminConfirmSignUp."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    if user.status != "UNCONFIRMED":
        raise not_authorized(f"User cannot be confirmed. Current status is {user.status}")
    user.status = "CONFIRMED"
    user.modified = rc.backend.clock.now()
    return {}


@operation("AdminResetUserPassword", signed=True)
async def admin_reset_user_password(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminResetUserPassword: RESET_REQUIRED and a FORGOT_PASSWORD code."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    send_forgot_code(rc.backend, pool, user)
    user.status = "RESET_REQUIRED"
    user.modified = rc.backend.clock.now()
    return {}


@operation("AdminSetUserMFAPreference", signed=True)
async def admin_set_user_mfa_preference(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminSetUserMFAPreference."""
    pool = _pool(rc, p)
    apply_mfa_preferences(pool, _user(pool, p), p)
    return {}


@operation("AdminSetUserSettings", signed=True)
async def admin_set_user_settings(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminSetUserSettings (legacy MFAOptions)."""
    pool = _pool(rc, p)
    apply_mfa_options(_user(pool, p), p)
    return {}


@operation("AdminDisableUser", signed=True)
async def admin_disable_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminDisableUser (revokes the user's tokens)."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    user.enabled = False
    rc.backend.revoke_user_tokens(pool, user)
    return {}


@operation("AdminEnableUser", signed=True)
async def admin_enable_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminEnableUser."""
    pool = _pool(rc, p)
    _user(pool, p).enabled = True
    return {}


@operation("AdminUpdateUserAttributes", signed=True)
async def admin_update_user_attributes(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminUpdateUserAttributes (may set *_verified directly)."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    pairs = p.attributes("UserAttributes")
    if pairs is None:
        p.req_str("UserAttributes")
    update_attributes(rc.backend, pool, user, pairs or [], admin=True)
    return {}


@operation("AdminDeleteUserAttributes", signed=True)
async def admin_delete_user_attributes(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminDeleteUserAttributes."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    names = p.str_list("UserAttributeNames")
    if names is None:
        p.req_str("UserAttributeNames")
    delete_attributes(pool, user, names or [])
    return {}


@operation("AdminUserGlobalSignOut", signed=True)
async def admin_user_global_sign_out(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminUserGlobalSignOut."""
    pool = _pool(rc, p)
    rc.backend.revoke_user_tokens(pool, _user(pool, p))
    return {}


_FILTER = re.compile(r'^\s*([\w:]+)\s*(=|\^=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_FILTERABLE = (
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
)


def _filter(expression: str) -> tuple[str, str, str]:
    match = _FILTER.match(expression)
    if match is None:
        raise invalid_parameter("Error while parsing filter.")
    name, op, value = match.groups()
    if name not in _FILTERABLE:
        raise invalid_parameter(f"Invalid search attribute: {name}")
    return name, op, value.replace('\\"', '"')


def _user_value(user: User, name: str) -> str:
    if name == "username":
        return user.username
    if name == "sub":
        return user.sub
    if name == "cognito:user_status":
        return user.status
    if name == "status":
        return "Enabled" if user.enabled else "Disabled"
    return user.attr(name) or ""


@operation("ListUsers", signed=True)
async def list_users(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListUsers: Filter (``name = "v"`` / ``name ^= "prefix"``), Limit, PaginationToken."""
    pool = _pool(rc, p)
    names = p.str_list("AttributesToGet")
    limit = p.opt_int("Limit", minimum=0, maximum=60) or 60
    start = _page(p.opt_str("PaginationToken"))
    expression = p.opt_str("Filter", min_len=0, max_len=256)
    users = sorted(pool.users.values(), key=lambda u: u.created)
    if expression:
        name, op, value = _filter(expression)
        if op == "=":
            users = [u for u in users if _user_value(u, name) == value]
        else:
            users = [u for u in users if _user_value(u, name).startswith(value)]
    out: dict[str, Any] = {"Users": [user_type(u, names) for u in users[start : start + limit]]}
    if start + limit < len(users):
        out["PaginationToken"] = _next(start + limit)
    return out
