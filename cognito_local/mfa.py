"""TOTP checking (with the emulator clock and per-user replay protection) and the MFA
operations: AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference,
SetUserSettings."""

from __future__ import annotations

import hmac
from typing import Any, Literal

import pyotp

from .errors import ServiceError, invalid_parameter
from .model import Pool, User
from .params import Params, RequestContext, operation
from .sessions import AuthSession
from .state import Backend

__all__ = ["apply_mfa_options", "apply_mfa_preferences", "check_totp", "new_totp_secret"]


def new_totp_secret() -> str:
    """A fresh random base32 TOTP secret (32 characters, like Cognito's)."""
    return pyotp.random_base32(32)


def check_totp(
    user: User, secret: str, code: str, now: float
) -> Literal["ok", "mismatch", "reused"]:
    """Check a 6-digit TOTP code with one step of tolerance either side.

    A code whose time step is not later than the last one accepted for the user is
    ``"reused"`` (a code cannot be used twice in its 30 s window). On ``"ok"`` the step is
    remembered.
    """
    totp = pyotp.TOTP(secret)
    counter = int(now // totp.interval)
    for offset in (0, -1, 1):
        step = counter + offset
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            if step <= user.totp_last_counter:
                return "reused"
            user.totp_last_counter = step
            return "ok"
    return "mismatch"


# ------------------------------------------------------------------------------ operations
MAX_SETUP_ATTEMPTS = 3


def _setup_session(b: Backend, token: str) -> AuthSession:
    session = b.lookup_session(token, None)
    if session.challenge != "MFA_SETUP" or "SOFTWARE_TOKEN_MFA" not in session.available:
        raise ServiceError("NotAuthorizedException", "Invalid session for the user.")
    return session


@operation("AssociateSoftwareToken")
async def associate_software_token(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AssociateSoftwareToken with an AccessToken, or with an MFA_SETUP Session."""
    b = rc.backend
    token = p.opt_str("AccessToken")
    session_token = p.opt_str("Session", min_len=20)
    if bool(token) == bool(session_token):
        raise invalid_parameter("Provide exactly one of AccessToken and Session.")
    secret = new_totp_secret()
    if token:
        _pool, user, _claims = b.verify_access_token(token)
        user.pending_totp_secret = secret
        return {"SecretCode": secret}
    assert session_token is not None
    session = _setup_session(b, session_token)
    session.state = "used"
    ctx = session.context
    ctx.pending_totp_secret = secret
    ctx.totp_verified = False
    new = b.new_session(ctx, "MFA_SETUP", available=session.available)
    return {"SecretCode": secret, "Session": new.token}


@operation("VerifySoftwareToken")
async def verify_software_token(rc: RequestContext, p: Params) -> dict[str, Any]:
    """VerifySoftwareToken: a TOTP code for the secret from AssociateSoftwareToken."""
    b = rc.backend
    token = p.opt_str("AccessToken")
    session_token = p.opt_str("Session", min_len=20)
    code = p.req_str("UserCode", min_len=6, max_len=6)
    p.opt_str("FriendlyDeviceName", min_len=0)
    if bool(token) == bool(session_token):
        raise invalid_parameter("Provide exactly one of AccessToken and Session.")
    mismatch = ServiceError("EnableSoftwareTokenMFAException", "Code mismatch")
    if token:
        _pool, user, _claims = b.verify_access_token(token)
        secret = user.pending_totp_secret
        if not secret:
            raise ServiceError(
                "SoftwareTokenMFANotFoundException",
                "Software token has not been associated with the user.",
            )
        if check_totp(user, secret, code, b.clock.now()) != "ok":
            raise mismatch
        user.totp_secret = secret
        user.pending_totp_secret = None
        return {"Status": "SUCCESS"}
    assert session_token is not None
    session = _setup_session(b, session_token)
    ctx = session.context
    user_ = ctx.user
    if user_ is None or not ctx.pending_totp_secret:
        raise ServiceError(
            "SoftwareTokenMFANotFoundException",
            "Software token has not been associated with the session.",
        )
    if check_totp(user_, ctx.pending_totp_secret, code, b.clock.now()) != "ok":
        session.attempts += 1
        if session.attempts >= MAX_SETUP_ATTEMPTS:
            session.state = "dead"
        raise mismatch
    session.state = "used"
    ctx.totp_verified = True
    new = b.new_session(ctx, "MFA_SETUP", available=session.available)
    return {"Status": "SUCCESS", "Session": new.token}


def apply_mfa_preferences(pool: Pool, user: User, p: Params) -> None:
    """SetUserMFAPreference / AdminSetUserMFAPreference.

    Raises:
        ServiceError: a method the user cannot use (no phone, no verified TOTP...).
    """
    passkey_mfa = p.opt_dict("WebAuthnMfaSettings")
    changes: list[tuple[str, bool | None, bool | None]] = []
    for member, name in (
        ("SMSMfaSettings", "SMS_MFA"),
        ("SoftwareTokenMfaSettings", "SOFTWARE_TOKEN_MFA"),
        ("EmailMfaSettings", "EMAIL_OTP"),
    ):
        settings = p.opt_dict(member)
        if settings is None:
            continue
        enabled, preferred = settings.get("Enabled"), settings.get("PreferredMfa")
        if enabled or preferred:
            if name == "SMS_MFA" and not user.attr("phone_number"):
                raise invalid_parameter("User does not have delivery config set to turn on SMS_MFA")
            if name == "EMAIL_OTP" and not user.attr("email"):
                raise invalid_parameter(
                    "User does not have delivery config set to turn on EMAIL_OTP"
                )
            if name == "EMAIL_OTP" and not pool.email_mfa_enabled:
                raise invalid_parameter("Email MFA is not enabled for this user pool.")
            if name == "SOFTWARE_TOKEN_MFA" and not user.totp_secret:
                raise invalid_parameter("User has not verified software token mfa")
            if preferred and enabled is False:
                raise invalid_parameter("A preferred MFA method must be enabled.")
        changes.append((name, enabled, preferred))
    attrs_of = {"SMS_MFA": "sms_mfa", "SOFTWARE_TOKEN_MFA": "totp", "EMAIL_OTP": "email_mfa"}
    if passkey_mfa is not None and passkey_mfa.get("Enabled"):
        # WebAuthnMfaSettingsType: "The user must also have at least one other MFA method
        # such as SMS, TOTP, or email activated to prevent account lockout." Checked on the
        # state this call leaves, before anything changes.
        after = {name: bool(getattr(user, f"{attr}_enabled")) for name, attr in attrs_of.items()}
        for name, enabled, preferred in changes:
            if enabled is not None:
                after[name] = bool(enabled)
            elif preferred:
                after[name] = True
        if not any(after.values()):
            raise invalid_parameter(
                "Passkey MFA needs another MFA method (SMS, TOTP or email) to be enabled."
            )
    for name, enabled, preferred in changes:
        attr = {"SMS_MFA": "sms_mfa", "SOFTWARE_TOKEN_MFA": "totp", "EMAIL_OTP": "email_mfa"}[name]
        if enabled is None and preferred is None:
            continue
        if enabled is not None:
            on = bool(enabled)
        else:
            on = bool(preferred) or bool(getattr(user, f"{attr}_enabled"))
        setattr(user, f"{attr}_enabled", on)
        if preferred:
            user.sms_mfa_preferred = user.totp_preferred = user.email_mfa_preferred = False
            setattr(user, f"{attr}_preferred", True)
        elif preferred is False or not on:
            setattr(user, f"{attr}_preferred", False)
        if name == "SMS_MFA" and not on:
            user.mfa_options = []
    if passkey_mfa is not None and passkey_mfa.get("Enabled") is not None:
        user.webauthn_mfa_enabled = bool(passkey_mfa["Enabled"])


@operation("SetUserMFAPreference")
async def set_user_mfa_preference(rc: RequestContext, p: Params) -> dict[str, Any]:
    """SetUserMFAPreference."""
    pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    apply_mfa_preferences(pool, user, p)
    return {}


def apply_mfa_options(user: User, p: Params) -> None:
    """SetUserSettings / AdminSetUserSettings (legacy SMS MFA options)."""
    options = p.opt_list("MFAOptions")
    if options is None:
        p.req_str("MFAOptions")
        return
    parsed: list[dict[str, str]] = []
    for option in options:
        if not isinstance(option, dict):
            raise invalid_parameter("MFAOptions must be a list of structures")
        if option.get("DeliveryMedium", "SMS") != "SMS":
            raise invalid_parameter("Only SMS is supported as MFA delivery medium.")
        if option.get("AttributeName", "phone_number") != "phone_number":
            raise invalid_parameter("Only phone_number is supported for SMS MFA.")
        if not user.attr("phone_number"):
            raise invalid_parameter("User does not have delivery config set to turn on SMS_MFA")
        parsed.append({"DeliveryMedium": "SMS", "AttributeName": "phone_number"})
    user.mfa_options = parsed[:1]


@operation("SetUserSettings")
async def set_user_settings(rc: RequestContext, p: Params) -> dict[str, Any]:
    """SetUserSettings (legacy MFAOptions)."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    apply_mfa_options(user, p)
    return {}
