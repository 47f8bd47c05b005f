"""Sign-in: InitiateAuth, RespondToAuthChallenge (and their Admin forms), refresh, revoke.

Theory of operation. A sign-in is an :class:`AuthContext`; each challenge issued in it is a
fresh single-use :class:`AuthSession`. After the first factor (password, SRP proof,
one-time code, custom challenges, or the auto sign-in session of ConfirmSignUp) the
sequence is the same as real Cognito's, in :func:`_continue`:

1. ``NEW_PASSWORD_REQUIRED`` when a password-authenticated user has a temporary password;
2. MFA (password first factors only): ``MFA_SETUP`` when the pool requires MFA and the
   user has none, ``SELECT_MFA_TYPE`` when several are enabled without a preference,
   otherwise ``SMS_MFA`` / ``SOFTWARE_TOKEN_MFA`` / ``EMAIL_OTP``. A remembered device
   skips MFA when the pool's ChallengeRequiredOnNewDevice is true;
3. ``DEVICE_SRP_AUTH`` / ``DEVICE_PASSWORD_VERIFIER`` when a confirmed device key was sent;
4. tokens, with ``NewDeviceMetadata`` when device tracking is on and no device signed in.

Wrong MFA/OTP codes keep the session for another try (three wrong answers kill it); a
wrong password consumes it and counts towards the lockout.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from typing import Any

from cognito_flows import srp
from cognito_flows.srp import SrpError

from . import webauthn
from .codes import CodeRecord, mask_destination, new_code
from .errors import (
    ServiceError,
    code_mismatch,
    expired_code,
    invalid_parameter,
    missing_parameter,
    not_authorized,
    resource_not_found,
    user_not_found,
)
from .hooks import (
    migrate_user,
    post_authentication,
    pre_authentication,
    pre_token_generation,
    resolve,
)
from .mfa import check_totp
from .model import Client, Pool, User
from .params import Params, RequestContext, operation
from .sessions import AuthContext, AuthSession, RefreshRecord, SrpState
from .state import SESSION_INVALID, Backend
from .triggers import Trigger, run_trigger

__all__ = ["AUTH_FLOWS", "CHALLENGE_NAMES"]

AUTH_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
)
PUBLIC_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "USER_PASSWORD_AUTH",
    "USER_AUTH",
)
ADMIN_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
)
CHALLENGE_NAMES = (
    "SMS_MFA",
    "EMAIL_OTP",
    "SOFTWARE_TOKEN_MFA",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "PASSWORD_VERIFIER",
    "CUSTOM_CHALLENGE",
    "SELECT_CHALLENGE",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
    "NEW_PASSWORD_REQUIRED",
    "SMS_OTP",
    "PASSWORD",
    "WEB_AUTHN",
    "PASSWORD_SRP",
)

INCORRECT = "Incorrect username or password."
CODE_INVALID = "Invalid code or auth state for the user."
MFA_CODE_TTL = 180.0
OTP_TTL = 180.0
MAX_CODE_ATTEMPTS = 3
TIMESTAMP_SKEW = 300.0
LOCKOUT_RESET = 900.0
TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
#: InitiateAuth REFRESH_TOKEN_AUTH on an app client with refresh token rotation: such
#: clients refresh only through GetTokensFromRefreshToken.
ROTATION_ENABLED = (
    "Refresh token rotation is enabled for this app client. Use "
    "GetTokensFromRefreshToken to refresh tokens."
)
_CODE_KEYS = {"SMS_MFA": "SMS_MFA_CODE", "EMAIL_OTP": "EMAIL_OTP_CODE", "SMS_OTP": "SMS_OTP_CODE"}
_SRP_CHALLENGES = ("PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER")


# ---------------------------------------------------------------------------- helpers
def _unknown_user(client: Client) -> ServiceError:
    if client.prevent_user_existence_errors:
        return not_authorized(INCORRECT)
    return user_not_found()


def _precheck(user: User) -> None:
    if not user.enabled:
        raise not_authorized("User is disabled.")
    if user.status == "RESET_REQUIRED":
        raise ServiceError("PasswordResetRequiredException", "Password reset required for the user")


def _check_lockout(b: Backend, pool: Pool, user: User) -> None:
    """Cognito's lockout: after 5 wrong passwords, 2^(n-5) s (at most ~15 min); attempts
    during a lockout do not count; 15 quiet minutes reset the counter."""
    now = b.clock.now()
    if user.failed_password_attempts and now - user.last_failed_attempt >= LOCKOUT_RESET:
        user.failed_password_attempts = 0
        user.locked_until = 0.0
    if user.failed_password_attempts >= pool.lockout_threshold and now < user.locked_until:
        raise not_authorized("Password attempts exceeded")


def _password_failed(b: Backend, pool: Pool, user: User) -> ServiceError:
    now = b.clock.now()
    user.failed_password_attempts += 1
    user.last_failed_attempt = now
    over = user.failed_password_attempts - pool.lockout_threshold
    if over >= 0:
        user.locked_until = now + min(pool.lockout_base_seconds * 2**over, LOCKOUT_RESET)
    return not_authorized(INCORRECT)


def _password_ok(b: Backend, user: User) -> None:
    user.failed_password_attempts = 0
    user.locked_until = 0.0
    if user.status == "UNCONFIRMED":
        raise ServiceError("UserNotConfirmedException", "User is not confirmed.")
    if (
        user.status == "FORCE_CHANGE_PASSWORD"
        and user.temporary_password_expires is not None
        and b.clock.now() >= user.temporary_password_expires
    ):
        raise not_authorized(
            "Temporary password has expired and must be reset by an administrator."
        )


def _parse_srp_a(value: str) -> int:
    try:
        big_a = int(value, 16)
    except ValueError:
        raise invalid_parameter("SRP_A is not a valid hexadecimal value.") from None
    if big_a % srp.N == 0:
        raise invalid_parameter("SRP_A is invalid.")
    return big_a


def _new_srp(verifier: int, big_a: int, salt: int, pool_name: str, user_id: str) -> SrpState:
    # A 256-bit secret exponent: 128-bit security in the 3072-bit group (RFC 3526 sizes),
    # and about 12 times cheaper than a full-width one.
    while True:
        b = int.from_bytes(secrets.token_bytes(32), "big")
        big_b = srp.server_ephemeral(verifier, b)
        if b and big_b % srp.N:
            break
    block = base64.b64encode(secrets.token_bytes(256)).decode()
    return SrpState(
        b=b,
        big_b=big_b,
        big_a=big_a,
        salt=salt,
        verifier=verifier,
        secret_block=block,
        pool_name=pool_name,
        user_id=user_id,
    )


def _challenge(
    b: Backend, ctx: AuthContext, name: str, params: dict[str, str], **kwargs: Any
) -> dict[str, Any]:
    session = b.new_session(ctx, name, **kwargs)
    return {"ChallengeName": name, "Session": session.token, "ChallengeParameters": params}


def _user_attributes(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    out = {"sub": user.sub, **user.attributes, "cognito:user_status": user.status}
    return out


def _srp_challenge(
    b: Backend, ctx: AuthContext, srp_a: str, *, with_session: bool
) -> dict[str, Any]:
    big_a = _parse_srp_a(srp_a)
    user, pool = ctx.user, ctx.pool
    if user is None or user.verifier is None:
        user_id = user.username if user is not None else ctx.typed_username
        salt = b.fake_salt(pool, user_id)
        verifier = b.fake_verifier(pool, user_id)
    else:
        user_id, salt, verifier = user.username, user.salt, user.verifier
    state = _new_srp(verifier, big_a, salt, pool.srp_pool_name, user_id)
    session = b.new_session(ctx, "PASSWORD_VERIFIER", srp=state)
    out: dict[str, Any] = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": format(salt, "x"),
            "SECRET_BLOCK": state.secret_block,
            "SRP_B": format(state.big_b, "x"),
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }
    if with_session:
        out["Session"] = session.token
    return out


def _check_timestamp(value: str) -> float:
    try:
        return srp.parse_timestamp(value).timestamp()
    except ValueError:
        raise invalid_parameter(TIMESTAMP_FORMAT) from None


def _verify_claim(b: Backend, state: SrpState, responses: dict[str, str], when: float) -> bool:
    if abs(when - b.clock.now()) > TIMESTAMP_SKEW:
        raise not_authorized("TIMESTAMP is more than 5 minutes away from the server time.")
    try:
        key = srp.server_password_authentication_key(
            srp_a=state.big_a, srp_b=state.big_b, b=state.b, verifier=state.verifier
        )
        block = base64.b64decode(state.secret_block)
    except (SrpError, binascii.Error, ValueError):
        return False
    expected = srp.claim_signature(
        key, state.pool_name, state.user_id, block, responses["TIMESTAMP"]
    )
    return hmac.compare_digest(expected.encode(), responses["PASSWORD_CLAIM_SIGNATURE"].encode())


def _consume(session: AuthSession) -> None:
    session.state = "used"


def _wrong_code(session: AuthSession, error: ServiceError) -> ServiceError:
    session.attempts += 1
    if session.attempts >= MAX_CODE_ATTEMPTS:
        session.state = "dead"
    return error


async def _tokens(b: Backend, ctx: AuthContext) -> dict[str, Any]:
    # PostAuthentication, then PreTokenGeneration, then the tokens (hooks.py).
    user = ctx.user
    assert user is not None
    await post_authentication(b, ctx)
    if ctx.managed_login:
        # The login page issues an authorization code instead (cognito_local.managed_login);
        # the token endpoint fires PreTokenGeneration (TokenGeneration_HostedAuth).
        return {"ChallengeParameters": {}, "ManagedLoginDone": True}
    if ctx.new_password_done:
        source = "TokenGeneration_NewPasswordChallenge"
    elif ctx.device_authenticated:
        source = "TokenGeneration_AuthenticateDevice"
    else:
        source = "TokenGeneration_Authentication"
    custom = await pre_token_generation(
        b, ctx.pool, ctx.client.client_id, user, source, ctx.client_metadata
    )
    return {"ChallengeParameters": {}, "AuthenticationResult": b.issue_tokens(ctx, custom)}


# ---------------------------------------------------------------------------- sequencing
def _remembered_device_skips_mfa(ctx: AuthContext) -> bool:
    config = ctx.pool.device_configuration
    if not config or not config.get("ChallengeRequiredOnNewDevice") or not ctx.device_key:
        return False
    assert ctx.user is not None
    device = ctx.user.devices.get(ctx.device_key)
    return device is not None and device.confirmed and device.remembered


def _start_mfa(b: Backend, ctx: AuthContext, name: str) -> dict[str, Any]:
    pool, user = ctx.pool, ctx.user
    assert user is not None
    # MFA challenges name the real user name, as Cognito's do: the USERNAME (and the
    # SECRET_HASH) of the answer, even when the sign-in started with an alias.
    if name == "SOFTWARE_TOKEN_MFA":
        # The name given to VerifySoftwareToken, as in AWS's own answers: Knowledge Center
        # cognito-user-pool-totp-mfa shows {"FRIENDLY_DEVICE_NAME": "ExampleDevice",
        # "USER_ID_FOR_SRP": ...}. Without a name given none is sent (unverified).
        totp_params = {"USER_ID_FOR_SRP": user.username}
        if user.totp_friendly_name:
            totp_params["FRIENDLY_DEVICE_NAME"] = user.totp_friendly_name
        return _challenge(b, ctx, name, totp_params, private={"mode": "mfa"})
    channel = "SMS" if name == "SMS_MFA" else "EMAIL"
    record = b.issue_code(pool, user, "MFA", channel, MFA_CODE_TTL, key="MFA")
    params = {
        "CODE_DELIVERY_DELIVERY_MEDIUM": channel,
        "CODE_DELIVERY_DESTINATION": mask_destination(channel, record.value or ""),
        "USER_ID_FOR_SRP": user.username,
    }
    return _challenge(b, ctx, name, params, code=record, private={"mode": "mfa"})


def _mfa_step(b: Backend, ctx: AuthContext) -> dict[str, Any] | None:
    pool, user = ctx.pool, ctx.user
    assert user is not None
    if ctx.first_factor != "PASSWORD" or pool.mfa_configuration == "OFF":
        return None
    if _remembered_device_skips_mfa(ctx):
        return None
    factors = user.mfa_setting_list(pool)
    if not factors:
        if pool.mfa_configuration != "ON":
            return None
        if pool.sms_mfa_enabled and user.attr("phone_number"):
            return _start_mfa(b, ctx, "SMS_MFA")
        # "SMS and email message MFA require no additional configuration after your user
        # adds an email address or phone number to their profile. Amazon Cognito can send
        # messages to unverified email addresses" (developer guide, "SMS and email message
        # MFA", user-pool-settings-mfa-sms-email-message.html); the API reference's
        # MFA_SETUP text asks to "collect a phone_number or email attribute" only when the
        # user lacks one. So a user with an e-mail gets EMAIL_OTP, as with a phone for SMS.
        if pool.email_mfa_enabled and user.attr("email"):
            return _start_mfa(b, ctx, "EMAIL_OTP")
        can = [
            name
            for name, on in (
                ("SOFTWARE_TOKEN_MFA", pool.totp_mfa_enabled),
                ("EMAIL_OTP", pool.email_mfa_enabled),
            )
            if on
        ]
        if can and pool.sms_mfa_enabled:
            # SMS_MFA is listed too, though the user has no phone number (that is why no
            # code was sent): amplify-js' test fixtures (authApiTestParams.ts) carry
            # '["SMS_MFA","SOFTWARE_TOKEN_MFA"]' and '["SMS_MFA", "EMAIL_OTP"]', and its
            # getAllowedMfaSetupTypes filters it out; the API reference's MFA_SETUP text asks
            # to "collect a phone_number". With SMS alone AWS answers MFAMethodNotFound
            # (below; aws-amplify/amplify-js#14013 "MFAMethodNotFoundException with SMS MFA
            # required").
            can.insert(0, "SMS_MFA")
        if not can:
            # Cognito's wording (typo included), seen by Amplify users signing in with SRP
            # (aws-amplify/amplify-flutter#95, aws-amplify/amplify-js#14013). The public
            # InitiateAuth has no such error in botocore's model: see initiate_auth.
            raise ServiceError(
                "MFAMethodNotFoundException", "No MFA mechanism registerd in the account."
            )
        return _challenge(
            b,
            ctx,
            "MFA_SETUP",
            {"MFAS_CAN_SETUP": json.dumps(can), "USER_ID_FOR_SRP": user.username},
            available=can,
        )
    chosen = user.preferred_mfa(pool)
    if chosen is None and len(factors) == 1:
        chosen = factors[0]
    if chosen is None:
        return _challenge(
            b,
            ctx,
            "SELECT_MFA_TYPE",
            {"MFAS_CAN_CHOOSE": json.dumps(factors), "USER_ID_FOR_SRP": user.username},
            available=factors,
        )
    return _start_mfa(b, ctx, chosen)


async def _continue(b: Backend, ctx: AuthContext) -> dict[str, Any]:
    user = ctx.user
    if user is None:
        raise not_authorized(INCORRECT)
    if (
        ctx.first_factor == "PASSWORD"
        and user.status == "FORCE_CHANGE_PASSWORD"
        and not ctx.new_password_done
    ):
        attributes = {k: v for k, v in user.attributes.items()}
        required = [
            f"userAttributes.{name}" for name in ctx.pool.required_attributes if not user.attr(name)
        ]
        return _challenge(
            b,
            ctx,
            "NEW_PASSWORD_REQUIRED",
            {
                "USER_ID_FOR_SRP": user.username,
                "userAttributes": json.dumps(attributes),
                "requiredAttributes": json.dumps(required),
            },
        )
    if not ctx.mfa_done:
        step = _mfa_step(b, ctx)
        if step is not None:
            return step
        ctx.mfa_done = True
    if ctx.device_key and not ctx.device_authenticated:
        device = user.devices.get(ctx.device_key)
        if device is not None and device.confirmed:
            return _challenge(b, ctx, "DEVICE_SRP_AUTH", {})
        ctx.device_key = None
    return await _tokens(b, ctx)


# ---------------------------------------------------------------------------- custom auth
async def _run_trigger(
    b: Backend,
    ctx: AuthContext,
    label: str,
    trigger: Trigger | None,
    source: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> dict[str, Any]:
    if trigger is None:
        raise ServiceError(
            "InvalidLambdaResponseException",
            f"{label} trigger is not configured for the user pool.",
        )

    def sender(channel: str, destination: str, purpose: str, code: str) -> None:
        b.send(ctx.pool, ctx.user, channel, destination, purpose, code)

    return await run_trigger(
        label,
        trigger,
        source=source,
        region=ctx.pool.region,
        pool_id=ctx.pool.id,
        user_name=ctx.user.username if ctx.user is not None else ctx.typed_username,
        client_id=ctx.client.client_id,
        request=request,
        response=response,
        sender=sender,
    )


def _history(ctx: AuthContext) -> list[dict[str, Any]]:
    return [dict(item) for item in ctx.custom_history]


async def _custom_next(b: Backend, ctx: AuthContext) -> dict[str, Any]:
    base_request = {
        "userAttributes": _user_attributes(ctx.user),
        "clientMetadata": dict(ctx.client_metadata),
        "userNotFound": ctx.user is None,
    }
    answer = await _run_trigger(
        b,
        ctx,
        "DefineAuthChallenge",
        resolve(ctx.pool, "DefineAuthChallenge")[0],
        "DefineAuthChallenge_Authentication",
        {**base_request, "session": _history(ctx)},
        {"challengeName": None, "issueTokens": False, "failAuthentication": False},
    )
    if answer.get("failAuthentication"):
        raise not_authorized(INCORRECT)
    if answer.get("issueTokens"):
        if ctx.user is None:
            raise not_authorized(INCORRECT)
        password_proven = any(
            h["challengeName"] == "PASSWORD_VERIFIER" and h["challengeResult"]
            for h in ctx.custom_history
        )
        if password_proven:
            # After a proven password Cognito runs the user's own MFA before the tokens
            # (PASSWORD_VERIFIER -> CUSTOM_CHALLENGE -> SOFTWARE_TOKEN_MFA); passwordless
            # custom flows get none.
            ctx.first_factor = "PASSWORD"
        else:
            ctx.first_factor = ctx.first_factor or "CUSTOM"
            ctx.mfa_done = True
        return await _continue(b, ctx)
    name = answer.get("challengeName")
    if name == "PASSWORD_VERIFIER":
        done = any(h["challengeName"] == "PASSWORD_VERIFIER" for h in ctx.custom_history)
        if ctx.custom_srp_a is None or done:
            raise ServiceError(
                "InvalidLambdaResponseException",
                "PASSWORD_VERIFIER requires SRP_A in the CUSTOM_AUTH request.",
            )
        return _srp_challenge(b, ctx, format(ctx.custom_srp_a, "x"), with_session=True)
    if name != "CUSTOM_CHALLENGE":
        raise ServiceError(
            "InvalidLambdaResponseException",
            f"Unsupported challenge name from DefineAuthChallenge: {name}",
        )
    created = await _run_trigger(
        b,
        ctx,
        "CreateAuthChallenge",
        resolve(ctx.pool, "CreateAuthChallenge")[0],
        "CreateAuthChallenge_Authentication",
        {**base_request, "challengeName": "CUSTOM_CHALLENGE", "session": _history(ctx)},
        {
            "publicChallengeParameters": {},
            "privateChallengeParameters": {},
            "challengeMetadata": None,
        },
    )
    public = {str(k): str(v) for k, v in (created.get("publicChallengeParameters") or {}).items()}
    private = {str(k): str(v) for k, v in (created.get("privateChallengeParameters") or {}).items()}
    metadata = created.get("challengeMetadata")
    public["USERNAME"] = ctx.user.username if ctx.user is not None else ctx.typed_username
    return _challenge(
        b,
        ctx,
        "CUSTOM_CHALLENGE",
        public,
        private=private,
        metadata=None if metadata is None else str(metadata),
    )


async def _custom_start(b: Backend, ctx: AuthContext, params: dict[str, str]) -> dict[str, Any]:
    if resolve(ctx.pool, "DefineAuthChallenge")[0] is None:
        raise invalid_parameter("Custom auth lambda trigger is not configured for the user pool.")
    user = ctx.user
    if user is None and not ctx.client.prevent_user_existence_errors:
        raise user_not_found()
    if user is not None:
        _precheck(user)
        if user.status == "UNCONFIRMED":
            raise ServiceError("UserNotConfirmedException", "User is not confirmed.")
    srp_a = params.get("SRP_A")
    if srp_a is not None:
        ctx.custom_srp_a = _parse_srp_a(srp_a)
        ctx.custom_history.append(
            {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
        )
    return await _custom_next(b, ctx)


# ---------------------------------------------------------------------------- USER_AUTH
def _first_factors(pool: Pool, user: User | None) -> list[str]:
    out: list[str] = []
    allowed = pool.first_factors
    if "PASSWORD" in allowed and (user is None or user.has_password):
        out += ["PASSWORD_SRP", "PASSWORD"]
    # "MFA and passwordless cannot be used together. Amazon Cognito does not support
    # enabling both MFA and passwordless sign-in (including passkeys, SMS OTP, and email
    # OTP) for the same user. If a user has MFA configured, passwordless sign-in options
    # will not be available" (Amplify docs, auth/concepts/multi-factor-authentication; the
    # API reference says nothing either way). Passkeys: see _passkey_first_factor.
    one_time_codes = user is None or not (
        pool.mfa_configuration != "OFF" and user.mfa_setting_list(pool)
    )
    if one_time_codes and "EMAIL_OTP" in allowed and (user is None or user.attr("email")):
        out.append("EMAIL_OTP")
    if one_time_codes and "SMS_OTP" in allowed and (user is None or user.attr("phone_number")):
        out.append("SMS_OTP")
    if "WEB_AUTHN" in allowed and (user is None or _passkey_first_factor(pool, user)):
        out.append("WEB_AUTHN")
    return out


def _passkey_first_factor(pool: Pool, user: User) -> bool:
    # A user needs a passkey to be offered one. With MFA configured, a passkey is offered
    # only where it satisfies MFA (WebAuthnMfaSettingsType: "passkey sign-in is available
    # when MFA is required"); see cognito_local/webauthn.py.
    if not user.passkeys:
        return False
    return not user.mfa_setting_list(pool) or webauthn.mfa_satisfied_by_passkey(pool, user)


def _start_webauthn(b: Backend, ctx: AuthContext) -> dict[str, Any]:
    user = ctx.user
    if user is not None and user.status == "UNCONFIRMED":
        raise ServiceError("UserNotConfirmedException", "User is not confirmed.")
    public, private = webauthn.authentication_challenge(ctx.pool, user)
    ctx.first_factor = "WEB_AUTHN"
    return _challenge(b, ctx, "WEB_AUTHN", public, private=private)


async def _answer_webauthn(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    ctx = session.context
    try:
        verified = webauthn.verify_assertion(session, responses, ctx.client)
    except ServiceError as error:
        # A refused assertion keeps the challenge for another try, as a wrong code does.
        raise _wrong_code(session, error) from None
    _consume(session)
    assert ctx.user is not None
    if verified and webauthn.mfa_satisfied_by_passkey(ctx.pool, ctx.user):
        ctx.mfa_done = True
    return await _continue(b, ctx)


async def _password_factor(b: Backend, ctx: AuthContext, password: str) -> dict[str, Any]:
    user, pool = ctx.user, ctx.pool
    if user is None:
        raise not_authorized(INCORRECT)
    _check_lockout(b, pool, user)
    if not pool.password_matches(user, password):
        raise _password_failed(b, pool, user)
    _password_ok(b, user)
    ctx.first_factor = "PASSWORD"
    return await _continue(b, ctx)


def _start_otp(b: Backend, ctx: AuthContext, factor: str) -> dict[str, Any]:
    channel = "EMAIL" if factor == "EMAIL_OTP" else "SMS"
    user = ctx.user
    if user is None:
        record = CodeRecord(
            code=new_code(12),
            purpose=factor,
            expires=b.clock.now() + OTP_TTL,
            channel=channel,
            value="unknown@example.com" if channel == "EMAIL" else "+10000000000",
        )
    else:
        if user.status == "UNCONFIRMED":
            raise ServiceError("UserNotConfirmedException", "User is not confirmed.")
        record = b.issue_code(ctx.pool, user, factor, channel, OTP_TTL, key=factor)
    ctx.first_factor = factor
    params = {
        "CODE_DELIVERY_DELIVERY_MEDIUM": channel,
        "CODE_DELIVERY_DESTINATION": mask_destination(channel, record.value or ""),
    }
    return _challenge(b, ctx, factor, params, code=record, private={"mode": "first"})


async def _select_factor(
    b: Backend, ctx: AuthContext, factor: str, values: dict[str, str]
) -> dict[str, Any]:
    if factor == "PASSWORD":
        password = values.get("PASSWORD")
        if not password:
            raise missing_parameter("PASSWORD")
        return await _password_factor(b, ctx, password)
    if factor == "PASSWORD_SRP":
        srp_a = values.get("SRP_A")
        if not srp_a:
            raise missing_parameter("SRP_A")
        return _srp_challenge(b, ctx, srp_a, with_session=True)
    if factor == "WEB_AUTHN":
        # The options carry the challenge, so even in SELECT_CHALLENGE (whose API reference
        # shows CREDENTIAL next to ANSWER=WEB_AUTHN) the credential can only answer the
        # WEB_AUTHN challenge issued here; amplify-js v6 answers in these two steps too.
        return _start_webauthn(b, ctx)
    return _start_otp(b, ctx, factor)


async def _user_auth(
    b: Backend, ctx: AuthContext, params: dict[str, str], session_token: str | None
) -> dict[str, Any]:
    if session_token:
        session = b.lookup_session(session_token, ctx.client)
        if session.challenge != "AUTO_SIGN_IN" or session.context.user is not ctx.user:
            raise not_authorized(SESSION_INVALID)
        _consume(session)
        assert ctx.user is not None
        _precheck(ctx.user)
        ctx.first_factor = "AUTO_SIGN_IN"
        ctx.mfa_done = True
        return await _continue(b, ctx)
    user = ctx.user
    if user is None and not ctx.client.prevent_user_existence_errors:
        raise user_not_found()
    if user is not None:
        _precheck(user)
    available = _first_factors(ctx.pool, user)
    preferred = params.get("PREFERRED_CHALLENGE")
    if preferred and preferred in available:
        return await _select_factor(b, ctx, preferred, params)
    session = b.new_session(ctx, "SELECT_CHALLENGE", available=available)
    return {
        "ChallengeName": "SELECT_CHALLENGE",
        "Session": session.token,
        "ChallengeParameters": {},
        "AvailableChallenges": available,
    }


# ---------------------------------------------------------------------------- refresh
def _use_refresh(
    b: Backend,
    pool: Pool,
    client: Client,
    record: RefreshRecord,
    device_key: str | None,
    *,
    reuse: ServiceError,
) -> User:
    now = b.clock.now()
    if record.revoked:
        raise not_authorized("Refresh Token has been revoked")
    if now >= record.expires:
        raise not_authorized("Refresh Token has expired")
    if record.superseded_at is not None:
        grace = client.rotation_grace
        # RetryGracePeriodSeconds=0: a rotated-out token is invalid at once.
        if grace == 0 or now > record.superseded_at + grace:
            raise reuse
    if record.device_key is not None and device_key != record.device_key:
        # Knowledge Center "cognito-invalid-refresh-token-error": with device tracking on, a
        # refresh without the device key fails with "Invalid Refresh Token".
        raise not_authorized("Invalid Refresh Token")
    user = pool.user_by_sub(record.sub)
    if user is None:
        raise not_authorized("User does not exist.")
    if record.device_key is not None:
        # The same article: a device never confirmed with ConfirmDevice makes the refresh
        # fail; API reference GetTokensFromRefreshToken DeviceKey: "You must provide the
        # confirmed device key in this request if device remembering is enabled".
        device = user.devices.get(record.device_key)
        if device is None or not device.confirmed:
            raise not_authorized("Invalid Refresh Token")
    if not user.enabled:
        raise not_authorized("User is disabled.")
    return user


async def _refresh_flow(
    b: Backend, pool: Pool, client: Client, params: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    token = params.get("REFRESH_TOKEN")
    if not token:
        raise missing_parameter("REFRESH_TOKEN")
    record = b.refresh_tokens.get(token)
    if record is None or record.client_id != client.client_id:
        raise not_authorized("Invalid Refresh Token")
    # The hash over the token owner's user name (cognito:username), whatever USERNAME says.
    b.check_secret_hash(client, params.get("SECRET_HASH"), [record.username])
    user = _use_refresh(
        b,
        pool,
        client,
        record,
        params.get("DEVICE_KEY"),
        reuse=not_authorized("Invalid Refresh Token"),
    )
    custom = await pre_token_generation(
        b, pool, client.client_id, user, "TokenGeneration_RefreshTokens", metadata
    )
    return {
        "ChallengeParameters": {},
        "AuthenticationResult": b.refresh(pool, client, user, record, custom),
    }


# ---------------------------------------------------------------------------- InitiateAuth
async def _initiate(rc: RequestContext, p: Params, *, admin: bool) -> dict[str, Any]:
    b = rc.backend
    flow = p.enum("AuthFlow", AUTH_FLOWS, required=True)
    assert flow is not None
    client_id = p.req_str("ClientId", max_len=128)
    pool_id = p.req_str("UserPoolId") if admin else None
    params = p.str_map("AuthParameters")
    metadata = p.str_map("ClientMetadata")
    session_token = p.opt_str("Session")
    pool, client = b.client(client_id, pool_id)
    if flow not in (ADMIN_FLOWS if admin else PUBLIC_FLOWS):
        raise invalid_parameter("Initiate Auth method not supported.")
    if not client.allows(flow):
        raise invalid_parameter(f"{flow} flow not enabled for this client")
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        if client.rotation:
            raise invalid_parameter(ROTATION_ENABLED)
        return await _refresh_flow(b, pool, client, params, metadata)
    username = params.get("USERNAME")
    if not username:
        raise missing_parameter("USERNAME")
    b.check_secret_hash(client, params.get("SECRET_HASH"), [username])
    user = pool.find_user(username)
    if user is None and flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"):
        # The migrate user trigger needs the password, so only these flows run it
        # (Knowledge Center, cognito-migration-lambda-trigger-errors).
        password = params.get("PASSWORD")
        if password:
            try:
                user = await migrate_user(
                    b,
                    pool,
                    "UserMigration_Authentication",
                    username=username,
                    client_id=client.client_id,
                    password=password,
                    metadata=metadata,
                )
            except ServiceError as exc:
                # PreventUserExistenceErrors hides "no such user" behind the generic error.
                if exc.code == "UserNotFoundException" and client.prevent_user_existence_errors:
                    raise not_authorized(INCORRECT) from None
                raise
    ctx = AuthContext(
        pool=pool,
        client=client,
        flow=flow,
        user=user,
        typed_username=username,
        admin=admin,
        client_metadata=metadata,
        device_key=params.get("DEVICE_KEY"),
    )
    if not session_token:
        await pre_authentication(b, ctx)
    if flow == "USER_SRP_AUTH":
        srp_a = params.get("SRP_A")
        if not srp_a:
            raise missing_parameter("SRP_A")
        if user is None:
            if not client.prevent_user_existence_errors:
                raise user_not_found()
        else:
            _precheck(user)
            _check_lockout(b, pool, user)
        return _srp_challenge(b, ctx, srp_a, with_session=False)
    if flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        password = params.get("PASSWORD")
        if not password:
            raise missing_parameter("PASSWORD")
        if user is None:
            raise _unknown_user(client)
        _precheck(user)
        if ctx.device_key is not None:
            device = user.devices.get(ctx.device_key)
            if device is None or not device.confirmed:
                raise resource_not_found("Device does not exist.")
        return await _password_factor(b, ctx, password)
    if flow == "CUSTOM_AUTH":
        return await _custom_start(b, ctx, params)
    if session_token and user is None:
        raise not_authorized(SESSION_INVALID)
    return await _user_auth(b, ctx, params, session_token)


@operation("InitiateAuth")
async def initiate_auth(rc: RequestContext, p: Params) -> dict[str, Any]:
    """InitiateAuth."""
    try:
        return await _initiate(rc, p, admin=False)
    except ServiceError as exc:
        if exc.code != "MFAMethodNotFoundException":
            raise
        # MFAMethodNotFoundException is modelled for AdminInitiateAuth and
        # RespondToAuthChallenge but not for InitiateAuth, and no AWS source shows what a
        # one-step sign-in (USER_PASSWORD_AUTH) answers: use the modelled error that fits.
        raise ServiceError(
            "InvalidUserPoolConfigurationException", "No MFA mechanism registerd in the account."
        ) from None


@operation("AdminInitiateAuth", signed=True)
async def admin_initiate_auth(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminInitiateAuth."""
    return await _initiate(rc, p, admin=True)


# ---------------------------------------------------------------------------- answers
def _require(responses: dict[str, str], *names: str) -> None:
    for name in names:
        if not responses.get(name):
            raise missing_parameter(name)


async def _answer_password_verifier(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    ctx = session.context
    state = session.srp
    assert state is not None
    when = _check_timestamp(responses["TIMESTAMP"])
    user, pool = ctx.user, ctx.pool
    if user is not None:
        device_key = responses.get("DEVICE_KEY")
        if device_key:
            device = user.devices.get(device_key)
            if device is None or not device.confirmed:
                raise resource_not_found("Device does not exist.")
            ctx.device_key = device_key
        elif ctx.device_key:
            device = user.devices.get(ctx.device_key)
            if device is None or not device.confirmed:
                ctx.device_key = None
    _consume(session)
    if user is None or pool.find_user(responses["USERNAME"]) is not user:
        raise not_authorized(INCORRECT)
    _check_lockout(b, pool, user)
    if not _verify_claim(b, state, responses, when):
        raise _password_failed(b, pool, user)
    _password_ok(b, user)
    ctx.first_factor = "PASSWORD"
    if ctx.custom:
        ctx.custom_history.append(
            {
                "challengeName": "PASSWORD_VERIFIER",
                "challengeResult": True,
                "challengeMetadata": None,
            }
        )
        return await _custom_next(b, ctx)
    return await _continue(b, ctx)


def _device_srp_session(b: Backend, client: Client, device_key: str) -> AuthSession:
    for session in reversed(list(b.sessions.values())):
        if (
            session.challenge == "DEVICE_SRP_AUTH"
            and session.context.client is client
            and session.context.device_key == device_key
            and session.state == "active"
        ):
            return b.lookup_session(session.token, client)
    raise missing_parameter("Session")


async def _answer_device_srp(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    _require(responses, "DEVICE_KEY", "SRP_A")
    ctx = session.context
    user = ctx.user
    assert user is not None
    if responses["DEVICE_KEY"] != ctx.device_key:
        # The device proven must be the one the sign-in named: that one decided whether
        # a remembered device skips MFA.
        _consume(session)
        raise not_authorized(INCORRECT)
    device = user.devices.get(responses["DEVICE_KEY"])
    if device is None or not device.confirmed:
        raise resource_not_found("Device does not exist.")
    big_a = _parse_srp_a(responses["SRP_A"])
    assert device.verifier is not None and device.salt is not None
    _consume(session)
    ctx.device_key = device.key
    state = _new_srp(device.verifier, big_a, device.salt, device.group_key, device.key)
    return _challenge(
        b,
        ctx,
        "DEVICE_PASSWORD_VERIFIER",
        {
            "SRP_B": format(state.big_b, "x"),
            "SALT": format(state.salt, "x"),
            "SECRET_BLOCK": state.secret_block,
            "USERNAME": user.username,
            "DEVICE_KEY": device.key,
        },
        srp=state,
    )


async def _answer_device_verifier(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    _require(
        responses,
        "PASSWORD_CLAIM_SIGNATURE",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "TIMESTAMP",
        "DEVICE_KEY",
    )
    ctx = session.context
    state = session.srp
    user = ctx.user
    assert state is not None and user is not None
    when = _check_timestamp(responses["TIMESTAMP"])
    _consume(session)
    if (
        responses["PASSWORD_CLAIM_SECRET_BLOCK"] != state.secret_block
        or responses["DEVICE_KEY"] != state.user_id
        or state.user_id != ctx.device_key
    ):
        raise not_authorized(INCORRECT)
    if not _verify_claim(b, state, responses, when):
        raise not_authorized(INCORRECT)
    device = user.devices.get(state.user_id)
    if device is None:
        raise resource_not_found("Device does not exist.")
    device.last_authenticated = b.clock.now()
    ctx.device_authenticated = True
    return await _continue(b, ctx)


async def _answer_code(
    b: Backend, session: AuthSession, name: str, responses: dict[str, str]
) -> dict[str, Any]:
    key = _CODE_KEYS[name]
    code = responses.get(key)
    if not code:
        raise missing_parameter(key)
    record = session.code
    assert record is not None
    if record.used or b.clock.now() >= record.expires:
        raise _wrong_code(session, expired_code(CODE_INVALID))
    if not hmac.compare_digest(record.code.encode(), code.encode()):
        raise _wrong_code(session, code_mismatch(CODE_INVALID))
    record.used = True
    _consume(session)
    ctx = session.context
    mode = session.private.get("mode")
    user = ctx.user
    if user is None:
        raise not_authorized(INCORRECT)
    if mode == "setup":
        user.attributes["email"] = ctx.setup_email or user.attributes.get("email", "")
        user.attributes["email_verified"] = "true"
        user.email_mfa_enabled = True
        if ctx.pool and user.preferred_mfa(ctx.pool) is None:
            user.email_mfa_preferred = True
        ctx.mfa_done = True
    elif mode == "mfa":
        ctx.mfa_done = True
    return await _continue(b, ctx)


async def _answer_totp(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    code = responses.get("SOFTWARE_TOKEN_MFA_CODE")
    if not code:
        raise missing_parameter("SOFTWARE_TOKEN_MFA_CODE")
    ctx = session.context
    user = ctx.user
    assert user is not None
    if not user.totp_secret:
        raise ServiceError(
            "SoftwareTokenMFANotFoundException",
            "Software Token MFA has not been enabled by the user.",
        )
    result = check_totp(user, user.totp_secret, code, b.clock.now())
    if result == "reused":
        raise _wrong_code(session, expired_code("Your software token has already been used once."))
    if result != "ok":
        raise _wrong_code(session, code_mismatch(CODE_INVALID))
    _consume(session)
    ctx.mfa_done = True
    return await _continue(b, ctx)


async def _answer_new_password(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    password = responses.get("NEW_PASSWORD")
    if not password:
        raise missing_parameter("NEW_PASSWORD")
    ctx = session.context
    pool, user = ctx.pool, ctx.user
    assert user is not None
    updates = [
        (k[len("userAttributes.") :], v)
        for k, v in responses.items()
        if k.startswith("userAttributes.")
    ]
    attributes = pool.validate_attributes(updates, allow_verified_flags=False)
    for name in attributes:
        # "In a NEW_PASSWORD_REQUIRED challenge response, you can't modify a required
        # attribute that already has a value" (API reference, RespondToAuthChallenge
        # ChallengeResponses); AWS answers NotAuthorizedException "Cannot modify an already
        # provided email" (aws-samples/aws-saas-factory-bootcamp#67).
        if name in pool.required_attributes and user.attr(name):
            raise not_authorized(f"Cannot modify an already provided {name}")
    for name in pool.required_attributes:
        if not (attributes.get(name) or user.attr(name)):
            raise invalid_parameter(f"Invalid attributes given, {name} is missing")
    pool.check_password_policy(password, user)
    for name, value in attributes.items():
        other = pool.alias_conflict(user, name, value)
        if other is not None:
            raise ServiceError(
                "AliasExistsException", "An account with the given email already exists."
            )
    _consume(session)
    pool.set_password(user, password)
    for name, value in attributes.items():
        if user.attributes.get(name) != value and name in ("email", "phone_number"):
            user.attributes[f"{name}_verified"] = "false"
        user.attributes[name] = value
    user.status = "CONFIRMED"
    user.temporary_password_expires = None
    ctx.new_password_done = True
    return await _continue(b, ctx)


async def _answer_mfa_setup(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    ctx = session.context
    user, pool = ctx.user, ctx.pool
    assert user is not None
    if ctx.totp_verified and ctx.pending_totp_secret:
        _consume(session)
        user.totp_secret = ctx.pending_totp_secret
        user.pending_totp_secret = None
        user.totp_enabled = True
        if user.preferred_mfa(pool) is None:
            user.totp_preferred = True
        ctx.mfa_done = True
        return await _continue(b, ctx)
    email = responses.get("EMAIL")
    if email and "EMAIL_OTP" in session.available:
        pool.validate_attributes([("email", email)])
        _consume(session)
        ctx.setup_email = email
        record = b.issue_code(
            pool, user, "MFA", "EMAIL", MFA_CODE_TTL, key="MFA", destination=email
        )
        return _challenge(
            b,
            ctx,
            "EMAIL_OTP",
            {
                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                "CODE_DELIVERY_DESTINATION": mask_destination("EMAIL", email),
            },
            code=record,
            private={"mode": "setup"},
        )
    # botocore's RespondToAuthChallenge model has no EnableSoftwareTokenMFAException (that
    # is VerifySoftwareToken's error) and AWS documents no other answer, so an MFA_SETUP
    # answer before VerifySoftwareToken succeeded gets the modelled InvalidParameterException.
    if "SOFTWARE_TOKEN_MFA" not in session.available:
        raise missing_parameter("EMAIL")
    raise invalid_parameter(
        "The software token has not been verified for this session: "
        "call AssociateSoftwareToken and VerifySoftwareToken first."
    )


async def _answer_select_mfa(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    answer = responses.get("ANSWER")
    if not answer:
        raise missing_parameter("ANSWER")
    if answer not in session.available:
        raise invalid_parameter(
            f"Invalid MFA type {answer}. Available: {', '.join(session.available)}"
        )
    _consume(session)
    return _start_mfa(b, session.context, answer)


async def _answer_select_challenge(
    b: Backend, session: AuthSession, name: str, responses: dict[str, str]
) -> dict[str, Any]:
    answer = responses.get("ANSWER") if name == "SELECT_CHALLENGE" else name
    if not answer:
        raise missing_parameter("ANSWER")
    if answer not in session.available:
        raise invalid_parameter(f"The challenge {answer} is not available for this user.")
    if answer == "PASSWORD" and not responses.get("PASSWORD"):
        raise missing_parameter("PASSWORD")
    if answer == "PASSWORD_SRP" and not responses.get("SRP_A"):
        raise missing_parameter("SRP_A")
    _consume(session)
    return await _select_factor(b, session.context, answer, responses)


async def _answer_custom(
    b: Backend, session: AuthSession, responses: dict[str, str]
) -> dict[str, Any]:
    answer = responses.get("ANSWER")
    if answer is None:
        raise missing_parameter("ANSWER")
    ctx = session.context
    _consume(session)
    result = await _run_trigger(
        b,
        ctx,
        "VerifyAuthChallengeResponse",
        resolve(ctx.pool, "VerifyAuthChallengeResponse")[0],
        "VerifyAuthChallengeResponse_Authentication",
        {
            "userAttributes": _user_attributes(ctx.user),
            "privateChallengeParameters": dict(session.private),
            "challengeAnswer": answer,
            "clientMetadata": dict(ctx.client_metadata),
            "userNotFound": ctx.user is None,
        },
        {"answerCorrect": False},
    )
    ctx.custom_history.append(
        {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": bool(result.get("answerCorrect")),
            "challengeMetadata": session.challenge_metadata,
        }
    )
    return await _custom_next(b, ctx)


async def _respond(rc: RequestContext, p: Params, *, admin: bool) -> dict[str, Any]:
    b = rc.backend
    name = p.enum("ChallengeName", CHALLENGE_NAMES, required=True)
    assert name is not None
    client_id = p.req_str("ClientId", max_len=128)
    pool_id = p.req_str("UserPoolId") if admin else None
    token = p.opt_str("Session", min_len=20, max_len=4096)
    responses = p.str_map("ChallengeResponses")
    metadata = p.str_map("ClientMetadata")
    pool, client = b.client(client_id, pool_id)
    username = responses.get("USERNAME")
    if name in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"):
        _require(
            responses,
            "PASSWORD_CLAIM_SIGNATURE",
            "PASSWORD_CLAIM_SECRET_BLOCK",
            "TIMESTAMP",
            "USERNAME",
        )
    if not username:
        raise missing_parameter("USERNAME")
    if name == "PASSWORD_VERIFIER" or (name == "DEVICE_PASSWORD_VERIFIER" and not token):
        block = responses["PASSWORD_CLAIM_SECRET_BLOCK"]
        session = b.lookup_session(block, client, by_secret_block=True)
        if token and token in b.sessions and b.sessions[token] is not session:
            raise not_authorized(SESSION_INVALID)
    elif name == "DEVICE_SRP_AUTH" and not token:
        # AWS's own examples answer DEVICE_SRP_AUTH without a Session: the Python
        # sign_in_with_tracked_device (awsdocs/aws-doc-sdk-examples, python/example_code/
        # cognito/cognito_idp_actions.py) and the Java DeviceAuthDemo. The challenge is
        # then found by the device key it was issued for.
        _require(responses, "DEVICE_KEY")
        session = _device_srp_session(b, client, responses["DEVICE_KEY"])
    else:
        if not token:
            raise missing_parameter("Session")
        session = b.lookup_session(token, client)
    expected = session.challenge
    if not (
        name == expected
        or (expected == "SELECT_CHALLENGE" and name in ("PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"))
    ):
        raise invalid_parameter(f"Invalid challenge name {name}: the session expects {expected}.")
    ctx = session.context
    # SECRET_HASH covers the answer's own USERNAME: "SecretHash must be computed using the
    # username that is passed to the challenge response. In other words, username and
    # secret hash must correspond" (aws-amplify/aws-sdk-android#1144, fixing #889, where
    # the iOS SDK's alias + hash of the alias worked and the sub + hash of the alias
    # failed); Amplify Swift hashes the USERNAME it sends in every answer
    # (RespondToAuthChallengeInput+Amplify.swift buildInput). That USERNAME may be an alias
    # of the sign-in's user, except in SRP challenges: "In SRP challenges, Amazon Cognito
    # returns the username attribute in USER_ID_FOR_SRP instead of any email address,
    # preferred username, or phone number alias ... You must use the username and not an
    # alias in the ChallengeResponses" (API reference, AdminInitiateAuth
    # ChallengeParameters; qwigo/warrant#74, alexrudd/cognito-srp#1).
    b.check_secret_hash(client, responses.get("SECRET_HASH"), [username])
    if (
        ctx.user is not None
        and name in _SRP_CHALLENGES
        and username.casefold() != ctx.user.username.casefold()
    ):
        if name != "PASSWORD_VERIFIER":
            raise not_authorized(SESSION_INVALID)
        _consume(session)
        raise not_authorized(INCORRECT)
    # "Amazon Cognito won't do the following with the ClientMetadata value: ... Store the
    # ClientMetadata value" (API reference, RespondToAuthChallenge ClientMetadata): the
    # triggers of this answer see only what this request sent.
    ctx.client_metadata = metadata
    if name == "PASSWORD_VERIFIER":
        return await _answer_password_verifier(b, session, responses)
    if ctx.user is not None and pool.find_user(username) is not ctx.user:
        raise not_authorized(SESSION_INVALID)
    if expected == "DEVICE_SRP_AUTH":
        return await _answer_device_srp(b, session, responses)
    if expected == "DEVICE_PASSWORD_VERIFIER":
        return await _answer_device_verifier(b, session, responses)
    if expected in ("SMS_MFA", "EMAIL_OTP", "SMS_OTP"):
        return await _answer_code(b, session, expected, responses)
    if expected == "SOFTWARE_TOKEN_MFA":
        return await _answer_totp(b, session, responses)
    if expected == "NEW_PASSWORD_REQUIRED":
        return await _answer_new_password(b, session, responses)
    if expected == "MFA_SETUP":
        return await _answer_mfa_setup(b, session, responses)
    if expected == "SELECT_MFA_TYPE":
        return await _answer_select_mfa(b, session, responses)
    if expected == "SELECT_CHALLENGE":
        return await _answer_select_challenge(b, session, name, responses)
    if expected == "CUSTOM_CHALLENGE":
        return await _answer_custom(b, session, responses)
    if expected == "WEB_AUTHN":
        return await _answer_webauthn(b, session, responses)
    raise invalid_parameter(f"Challenge {name} cannot be answered here.")


@operation("RespondToAuthChallenge")
async def respond_to_auth_challenge(rc: RequestContext, p: Params) -> dict[str, Any]:
    """RespondToAuthChallenge."""
    return await _respond(rc, p, admin=False)


@operation("AdminRespondToAuthChallenge", signed=True)
async def admin_respond_to_auth_challenge(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminRespondToAuthChallenge."""
    return await _respond(rc, p, admin=True)


# ---------------------------------------------------------------------------- tokens ops
def _check_client_secret(client: Client, given: str | None) -> None:
    if client.secret is None:
        return
    if not given:
        raise not_authorized(
            f"Client {client.client_id} is configured with secret but ClientSecret was not received"
        )
    if not hmac.compare_digest(client.secret.encode(), given.encode()):
        raise not_authorized(f"Unable to verify secret hash for client {client.client_id}")


@operation("GetTokensFromRefreshToken")
async def get_tokens_from_refresh_token(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetTokensFromRefreshToken (rotates the refresh token when the client enables it)."""
    b = rc.backend
    token = p.req_str("RefreshToken")
    pool, client = b.client(p.req_str("ClientId"))
    _check_client_secret(client, p.opt_str("ClientSecret"))
    if not client.allows("REFRESH_TOKEN_AUTH"):
        raise invalid_parameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
    record = b.refresh_tokens.get(token)
    if record is None or record.client_id != client.client_id:
        raise not_authorized("Invalid Refresh Token")
    user = _use_refresh(
        b,
        pool,
        client,
        record,
        p.opt_str("DeviceKey"),
        reuse=ServiceError(
            "RefreshTokenReuseException", "The refresh token has been used after its grace period."
        ),
    )
    custom = await pre_token_generation(
        b,
        pool,
        client.client_id,
        user,
        "TokenGeneration_RefreshTokens",
        p.str_map("ClientMetadata"),
    )
    return {"AuthenticationResult": b.refresh(pool, client, user, record, custom)}


@operation("RevokeToken")
async def revoke_token(rc: RequestContext, p: Params) -> dict[str, Any]:
    """RevokeToken: revokes a refresh token and the access tokens issued from it."""
    b = rc.backend
    token = p.req_str("Token")
    _pool, client = b.client(p.req_str("ClientId"))
    secret = p.opt_str("ClientSecret")
    if client.secret is not None and (
        not secret or not hmac.compare_digest(client.secret.encode(), secret.encode())
    ):
        raise ServiceError("UnauthorizedException", "Client authentication failed.")
    if not client.token_revocation:
        raise ServiceError(
            "UnsupportedOperationException", "Token revocation is not enabled for this app client."
        )
    record = b.refresh_tokens.get(token)
    if record is None:
        if token.count(".") == 2:
            raise ServiceError(
                "UnsupportedTokenTypeException", "Only refresh tokens can be revoked."
            )
        return {}
    if record.client_id != client.client_id:
        raise ServiceError("UnauthorizedException", "The token was not issued to this app client.")
    b.revoke_record(record)
    return {}
