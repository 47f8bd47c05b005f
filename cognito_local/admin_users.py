"""Admin user operations apps script in tests besides those in admin.py:
AdminGetUserAuthFactors, AdminDeleteSoftwareToken, AdminListUserAuthEvents and
AdminUpdateAuthEventFeedback (the last two need threat protection, a Plus feature)."""

from __future__ import annotations

from typing import Any

from .errors import ServiceError
from .model import Pool, User
from .params import Params, RequestContext, operation

__all__ = ["auth_factors", "require_threat_protection"]


def auth_factors(pool: Pool, user: User) -> dict[str, Any]:
    """The GetUserAuthFactors / AdminGetUserAuthFactors answer for ``user``."""
    factors = []
    if user.has_password:
        factors.append("PASSWORD")
    if "EMAIL_OTP" in pool.first_factors and user.attr("email"):
        factors.append("EMAIL_OTP")
    if "SMS_OTP" in pool.first_factors and user.attr("phone_number"):
        factors.append("SMS_OTP")
    if "WEB_AUTHN" in pool.first_factors and user.passkeys:
        factors.append("WEB_AUTHN")
    return {
        "Username": user.username,
        "ConfiguredUserAuthFactors": factors,
        **{k: v for k, v in user.mfa_response(pool).items() if k != "MFAOptions"},
    }


def _pool_user(rc: RequestContext, p: Params) -> tuple[Pool, User]:
    pool = rc.backend.pool(p.req_str("UserPoolId", max_len=55))
    user = pool.find_user(p.req_str("Username", max_len=128))
    if user is None:
        raise ServiceError("UserNotFoundException", "User does not exist.")
    return pool, user


def require_threat_protection(pool: Pool) -> None:
    """Refuse an operation that needs the pool's threat protection when it is off.

    Raises:
        ServiceError: UserPoolAddOnNotEnabledException unless UserPoolAddOns'
            AdvancedSecurityMode is AUDIT or ENFORCED.
    """
    mode = (pool.settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF")
    if mode not in ("AUDIT", "ENFORCED"):
        raise ServiceError(
            "UserPoolAddOnNotEnabledException",
            "Advanced security features are not enabled for this user pool.",
        )


@operation("AdminGetUserAuthFactors", signed=True)
async def admin_get_user_auth_factors(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminGetUserAuthFactors: the user's sign-in factors and MFA settings."""
    pool, user = _pool_user(rc, p)
    return auth_factors(pool, user)


@operation("AdminDeleteSoftwareToken", signed=True)
async def admin_delete_software_token(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminDeleteSoftwareToken: "After this operation, the user can no longer sign in with
    TOTP MFA, and can register a new TOTP factor with AssociateSoftwareToken"."""
    _pool, user = _pool_user(rc, p)
    if user.status == "UNCONFIRMED":
        raise ServiceError("UserNotConfirmedException", "User is not confirmed.")
    user.totp_secret = None
    user.pending_totp_secret = None
    user.totp_enabled = False
    user.totp_preferred = False
    user.totp_last_counter = -1
    user.modified = rc.backend.clock.now()
    return {}


@operation("AdminListUserAuthEvents", signed=True)
async def admin_list_user_auth_events(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminListUserAuthEvents: the user's sign-ins (newest first), with threat protection.

    The emulator detects no risk: each event is a passed ``SignIn``.
    """
    pool, user = _pool_user(rc, p)
    require_threat_protection(pool)
    limit = p.opt_int("MaxResults", minimum=0, maximum=60) or 60
    token = p.opt_str("NextToken")
    events = list(reversed(user.event_ids))
    start = 0
    if token:
        if token not in events:
            raise ServiceError("InvalidParameterException", "Invalid pagination token")
        start = events.index(token)
    page = events[start : start + limit]
    out: dict[str, Any] = {
        "AuthEvents": [
            {"EventId": event_id, "EventType": "SignIn", "EventResponse": "Pass"}
            for event_id in page
        ]
    }
    if start + limit < len(events):
        out["NextToken"] = events[start + limit]
    return out


@operation("AdminUpdateAuthEventFeedback", signed=True)
async def admin_update_auth_event_feedback(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminUpdateAuthEventFeedback: needs threat protection and a known event."""
    pool, user = _pool_user(rc, p)
    event_id = p.req_str("EventId")
    p.enum("FeedbackValue", ("Valid", "Invalid"), required=True)
    require_threat_protection(pool)
    if event_id not in user.event_ids:
        raise ServiceError("ResourceNotFoundException", "Auth event not found.")
    return {}
