"""Self-service operations: sign-up, confirmation, forgot/change password, the user's
own attributes, sign-out and auth factors."""

from __future__ import annotations

import uuid
from typing import Any

from .admin_users import auth_factors, require_threat_protection
from .codes import CodeRecord
from .errors import (
    ServiceError,
    code_mismatch,
    expired_code,
    invalid_parameter,
    not_authorized,
)
from .hooks import migrate_user, post_confirmation, pre_sign_up
from .model import Client, Pool, User
from .params import Params, RequestContext, operation
from .sessions import AuthContext
from .state import SESSION_INVALID, Backend

__all__ = ["SIGN_UP_CODE_TTL", "FORGOT_CODE_TTL", "ATTRIBUTE_CODE_TTL"]

SIGN_UP_CODE_TTL = 24 * 3600.0
FORGOT_CODE_TTL = 3600.0
ATTRIBUTE_CODE_TTL = 24 * 3600.0
MAX_CONFIRM_ATTEMPTS = 5
_NOT_FOUND = "Username/client id combination not found."
_FAKE_DELIVERY = {"Destination": "u***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def _exists_error(pool: Pool, username: str) -> ServiceError:
    if pool.username_attributes:
        kind = "email" if "@" in username else "phone_number"
        return ServiceError(
            "UsernameExistsException", f"An account with the given {kind} already exists."
        )
    return ServiceError("UsernameExistsException", "User already exists")


def _verification_channel(pool: Pool, user: User) -> tuple[str, str] | None:
    """(channel, attribute) for sign-up codes: phone first, as Cognito does."""
    if "phone_number" in pool.auto_verified and user.attr("phone_number"):
        return "SMS", "phone_number"
    if "email" in pool.auto_verified and user.attr("email"):
        return "EMAIL", "email"
    return None


def recovery_channel(pool: Pool, user: User) -> tuple[str, str]:
    """(channel, attribute) for forgot-password codes, per AccountRecoverySetting.

    Raises:
        ServiceError: no verified e-mail or phone, or admin-only recovery.
    """
    for mechanism in pool.recovery_mechanisms:
        if mechanism == "verified_email" and user.verified("email"):
            return "EMAIL", "email"
        if mechanism == "verified_phone_number" and user.verified("phone_number"):
            return "SMS", "phone_number"
        if mechanism == "admin_only":
            raise not_authorized("User password cannot be reset in the current state.")
    raise invalid_parameter(
        "Cannot reset password for the user as there is no registered/verified email or "
        "phone_number"
    )


def alias_exists(name: str) -> ServiceError:
    """``AliasExistsException`` for the attribute ``name``."""
    return ServiceError(
        "AliasExistsException",
        f"An account with the given {name.replace('_', ' ')} already exists.",
    )


def alias_holder(pool: Pool, user: User | None, name: str, value: str, force: bool) -> User | None:
    """The other user holding ``value`` as a verified alias, which ``force`` lets the caller
    take over (see :func:`take_alias`); without ``force`` a clash is AliasExistsException.

    Nothing is changed here: callers check everything else (codes first) before moving
    the alias, so that a failed request leaves the other user's alias alone.
    """
    other = pool.alias_conflict(user, name, value)
    if other is not None and not force:
        raise alias_exists(name)
    return other


def take_alias(other: User | None, name: str) -> None:
    """Strip the alias from its previous holder (ForceAliasCreation)."""
    if other is not None:
        other.attributes[f"{name}_verified"] = "false"


def check_alias_on_verify(pool: Pool, user: User, name: str, value: str, force: bool) -> None:
    """Resolve a verified-alias clash: move the alias with ``force``, else AliasExists."""
    take_alias(alias_holder(pool, user, name, value, force), name)


def _user_or_fake(pool: Pool, prevent: bool, username: str) -> User | None:
    user = pool.find_user(username)
    if user is None and not prevent:
        raise ServiceError("UserNotFoundException", _NOT_FOUND)
    return user


def _authed(rc: RequestContext, p: Params) -> tuple[Pool, User, dict[str, Any]]:
    return rc.backend.verify_access_token(p.req_str("AccessToken"))


# ---------------------------------------------------------------------------- sign-up
@operation("SignUp")
async def sign_up(rc: RequestContext, p: Params) -> dict[str, Any]:
    """SignUp: creates an UNCONFIRMED user and sends the confirmation code."""
    b = rc.backend
    pool, client = b.client(p.req_str("ClientId"))
    username = p.req_str("Username", max_len=128)
    password = p.opt_str("Password", min_len=0, max_len=256)
    b.check_secret_hash(client, p.opt_str("SecretHash"), [username])
    if pool.settings["AdminCreateUserConfig"].get("AllowAdminCreateUserOnly"):
        raise not_authorized("SignUp is not permitted for this user pool")
    pool.check_username(username)
    attributes = pool.validate_attributes(
        p.attributes("UserAttributes") or [], allow_verified_flags=False
    )
    p.attributes("ValidationData")
    if not password:
        if pool.first_factors == ["PASSWORD"]:
            raise ServiceError(
                "InvalidPasswordException",
                "Password did not conform with policy: Password not long enough",
            )
    else:
        pool.check_password_policy(password)
    if pool.find_user(username) is not None:
        raise _exists_error(pool, username)
    provided = dict(attributes)
    if "email" in pool.username_attributes and "@" in username:
        provided.setdefault("email", username)
    if "phone_number" in pool.username_attributes and username.startswith("+"):
        provided.setdefault("phone_number", username)
    for name in pool.required_attributes:
        if not provided.get(name):
            raise invalid_parameter(
                f"Attributes did not conform to the schema: {name}: The attribute {name} is "
                "required"
            )
    for name in ("email", "phone_number"):
        value = provided.get(name)
        if value and name in pool.username_attributes and pool.alias_conflict(None, name, value):
            raise _exists_error(pool, value)
    metadata = p.str_map("ClientMetadata")
    # In e-mail/phone-as-username pools the user name is a UUID (the sub), and that is the
    # userName the trigger sees (as the AdminCreateUser events AWS users post show).
    sub = str(uuid.uuid4())
    decision = await pre_sign_up(
        b,
        pool,
        "PreSignUp_SignUp",
        username=sub if pool.username_attributes else username,
        client_id=client.client_id,
        attributes=provided,
        validation=dict(p.attributes("ValidationData") or []),
        metadata=metadata,
    )
    user = pool.new_user(username, attributes, "UNCONFIRMED", sub=sub)
    if password:
        try:
            pool.set_password(user, password)
        except BaseException:
            pool.remove_user(user)  # a failed SignUp leaves no half-made user
            raise
    # One instant for both dates of a new user, as AWS answers ("UserCreateDate":
    # 1505847719.992, "UserLastModifiedDate": 1505847719.992 in
    # amazon-archives/amazon-cognito-identity-js#532).
    user.modified = user.created
    if decision.auto_verify_email:
        user.attributes["email_verified"] = "true"
    if decision.auto_verify_phone:
        user.attributes["phone_number_verified"] = "true"
    if decision.auto_confirm:
        # autoConfirmUser: confirmed without a code; PostConfirmation still runs
        # (localstack#3200 reports AWS doing so).
        user.status = "CONFIRMED"
        confirmed = await _sign_up_confirmed(rc, p, pool, client, user, username)
        return {"UserConfirmed": True, "UserSub": user.sub, **confirmed}
    out: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.sub}
    channel = _verification_channel(pool, user)
    if channel is not None:
        record = b.issue_code(
            pool, user, "SIGN_UP", channel[0], SIGN_UP_CODE_TTL, key="SIGN_UP", attribute=channel[1]
        )
        out["CodeDeliveryDetails"] = b.delivery(record)
    if client.allows("USER_AUTH"):
        ctx = AuthContext(
            pool=pool, client=client, flow="SIGN_UP", user=user, typed_username=username
        )
        out["Session"] = b.new_session(ctx, "SIGN_UP", ttl=SIGN_UP_CODE_TTL).token
    return out


async def _sign_up_confirmed(
    rc: RequestContext, p: Params, pool: Pool, client: Client, user: User, username: str
) -> dict[str, Any]:
    """What follows a self-service sign-up's confirmation (by code, or by PreSignUp's
    autoConfirmUser): a USER_AUTH client's ``Session`` for the AUTO_SIGN_IN sign-in, then
    PostConfirmation_ConfirmSignUp. Returns the Session member of the answer, if any."""
    b = rc.backend
    out: dict[str, Any] = {}
    if client.allows("USER_AUTH"):
        ctx = AuthContext(
            pool=pool, client=client, flow="USER_AUTH", user=user, typed_username=username
        )
        out["Session"] = b.new_session(ctx, "AUTO_SIGN_IN").token
    await post_confirmation(
        b,
        pool,
        user,
        "PostConfirmation_ConfirmSignUp",
        client_id=client.client_id,
        metadata=p.str_map("ClientMetadata"),
    )
    return out


@operation("ConfirmSignUp")
async def confirm_sign_up(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ConfirmSignUp: checks the code; returns a Session for USER_AUTH auto sign-in."""
    b = rc.backend
    pool, client = b.client(p.req_str("ClientId"))
    username = p.req_str("Username")
    code = p.req_str("ConfirmationCode", max_len=2048)
    force = bool(p.opt_bool("ForceAliasCreation"))
    token = p.opt_str("Session", min_len=20)
    b.check_secret_hash(client, p.opt_str("SecretHash"), [username])
    user = _user_or_fake(pool, client.prevent_user_existence_errors, username)
    if user is None:
        raise code_mismatch()
    if user.status != "UNCONFIRMED":
        raise not_authorized(f"User cannot be confirmed. Current status is {user.status}")
    record = user.codes.get("SIGN_UP")
    if record is None:
        raise expired_code()
    sign_up_session = None
    if token:
        sign_up_session = b.lookup_session(token, client)
        if sign_up_session.challenge != "SIGN_UP" or sign_up_session.context.user is not user:
            raise not_authorized(SESSION_INVALID)
    # The code first (a wrong one must neither reveal nor move another user's alias), then
    # the alias clash, and only then is the code used up and the alias moved.
    record.verify(code, b.clock.now(), max_attempts=MAX_CONFIRM_ATTEMPTS)
    verifies = bool(
        record.attribute and record.value and user.attr(record.attribute) == record.value
    )
    holder = None
    if verifies and record.attribute and record.value:
        holder = alias_holder(pool, user, record.attribute, record.value, force)
    record.used = True
    user.status = "CONFIRMED"
    user.modified = b.clock.now()
    if verifies and record.attribute:
        take_alias(holder, record.attribute)
        user.attributes[f"{record.attribute}_verified"] = "true"
    if sign_up_session is not None:
        sign_up_session.state = "used"
    return await _sign_up_confirmed(rc, p, pool, client, user, username)


@operation("ResendConfirmationCode")
async def resend_confirmation_code(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ResendConfirmationCode: a new sign-up code (the previous one stops working)."""
    b = rc.backend
    pool, client = b.client(p.req_str("ClientId"))
    username = p.req_str("Username")
    b.check_secret_hash(client, p.opt_str("SecretHash"), [username])
    user = _user_or_fake(pool, client.prevent_user_existence_errors, username)
    if user is None:
        return {"CodeDeliveryDetails": dict(_FAKE_DELIVERY)}
    if user.status != "UNCONFIRMED":
        raise invalid_parameter("User is already confirmed.")
    channel = _verification_channel(pool, user)
    if channel is None:
        raise invalid_parameter("Auto verification not turned on.")
    record = b.issue_code(
        pool, user, "SIGN_UP", channel[0], SIGN_UP_CODE_TTL, key="SIGN_UP", attribute=channel[1]
    )
    return {"CodeDeliveryDetails": b.delivery(record)}


# ---------------------------------------------------------------------------- passwords
def send_forgot_code(b: Backend, pool: Pool, user: User) -> CodeRecord:
    """Send a FORGOT_PASSWORD code over the pool's recovery channel."""
    channel, attribute = recovery_channel(pool, user)
    return b.issue_code(
        pool,
        user,
        "FORGOT_PASSWORD",
        channel,
        FORGOT_CODE_TTL,
        key="FORGOT_PASSWORD",
        attribute=attribute,
    )


@operation("ForgotPassword")
async def forgot_password(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ForgotPassword: sends a reset code to the verified e-mail or phone."""
    b = rc.backend
    pool, client = b.client(p.req_str("ClientId"))
    username = p.req_str("Username")
    b.check_secret_hash(client, p.opt_str("SecretHash"), [username])
    if pool.find_user(username) is None:
        try:
            await migrate_user(
                b,
                pool,
                "UserMigration_ForgotPassword",
                username=username,
                client_id=client.client_id,
                password=None,
                metadata=p.str_map("ClientMetadata"),
            )
        except ServiceError as exc:
            # PreventUserExistenceErrors: an unknown user looks like any other.
            if exc.code != "UserNotFoundException" or not client.prevent_user_existence_errors:
                raise
    user = _user_or_fake(pool, client.prevent_user_existence_errors, username)
    if user is None:
        return {"CodeDeliveryDetails": dict(_FAKE_DELIVERY)}
    if not user.enabled:
        raise not_authorized("User is disabled.")
    if user.status == "FORCE_CHANGE_PASSWORD":
        raise not_authorized("User password cannot be reset in the current state.")
    record = send_forgot_code(b, pool, user)
    return {"CodeDeliveryDetails": b.delivery(record)}


@operation("ConfirmForgotPassword")
async def confirm_forgot_password(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ConfirmForgotPassword: the code (single use, 1 hour) and a new password."""
    b = rc.backend
    pool, client = b.client(p.req_str("ClientId"))
    username = p.req_str("Username")
    code = p.req_str("ConfirmationCode", max_len=2048)
    password = p.req_str("Password", max_len=256)
    b.check_secret_hash(client, p.opt_str("SecretHash"), [username])
    user = _user_or_fake(pool, client.prevent_user_existence_errors, username)
    if user is None:
        raise code_mismatch()
    record = user.codes.get("FORGOT_PASSWORD")
    if record is None:
        raise expired_code()
    pool.check_password_policy(password, user)
    record.check(code, b.clock.now(), max_attempts=MAX_CONFIRM_ATTEMPTS)
    pool.set_password(user, password)
    if user.status in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
        user.status = "CONFIRMED"
        user.temporary_password_expires = None
    await post_confirmation(
        b,
        pool,
        user,
        "PostConfirmation_ConfirmForgotPassword",
        client_id=client.client_id,
        metadata=p.str_map("ClientMetadata"),
    )
    return {}


@operation("ChangePassword")
async def change_password(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ChangePassword: needs the previous password (when the user has one)."""
    b = rc.backend
    pool, user, _claims = _authed(rc, p)
    previous = p.opt_str("PreviousPassword", min_len=0)
    proposed = p.req_str("ProposedPassword", max_len=256)
    if user.has_password:
        if (
            user.failed_password_attempts >= pool.lockout_threshold
            and b.clock.now() < user.locked_until
        ):
            raise ServiceError(
                "LimitExceededException", "Attempt limit exceeded, please try after some time."
            )
        if not previous or not pool.password_matches(user, previous):
            user.failed_password_attempts += 1
            if user.failed_password_attempts >= pool.lockout_threshold:
                user.locked_until = b.clock.now() + pool.lockout_base_seconds
            raise not_authorized("Incorrect username or password.")
    pool.check_password_policy(proposed, user)
    pool.set_password(user, proposed)
    return {}


# ---------------------------------------------------------------------------- the user
@operation("GetUser")
async def get_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetUser."""
    pool, user, _claims = _authed(rc, p)
    return {
        "Username": user.username,
        "UserAttributes": user.attribute_list(),
        **user.mfa_response(pool),
    }


def update_attributes(
    b: Backend, pool: Pool, user: User, pairs: list[tuple[str, str]], *, admin: bool
) -> list[dict[str, str]]:
    """Apply attribute changes; changed e-mail/phone need verification (codes are sent).

    Returns the CodeDeliveryDetailsList.
    """
    attributes = pool.validate_attributes(pairs, allow_verified_flags=admin, allow_immutable=False)
    # "To delete an attribute from the user, submit the attribute in your API request with
    # a blank value" (API reference, UpdateUserAttributes and AdminUpdateUserAttributes).
    blank = [name for name, value in attributes.items() if value == ""]
    _check_deletable(pool, blank)
    attributes = {name: value for name, value in attributes.items() if value != ""}
    deliveries: list[dict[str, str]] = []
    before_update = (
        pool.settings["UserAttributeUpdateSettings"].get(
            "AttributesRequireVerificationBeforeUpdate"
        )
        or []
    )
    for name, value in attributes.items():
        if name in ("email", "phone_number") and value != user.attr(name):
            conflict = pool.alias_conflict(user, name, value)
            if conflict is not None and (name in pool.username_attributes):
                raise ServiceError(
                    "AliasExistsException", f"An account with the given {name} already exists."
                )
            verified_now = admin and attributes.get(f"{name}_verified") == "true"
            if verified_now:
                user.attributes[name] = value
                continue
            if name in pool.auto_verified:
                channel = "EMAIL" if name == "email" else "SMS"
                if name in before_update and user.attr(name):
                    user.pending_attributes[name] = value
                else:
                    user.attributes[name] = value
                    user.attributes[f"{name}_verified"] = "false"
                record = b.issue_code(
                    pool,
                    user,
                    "ATTRIBUTE_VERIFICATION",
                    channel,
                    ATTRIBUTE_CODE_TTL,
                    key=f"ATTR:{name}",
                    attribute=name,
                    destination=value,
                )
                deliveries.append(b.delivery(record))
            else:
                user.attributes[name] = value
                user.attributes[f"{name}_verified"] = "false"
        else:
            user.attributes[name] = value
    _delete(user, blank)
    user.modified = b.clock.now()
    return deliveries


@operation("UpdateUserAttributes")
async def update_user_attributes(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateUserAttributes: a new e-mail/phone is unverified until VerifyUserAttribute."""
    pool, user, _claims = _authed(rc, p)
    pairs = p.attributes("UserAttributes")
    if pairs is None:
        p.req_str("UserAttributes")
    deliveries = update_attributes(rc.backend, pool, user, pairs or [], admin=False)
    return {"CodeDeliveryDetailsList": deliveries} if deliveries else {}


def _check_deletable(pool: Pool, names: list[str]) -> None:
    for name in names:
        if name == "sub" or name in pool.required_attributes:
            raise invalid_parameter(f"Cannot delete the required attribute {name}")
        if name in pool.username_attributes:
            raise invalid_parameter(f"Cannot delete {name}: it is a username attribute")


def _delete(user: User, names: list[str]) -> None:
    for name in names:
        user.attributes.pop(name, None)
        if name in ("email", "phone_number"):
            user.attributes.pop(f"{name}_verified", None)
            user.pending_attributes.pop(name, None)
            user.codes.pop(f"ATTR:{name}", None)


def delete_attributes(pool: Pool, user: User, names: list[str]) -> None:
    """Remove attributes (not sub, not required ones, not the username attribute)."""
    _check_deletable(pool, names)
    _delete(user, names)


@operation("DeleteUserAttributes")
async def delete_user_attributes(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteUserAttributes."""
    pool, user, _claims = _authed(rc, p)
    names = p.str_list("UserAttributeNames")
    if names is None:
        p.req_str("UserAttributeNames")
    delete_attributes(pool, user, names or [])
    return {}


@operation("DeleteUser")
async def delete_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteUser: the user deletes themself (all their tokens stop working)."""
    pool, user, _claims = _authed(rc, p)
    pool.remove_user(user)
    return {}


@operation("GetUserAttributeVerificationCode")
async def get_user_attribute_verification_code(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetUserAttributeVerificationCode: e-mail or phone."""
    b = rc.backend
    pool, user, _claims = _authed(rc, p)
    name = p.req_str("AttributeName", max_len=32)
    if name not in ("email", "phone_number"):
        raise invalid_parameter(f"Cannot verify attribute {name}")
    value = user.pending_attributes.get(name) or user.attr(name)
    if not value:
        raise invalid_parameter(f"User does not have the attribute {name}")
    channel = "EMAIL" if name == "email" else "SMS"
    record = b.issue_code(
        pool,
        user,
        "ATTRIBUTE_VERIFICATION",
        channel,
        ATTRIBUTE_CODE_TTL,
        key=f"ATTR:{name}",
        attribute=name,
        destination=value,
    )
    return {"CodeDeliveryDetails": b.delivery(record)}


@operation("VerifyUserAttribute")
async def verify_user_attribute(rc: RequestContext, p: Params) -> dict[str, Any]:
    """VerifyUserAttribute: marks the e-mail/phone verified (applies a pending value)."""
    b = rc.backend
    pool, user, _claims = _authed(rc, p)
    name = p.req_str("AttributeName", max_len=32)
    code = p.req_str("Code")
    record = user.codes.get(f"ATTR:{name}")
    if record is None:
        raise code_mismatch()
    value = record.value or ""
    # The code first: a wrong code answers CodeMismatchException whoever holds the alias.
    record.verify(code, b.clock.now(), max_attempts=MAX_CONFIRM_ATTEMPTS)
    alias_holder(pool, user, name, value, force=False)
    record.used = True
    if user.pending_attributes.get(name) == value:
        user.pending_attributes.pop(name)
    user.attributes[name] = value
    user.attributes[f"{name}_verified"] = "true"
    user.modified = b.clock.now()
    return {}


@operation("GlobalSignOut")
async def global_sign_out(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GlobalSignOut: revokes every refresh and access token of the user."""
    pool, user, _claims = _authed(rc, p)
    rc.backend.revoke_user_tokens(pool, user)
    return {}


@operation("GetUserAuthFactors")
async def get_user_auth_factors(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetUserAuthFactors: the sign-in factors and MFA the user has."""
    pool, user, _claims = _authed(rc, p)
    return auth_factors(pool, user)


@operation("UpdateAuthEventFeedback")
async def update_auth_event_feedback(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateAuthEventFeedback: needs the pool's threat protection (UserPoolAddOns)."""
    b = rc.backend
    pool = b.pool(p.req_str("UserPoolId"))
    username = p.req_str("Username")
    event_id = p.req_str("EventId")
    p.req_str("FeedbackToken")
    p.enum("FeedbackValue", ("Valid", "Invalid"), required=True)
    require_threat_protection(pool)
    # The API reference: Username "can be any of their alias attributes ... [or] the sub
    # of a local user". It takes no tokens (botocore: smithy.api#noAuth).
    user = pool.find_user(username) or pool.user_by_sub(username)
    if user is None:
        raise ServiceError("UserNotFoundException", "User does not exist.")
    if event_id not in user.event_ids:
        raise ServiceError("ResourceNotFoundException", "Auth event not found.")
    return {}
