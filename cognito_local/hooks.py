"""Where the emulator fires the user pool Lambda triggers, with AWS's event shapes.

Each function builds the ``request`` / ``response`` members the developer guide documents
for its trigger (https://docs.aws.amazon.com/cognito/latest/developerguide/, pages
``user-pool-lambda-<trigger>.html``) and applies what the response asks for:

* Pre sign-up (``user-pool-lambda-pre-sign-up``): request ``userAttributes``,
  ``validationData``, ``clientMetadata``; response ``autoConfirmUser``,
  ``autoVerifyEmail``, ``autoVerifyPhone``. Sources ``PreSignUp_SignUp``,
  ``PreSignUp_AdminCreateUser`` (``PreSignUp_ExternalProvider`` needs federation).
* Post confirmation (``user-pool-lambda-post-confirmation``): request
  ``userAttributes``, ``clientMetadata``; response ``{}``. Invoked on ConfirmSignUp,
  AdminConfirmSignUp (``PostConfirmation_ConfirmSignUp``) and ConfirmForgotPassword
  (``PostConfirmation_ConfirmForgotPassword``), not for admin-created users.
* Pre authentication (``user-pool-lambda-pre-authentication``): request
  ``userAttributes``, ``validationData`` (the ClientMetadata of InitiateAuth),
  ``userNotFound`` (only when the client prevents user existence errors); response ``{}``.
* Post authentication (``user-pool-lambda-post-authentication``): request
  ``userAttributes``, ``newDeviceUsed``, ``clientMetadata``; response ``{}``.
* Pre token generation (``user-pool-lambda-pre-token-generation``): request
  ``userAttributes``, ``groupConfiguration`` (``groupsToOverride``,
  ``iamRolesToOverride``, ``preferredRole``), ``clientMetadata`` and, from version 2,
  ``scopes``. Response V1 ``claimsOverrideDetails`` (``claimsToAddOrOverride``,
  ``claimsToSuppress``, ``groupOverrideDetails``); V2/V3
  ``claimsAndScopeOverrideDetails`` (``idTokenGeneration``, ``accessTokenGeneration``
  with ``scopesToAdd`` / ``scopesToSuppress``, ``groupOverrideDetails``). Sources
  ``TokenGeneration_Authentication``, ``_NewPasswordChallenge``, ``_AuthenticateDevice``,
  ``_RefreshTokens``.
* Migrate user (``user-pool-lambda-migrate-user``): ``userName``; request ``password``
  (not for the forgot-password source), ``validationData``, ``clientMetadata``; response
  ``userAttributes``, ``finalUserStatus``, ``messageAction``, ``desiredDeliveryMediums``,
  ``forceAliasCreation``, ``enableSMSMFA``. Sources ``UserMigration_Authentication``
  (USER_PASSWORD_AUTH / ADMIN_USER_PASSWORD_AUTH only: the password must reach the
  function) and ``UserMigration_ForgotPassword``. Errors as the Knowledge Center lists them
  (https://repost.aws/knowledge-center/cognito-migration-lambda-trigger-errors):
  ``UserNotFoundException: Exception migrating user in app client <id>``.
* Custom message (``user-pool-lambda-custom-message``): request ``userAttributes``,
  ``codeParameter`` (``{####}``), ``linkParameter``, ``usernameParameter`` (``{username}``
  for ``CustomMessage_AdminCreateUser`` only), ``clientMetadata``; response
  ``smsMessage``, ``emailMessage``, ``emailSubject``. The outbox records the message the
  function made (``Message.body`` / ``Message.subject``), with the code put in.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ServiceError
from .groups import group_claims, group_configuration, groups_of_user, preferred_role
from .triggers import ADMIN_CLIENT_ID, TRIGGER_NAMES, Trigger, run_trigger

if TYPE_CHECKING:
    from .codes import Message
    from .model import Pool, User
    from .params import RequestContext
    from .sessions import AuthContext
    from .state import Backend

__all__ = [
    "TokenCustomization",
    "apply_token_claims",
    "customize_messages",
    "message_scope",
    "note_message",
    "resolve",
]

# Claims a pre token generation function cannot add, change or suppress: the developer
# guide's list ("You can not modify the following claims: acr, amr, aud, at_hash, auth_time,
# azp, cognito:username, exp, iat, identities, iss, jti, nbf, nonce, origin_jti, sub,
# token_use"), plus client_id, event_id, username and device_key, which the emulator keeps
# because it reads them back (an assumption: no source lists them). Changes to them are
# ignored, as the guide does not say an error follows.
PROTECTED_CLAIMS = frozenset(
    {
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "c_hash",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
        "cognito:username",
        "client_id",
        "event_id",
        "username",
        "device_key",
    }
)


def resolve(pool: Pool, name: str) -> tuple[Trigger | None, str]:
    """The trigger for LambdaConfig member ``name`` and its event version.

    The callable set in Python wins; otherwise the ARN in ``LambdaConfig`` is looked up in
    the emulator's registry (:meth:`LocalCognito.register_lambda`).

    Raises:
        ServiceError: ``UnexpectedLambdaException`` when LambdaConfig names an ARN with no
            registered callable (the function cannot be invoked).
    """
    triggers = pool.triggers
    fn: Trigger | None = getattr(triggers, TRIGGER_NAMES[name])
    version = triggers.pre_token_generation_version if name == "PreTokenGeneration" else "V1_0"
    if fn is not None:
        return fn, version
    config: Mapping[str, Any] = pool.settings.get("LambdaConfig") or {}
    arn = config.get(name)
    if name == "PreTokenGeneration":
        versioned = config.get("PreTokenGenerationConfig") or {}
        if versioned.get("LambdaArn"):
            arn = versioned["LambdaArn"]
            version = str(versioned.get("LambdaVersion") or "V1_0")
    if not arn:
        return None, version
    found = pool.backend.lambdas.get(str(arn))
    if found is None:
        raise ServiceError(
            "UnexpectedLambdaException",
            f"{name} invocation failed: no function is registered for {arn} "
            "(LocalCognito.register_lambda).",
        )
    return found, version


def user_attributes(user: User | None) -> dict[str, str]:
    """``request.userAttributes`` of a user: sub, the attributes, and the status."""
    if user is None:
        return {}
    return {"sub": user.sub, **user.attributes, "cognito:user_status": user.status}


async def fire(
    b: Backend,
    pool: Pool,
    name: str,
    source: str,
    *,
    user: User | None,
    user_name: str | None,
    client_id: str | None,
    request: dict[str, Any],
    response: dict[str, Any],
    trigger: Trigger | None = None,
    version: str = "1",
) -> dict[str, Any] | None:
    """Run the pool's ``name`` trigger when it has one; ``None`` when it has none."""
    if trigger is None:
        trigger, _ = resolve(pool, name)
    if trigger is None:
        return None

    def sender(channel: str, destination: str, purpose: str, code: str) -> None:
        b.send(pool, user, channel, destination, purpose, code)

    return await run_trigger(
        name,
        trigger,
        source=source,
        region=pool.region,
        pool_id=pool.id,
        user_name=user_name,
        client_id=client_id or ADMIN_CLIENT_ID,
        request=request,
        response=response,
        sender=sender,
        version=version,
    )


# ---------------------------------------------------------------------------- sign-up
@attrs.frozen
class SignUpDecision:
    """What a pre sign-up function answered."""

    auto_confirm: bool = False
    auto_verify_email: bool = False
    auto_verify_phone: bool = False


async def pre_sign_up(
    b: Backend,
    pool: Pool,
    source: str,
    *,
    username: str,
    client_id: str | None,
    attributes: Mapping[str, str],
    validation: Mapping[str, str],
    metadata: Mapping[str, str],
) -> SignUpDecision:
    """Fire PreSignUp before the user is created; a raise refuses the sign-up."""
    answer = await fire(
        b,
        pool,
        "PreSignUp",
        source,
        user=None,
        user_name=username,
        client_id=client_id,
        request={
            "userAttributes": dict(attributes),
            "validationData": dict(validation) or None,
            "clientMetadata": dict(metadata),
        },
        response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    )
    if answer is None:
        return SignUpDecision()
    decision = SignUpDecision(
        auto_confirm=answer.get("autoConfirmUser") is True,
        auto_verify_email=answer.get("autoVerifyEmail") is True,
        auto_verify_phone=answer.get("autoVerifyPhone") is True,
    )
    # "If autoVerifyEmail is set to true, the email attribute must have a valid, non-null
    # value. Otherwise an error will occur" (the guide does not quote the error).
    for flag, name in (
        (decision.auto_verify_email, "email"),
        (decision.auto_verify_phone, "phone_number"),
    ):
        if flag and not attributes.get(name):
            raise ServiceError(
                "InvalidLambdaResponseException",
                f"Invalid lambda response: auto verification of {name} needs a {name}.",
            )
    return decision


async def post_confirmation(
    b: Backend,
    pool: Pool,
    user: User,
    source: str,
    *,
    client_id: str | None,
    metadata: Mapping[str, str],
) -> None:
    """Fire PostConfirmation (the user is already confirmed when it runs)."""
    await fire(
        b,
        pool,
        "PostConfirmation",
        source,
        user=user,
        user_name=user.username,
        client_id=client_id,
        request={"userAttributes": user_attributes(user), "clientMetadata": dict(metadata)},
        response={},
    )


# ---------------------------------------------------------------------------- sign-in
async def pre_authentication(b: Backend, ctx: AuthContext) -> None:
    """Fire PreAuthentication at InitiateAuth, before any credential is checked."""
    if ctx.user is None and not ctx.client.prevent_user_existence_errors:
        return
    request: dict[str, Any] = {
        "userAttributes": user_attributes(ctx.user),
        "validationData": dict(ctx.client_metadata),
    }
    if ctx.client.prevent_user_existence_errors:
        request["userNotFound"] = ctx.user is None
    await fire(
        b,
        ctx.pool,
        "PreAuthentication",
        "PreAuthentication_Authentication",
        user=ctx.user,
        user_name=ctx.user.username if ctx.user is not None else ctx.typed_username,
        client_id=ctx.client.client_id,
        request=request,
        response={},
    )


async def post_authentication(b: Backend, ctx: AuthContext) -> None:
    """Fire PostAuthentication once every challenge is passed, before the tokens."""
    user = ctx.user
    assert user is not None
    await fire(
        b,
        ctx.pool,
        "PostAuthentication",
        "PostAuthentication_Authentication",
        user=user,
        user_name=user.username,
        client_id=ctx.client.client_id,
        request={
            "userAttributes": user_attributes(user),
            "newDeviceUsed": ctx.pool.device_configuration is not None
            and not ctx.device_authenticated,
            "clientMetadata": dict(ctx.client_metadata),
        },
        response={},
    )


async def migrate_user(
    b: Backend,
    pool: Pool,
    source: str,
    *,
    username: str,
    client_id: str,
    password: str | None,
    metadata: Mapping[str, str],
) -> User | None:
    """Fire UserMigration for an unknown user; the migrated user, or ``None`` without a
    trigger.

    Raises:
        ServiceError: ``UserNotFoundException`` when the function gives no user (or bad
            values), as AWS answers.
    """
    trigger, _ = resolve(pool, "UserMigration")
    if trigger is None:
        return None
    request: dict[str, Any] = {
        "validationData": dict(metadata) if password is not None else {},
        "clientMetadata": dict(metadata),
    }
    if password is not None:
        request = {"password": password, **request}
    answer = await fire(
        b,
        pool,
        "UserMigration",
        source,
        user=None,
        user_name=username,
        client_id=client_id,
        request=request,
        response={
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
        trigger=trigger,
    )
    assert answer is not None
    failed = ServiceError(
        "UserNotFoundException", f"Exception migrating user in app client {client_id}"
    )
    raw = answer.get("userAttributes")
    if not isinstance(raw, Mapping) or not raw:
        raise failed
    status = answer.get("finalUserStatus") or (
        "CONFIRMED" if password is not None else "RESET_REQUIRED"
    )
    if status not in ("CONFIRMED", "RESET_REQUIRED"):
        raise ServiceError(
            "UserNotFoundException", "Error during migration: finalUserStatus is invalid"
        )
    action = answer.get("messageAction")
    if action not in (None, "SUPPRESS", "RESEND"):
        raise ServiceError(
            "UserNotFoundException", "Error during migration: messageAction is invalid"
        )
    mediums = answer.get("desiredDeliveryMediums") or []
    if not isinstance(mediums, list) or any(m not in ("SMS", "EMAIL") for m in mediums):
        raise ServiceError(
            "UserNotFoundException", "Error during migration: desiredDeliveryMediums is invalid"
        )
    pairs = [(str(k), str(v)) for k, v in raw.items() if k != "username"]
    try:
        attributes = pool.validate_attributes(pairs)
    except ServiceError as exc:
        raise ServiceError("UserNotFoundException", exc.message) from None
    # forceAliasCreation: "If this attribute is set to "false" and the alias exists, the
    # user will not be migrated, and an error is returned" (InitiateAuth and ForgotPassword
    # model no AliasExistsException: UserNotFoundException, as for the other migration
    # errors).
    holders: list[tuple[str, User]] = []
    for name in ("email", "phone_number"):
        value = attributes.get(name)
        if value and attributes.get(f"{name}_verified") == "true":
            other = pool.alias_conflict(None, name, value)
            if other is not None:
                if answer.get("forceAliasCreation") is not True:
                    raise ServiceError(
                        "UserNotFoundException",
                        f"An account with the given {name.replace('_', ' ')} already exists.",
                    )
                holders.append((name, other))
    user = pool.new_user(username, attributes, status)
    for name, other in holders:
        other.attributes[f"{name}_verified"] = "false"
    if password is not None:
        pool.set_password(user, password)
    if answer.get("enableSMSMFA") is True:
        user.sms_mfa_enabled = True
    # "If this attribute is not returned, the welcome message will be sent", by SMS unless
    # desiredDeliveryMediums says otherwise (developer guide, migrate user).
    if action != "SUPPRESS":
        for medium in mediums or ["SMS"]:
            destination = user.attr("email" if medium == "EMAIL" else "phone_number")
            if destination:
                b.send(pool, user, medium, destination, "WELCOME", "")
    return user


# ---------------------------------------------------------------------------- tokens
@attrs.define
class TokenCustomization:
    """What a pre token generation function changed (applied by :func:`apply_token_claims`)."""

    id_add: dict[str, Any] = attrs.field(factory=dict)
    id_suppress: list[str] = attrs.field(factory=list)
    access_add: dict[str, Any] = attrs.field(factory=dict)
    access_suppress: list[str] = attrs.field(factory=list)
    scopes_add: list[str] = attrs.field(factory=list)
    scopes_suppress: list[str] = attrs.field(factory=list)
    groups: list[str] | None = None
    roles: list[str] | None = None
    preferred_role: str | None = None
    preferred_role_set: bool = False


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value]


def _group_override(details: Mapping[str, Any], custom: TokenCustomization) -> None:
    """``groupOverrideDetails``: "The groupOverrideDetails object is replaced with the one
    you provide. If you provide an empty or null object in the response, then the groups
    are suppressed" (developer guide, pre token generation); absent, the groups stay."""
    if "groupOverrideDetails" not in details:
        return
    given = details.get("groupOverrideDetails")
    if not isinstance(given, Mapping):
        given = {}
    custom.groups = _strings(given.get("groupsToOverride"))
    custom.roles = _strings(given.get("iamRolesToOverride"))
    role = given.get("preferredRole")
    custom.preferred_role_set = True
    custom.preferred_role = None if role is None else str(role)


async def pre_token_generation(
    b: Backend,
    pool: Pool,
    client_id: str,
    user: User,
    source: str,
    metadata: Mapping[str, str],
    *,
    scopes: Sequence[str] | None = None,
) -> TokenCustomization | None:
    """Fire PreTokenGeneration; ``None`` when the pool has no such trigger.

    ``scopes``: the access token's scopes (from ``/oauth2/token``); API sign-ins and their
    refreshes have ``aws.cognito.signin.user.admin`` only."""
    trigger, version = resolve(pool, "PreTokenGeneration")
    if trigger is None:
        return None
    request: dict[str, Any] = {
        "userAttributes": user_attributes(user),
        "groupConfiguration": group_configuration(pool, user),
        "clientMetadata": dict(metadata),
    }
    v2 = version in ("V2_0", "V3_0")
    if v2:
        request["scopes"] = ["aws.cognito.signin.user.admin"] if scopes is None else list(scopes)
    response: dict[str, Any] = (
        {"claimsAndScopeOverrideDetails": None} if v2 else {"claimsOverrideDetails": None}
    )
    answer = await fire(
        b,
        pool,
        "PreTokenGeneration",
        source,
        user=user,
        user_name=user.username,
        client_id=client_id,
        request=request,
        response=response,
        trigger=trigger,
        version=version[1],
    )
    custom = TokenCustomization()
    if answer is None:
        return custom
    if v2:
        details = answer.get("claimsAndScopeOverrideDetails") or {}
        if not isinstance(details, Mapping):
            details = {}
        id_part = details.get("idTokenGeneration") or {}
        access_part = details.get("accessTokenGeneration") or {}
        if isinstance(id_part, Mapping):
            custom.id_add = dict(id_part.get("claimsToAddOrOverride") or {})
            custom.id_suppress = _strings(id_part.get("claimsToSuppress"))
        if isinstance(access_part, Mapping):
            custom.access_add = dict(access_part.get("claimsToAddOrOverride") or {})
            custom.access_suppress = _strings(access_part.get("claimsToSuppress"))
            custom.scopes_add = _strings(access_part.get("scopesToAdd"))
            custom.scopes_suppress = _strings(access_part.get("scopesToSuppress"))
    else:
        details = answer.get("claimsOverrideDetails") or {}
        if not isinstance(details, Mapping):
            details = {}
        # V1 claims are strings ("claimsToAddOrOverride": {"string": "string"}).
        custom.id_add = {
            str(k): str(v) for k, v in (details.get("claimsToAddOrOverride") or {}).items()
        }
        custom.id_suppress = _strings(details.get("claimsToSuppress"))
    _group_override(details, custom)
    return custom


def apply_token_claims(
    pool: Pool,
    user: User,
    access: dict[str, Any],
    id_claims: dict[str, Any],
    custom: TokenCustomization | None,
) -> None:
    """Add the group claims and apply a pre token generation answer, in place."""
    groups = groups_of_user(pool, user)
    names = [g.name for g in groups]
    roles: list[str] = []
    for g in groups:
        if g.role_arn and g.role_arn not in roles:
            roles.append(g.role_arn)
    preferred = preferred_role(groups)
    if custom is not None:
        if custom.groups is not None:
            names = custom.groups
        if custom.roles is not None:
            roles = custom.roles
        if custom.preferred_role_set:
            preferred = custom.preferred_role
    id_groups, access_groups = group_claims(names, roles, preferred)
    id_claims.update(id_groups)
    access.update(access_groups)
    if custom is None:
        return
    # "If a value is both suppressed and replaced, then it will be suppressed."
    for claims, add, suppress in (
        (id_claims, custom.id_add, custom.id_suppress),
        (access, custom.access_add, custom.access_suppress),
    ):
        for name, value in add.items():
            if name not in PROTECTED_CLAIMS:
                claims[name] = copy.deepcopy(value)
        for name in suppress:
            if name not in PROTECTED_CLAIMS:
                claims.pop(name, None)
    if custom.scopes_add or custom.scopes_suppress:
        scopes = [s for s in str(access.get("scope", "")).split() if s]
        scopes = [s for s in scopes if s not in custom.scopes_suppress]
        scopes += [s for s in custom.scopes_add if s not in scopes]
        if scopes:
            access["scope"] = " ".join(scopes)
        else:
            access.pop("scope", None)


# ---------------------------------------------------------------------------- messages
_SENT: contextvars.ContextVar[list[Message] | None] = contextvars.ContextVar(
    "cognito_local_sent", default=None
)

#: (outbox purpose, operation) -> CustomMessage trigger source; purpose alone as fallback.
_MESSAGE_SOURCES: dict[tuple[str, str | None], str] = {
    ("SIGN_UP", "SignUp"): "CustomMessage_SignUp",
    ("SIGN_UP", "ResendConfirmationCode"): "CustomMessage_ResendCode",
    ("SIGN_UP", None): "CustomMessage_SignUp",
    ("FORGOT_PASSWORD", None): "CustomMessage_ForgotPassword",
    ("ADMIN_CREATE_USER", None): "CustomMessage_AdminCreateUser",
    ("ATTRIBUTE_VERIFICATION", "GetUserAttributeVerificationCode"): (
        "CustomMessage_VerifyUserAttribute"
    ),
    ("ATTRIBUTE_VERIFICATION", None): "CustomMessage_UpdateUserAttribute",
    ("MFA", None): "CustomMessage_Authentication",
    ("EMAIL_OTP", None): "CustomMessage_Authentication",
    ("SMS_OTP", None): "CustomMessage_Authentication",
}
CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"


@contextmanager
def message_scope() -> Iterator[list[Message]]:
    """Collect the messages sent while one request is handled."""
    sent: list[Message] = []
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        _SENT.reset(token)


def note_message(message: Message) -> None:
    """Called by ``Backend.send``: remember ``message`` for :func:`customize_messages`."""
    sent = _SENT.get()
    if sent is not None:
        sent.append(message)


async def customize_messages(
    rc: RequestContext,
    sent: list[Message],
    client_id: str | None,
    metadata: Mapping[str, str],
) -> None:
    """Run each pool's CustomMessage trigger over the messages one request sent and record
    the text it made in the outbox."""
    b = rc.backend
    for message in sent:
        source = _MESSAGE_SOURCES.get((message.purpose, rc.operation)) or _MESSAGE_SOURCES.get(
            (message.purpose, None)
        )
        pool = b.pools.get(message.user_pool_id)
        if source is None or pool is None:
            continue
        trigger, _ = resolve(pool, "CustomMessage")
        if trigger is None:
            continue
        user = pool.find_user(message.username) if message.username else None
        admin = source == "CustomMessage_AdminCreateUser"
        request: dict[str, Any] = {
            "userAttributes": user_attributes(user),
            "codeParameter": CODE_PARAMETER,
            "linkParameter": "{##Click Here##}",
            "usernameParameter": USERNAME_PARAMETER if admin else None,
            "clientMetadata": dict(metadata),
        }
        answer = await fire(
            b,
            pool,
            "CustomMessage",
            source,
            user=user,
            user_name=message.username or None,
            client_id=None if admin else client_id,
            request=request,
            response={"smsMessage": None, "emailMessage": None, "emailSubject": None},
            trigger=trigger,
        )
        if answer is None:
            continue
        field = "emailMessage" if message.channel == "EMAIL" else "smsMessage"
        body = answer.get(field)
        subject = answer.get("emailSubject") if message.channel == "EMAIL" else None
        if body is None and subject is None:
            continue
        text = None
        if body is not None:
            text = str(body).replace(CODE_PARAMETER, message.code)
            if user is not None:
                text = text.replace(USERNAME_PARAMETER, user.username)
        b.outbox.replace(
            message,
            attrs.evolve(
                message,
                body=text if text is not None else message.body,
                subject=str(subject) if subject is not None else message.subject,
            ),
        )
