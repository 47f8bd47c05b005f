"""User pool Lambda triggers as Python callables with Lambda-shaped events.

A trigger is a callable (sync or async) taking the event dict that AWS Lambda would get
and returning the event (or ``None`` after changing ``event["response"]`` in place). The
event has the common parameters of the developer guide ("Connecting Lambda functions to
your user pool", https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html#cognito-user-pools-lambda-trigger-syntax-shared):
``version``, ``triggerSource``, ``region``, ``userPoolId``, ``userName``,
``callerContext`` (``awsSdkVersion``, ``clientId``; ``CLIENT_ID_NOT_APPLICABLE`` for the
admin operations, which have no app client), ``request`` and ``response``.

A pool's trigger for a ``LambdaConfig`` member is, in this order: the callable set in
Python (:meth:`Pool.set_triggers`, the ``triggers`` config key), or the callable
registered (:meth:`LocalCognito.register_lambda`, the ``lambdas`` config key) for the ARN
that ``LambdaConfig`` names (CreateUserPool / UpdateUserPool). A raising trigger gives
``UserLambdaValidationException: <Trigger> failed with error <message>.``, AWS's wording
("PreSignUp failed with error Registration from this domain is not allowed..",
aws-amplify/amplify-ui-android#314; "DefineAuthChallenge failed with error ...",
aws-amplify/amplify-js#9127).

Triggers may send codes with :func:`send_message`, which delivers to the emulator's
outbox while a trigger runs.
"""

from __future__ import annotations

import contextvars
import importlib
import inspect
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from .codes import mask_email, new_code
from .errors import ServiceError

__all__ = [
    "ADMIN_CLIENT_ID",
    "TRIGGER_NAMES",
    "LambdaContext",
    "Trigger",
    "TriggerSet",
    "import_trigger",
    "run_trigger",
    "send_message",
]

#: ``callerContext.clientId`` of triggers fired by admin operations (no app client).
ADMIN_CLIENT_ID = "CLIENT_ID_NOT_APPLICABLE"
#: What Cognito puts in ``callerContext.awsSdkVersion`` when it cannot tell.
SDK_VERSION = "aws-sdk-unknown-unknown"

#: LambdaConfig member -> TriggerSet attribute.
TRIGGER_NAMES: dict[str, str] = {
    "PreSignUp": "pre_sign_up",
    "PostConfirmation": "post_confirmation",
    "PreAuthentication": "pre_authentication",
    "PostAuthentication": "post_authentication",
    "PreTokenGeneration": "pre_token_generation",
    "UserMigration": "user_migration",
    "CustomMessage": "custom_message",
    "DefineAuthChallenge": "define_auth_challenge",
    "CreateAuthChallenge": "create_auth_challenge",
    "VerifyAuthChallengeResponse": "verify_auth_challenge_response",
}
PRE_TOKEN_VERSIONS = ("V1_0", "V2_0", "V3_0")

Event = dict[str, Any]
Trigger = Callable[[Event], "Event | Awaitable[Event | None] | None"]

# (send function) while a trigger runs: send(channel, destination, purpose, code)
_SENDER: contextvars.ContextVar[Callable[[str, str, str, str], None] | None] = (
    contextvars.ContextVar("cognito_local_sender", default=None)
)


def send_message(
    channel: str, destination: str, code: str, purpose: str = "CUSTOM_CHALLENGE"
) -> None:
    """Deliver ``code`` to the emulator's outbox from inside a trigger.

    Args:
        channel: ``"EMAIL"`` or ``"SMS"``.
        destination: the e-mail address or phone number.
        code: the code to deliver.
        purpose: the outbox purpose (default ``"CUSTOM_CHALLENGE"``).

    Raises:
        RuntimeError: called outside a trigger invocation.
    """
    sender = _SENDER.get()
    if sender is None:
        raise RuntimeError("send_message() can only be called while a trigger runs")
    sender(channel, destination, purpose, code)


@attrs.frozen
class LambdaContext:
    """The ``context`` a Lambda handler written as ``handler(event, context)`` receives.

    Cognito waits 5 seconds for a trigger (developer guide, "Connecting Lambda functions to
    your user pool"), hence the remaining time.
    """

    function_name: str = "cognito-local-trigger"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:cognito-local"
    memory_limit_in_mb: int = 128
    aws_request_id: str = attrs.field(factory=lambda: secrets.token_hex(16))
    log_group_name: str = "/aws/lambda/cognito-local-trigger"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """What is left of Cognito's 5 second trigger timeout."""
        return 5000


def _wants_context(trigger: Trigger) -> bool:
    """Whether ``trigger`` is a Lambda handler taking ``(event, context)``."""
    try:
        parameters = list(inspect.signature(trigger).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2 or any(
        p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters
    )


async def invoke(
    trigger: Trigger, event: Event, sender: Callable[[str, str, str, str], None]
) -> Event:
    """Run ``trigger`` on ``event`` with :func:`send_message` bound to ``sender``.

    A callable taking two positional arguments is a Lambda handler and also gets a
    :class:`LambdaContext`, so an app's own ``handler(event, context)`` runs unchanged.
    """
    token = _SENDER.set(sender)
    try:
        args: tuple[Any, ...] = (event, LambdaContext()) if _wants_context(trigger) else (event,)
        result = trigger(*args)
        if inspect.isawaitable(result):
            result = await result
    finally:
        _SENDER.reset(token)
    if result is None:
        return event
    if not isinstance(result, dict):
        raise TypeError("a trigger must return the event dict or None")
    return result


_ARN = re.compile(
    r"^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+"
    r"(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$"
)
_VERSIONED = {
    "PreTokenGenerationConfig": PRE_TOKEN_VERSIONS,
    "CustomSMSSender": ("V1_0",),
    "CustomEmailSender": ("V1_0",),
    "InboundFederation": ("V1_0",),
}


def check_lambda_config(config: Mapping[str, Any]) -> None:
    """Validate a ``LambdaConfig`` like botocore's model (``LambdaConfigType``): ARNs of
    20..2048 characters matching the ARN pattern, and the versioned triggers'
    ``LambdaArn`` / ``LambdaVersion``.

    Raises:
        ServiceError: ``InvalidParameterException``.
    """

    def arn_ok(where: str, value: Any) -> None:
        if not isinstance(value, str) or not 20 <= len(value) <= 2048 or not _ARN.match(value):
            raise ServiceError(
                "InvalidParameterException",
                f"1 validation error detected: Value '{value}' at 'lambdaConfig.{where}' "
                "failed to satisfy constraint: Member must satisfy regular expression "
                "pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:"
                "[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
            )

    for name, value in config.items():
        where = name[:1].lower() + name[1:]
        if name in TRIGGER_NAMES:
            arn_ok(where, value)
        elif name in _VERSIONED:
            if not isinstance(value, Mapping):
                raise ServiceError(
                    "InvalidParameterException", f"LambdaConfig.{name} must be a structure"
                )
            arn_ok(f"{where}.lambdaArn", value.get("LambdaArn"))
            version = value.get("LambdaVersion")
            if version not in _VERSIONED[name]:
                raise ServiceError(
                    "InvalidParameterException",
                    f"1 validation error detected: Value '{version}' at "
                    f"'lambdaConfig.{where}.lambdaVersion' failed to satisfy constraint: Member "
                    f"must satisfy enum value set: [{', '.join(_VERSIONED[name])}]",
                )
        elif name == "KMSKeyID":
            arn_ok("kMSKeyID", value)
        else:
            raise ServiceError("InvalidParameterException", f"Unknown LambdaConfig member {name}")


def import_trigger(reference: str) -> Trigger:
    """The callable named by ``"package.module:function"`` (the JSON config's form).

    Raises:
        ValueError: not ``module:function``, or the module or function does not exist.
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"a trigger reference is 'module:function', not {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for trigger {reference!r}") from exc
    target: Any = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
    if not callable(target):
        raise ValueError(f"{reference!r} is not a callable")
    fn: Trigger = target
    return fn


@attrs.frozen
class TriggerSet:
    """The Lambda triggers of a pool set from Python (any may be ``None``).

    ``pre_token_generation_version`` is the event version sent to
    ``pre_token_generation``: ``"V1_0"`` (ID token claims and groups), ``"V2_0"`` (also
    access token claims and scopes) or ``"V3_0"``.
    """

    define_auth_challenge: Trigger | None = None
    create_auth_challenge: Trigger | None = None
    verify_auth_challenge_response: Trigger | None = None
    pre_sign_up: Trigger | None = None
    post_confirmation: Trigger | None = None
    pre_authentication: Trigger | None = None
    post_authentication: Trigger | None = None
    pre_token_generation: Trigger | None = None
    pre_token_generation_version: str = attrs.field(default="V1_0")
    user_migration: Trigger | None = None
    custom_message: Trigger | None = None

    @pre_token_generation_version.validator
    def _check_version(self, _attribute: Any, value: str) -> None:
        if value not in PRE_TOKEN_VERSIONS:
            raise ValueError(f"pre_token_generation_version must be one of {PRE_TOKEN_VERSIONS}")

    @property
    def custom_auth_ready(self) -> bool:
        """Whether DefineAuthChallenge is set in Python (required for CUSTOM_AUTH)."""
        return self.define_auth_challenge is not None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TriggerSet:
        """Triggers from the JSON config's ``triggers`` object.

        Keys are LambdaConfig member names (``"PreSignUp"``, ``"PreTokenGeneration"``...);
        values are ``"module:function"`` references, or for ``PreTokenGeneration``
        ``{"handler": "module:function", "version": "V2_0"}``.

        Raises:
            ValueError: an unknown trigger name or a bad reference.
        """
        values: dict[str, Any] = {}
        for name, value in config.items():
            attribute = TRIGGER_NAMES.get(name)
            if attribute is None:
                raise ValueError(
                    f"unknown trigger {name!r}; one of {', '.join(sorted(TRIGGER_NAMES))}"
                )
            if isinstance(value, Mapping):
                if name != "PreTokenGeneration" or set(value) - {"handler", "version"}:
                    raise ValueError(f"trigger {name!r} must be a 'module:function' string")
                values["pre_token_generation_version"] = str(value.get("version", "V1_0"))
                value = value.get("handler")
            if not isinstance(value, str):
                raise ValueError(f"trigger {name!r} must be a 'module:function' string")
            values[attribute] = import_trigger(value)
        return cls(**values)

    @classmethod
    def email_code(cls, *, max_attempts: int = 3, digits: int = 6) -> TriggerSet:
        """The classic "code by e-mail" custom challenge.

        * Define: after ``SRP_A`` alone answer ``PASSWORD_VERIFIER``; after a correct
          ``CUSTOM_CHALLENGE`` issue tokens; after ``max_attempts`` wrong answers fail;
          otherwise ``CUSTOM_CHALLENGE``.
        * Create: a random ``digits``-digit code sent by e-mail to the user's ``email``
          (purpose ``CUSTOM_CHALLENGE``); the same code is reused for retries within one
          sign-in. Public parameters: ``{"email": masked address}``.
        * Verify: the answer equals the code.
        """

        def define(event: Event) -> Event:
            session = event["request"]["session"]
            response = event["response"]
            if event["request"].get("userNotFound"):
                response.update(issueTokens=False, failAuthentication=True)
                return event
            if session and session[-1]["challengeName"] == "SRP_A":
                response.update(
                    challengeName="PASSWORD_VERIFIER", issueTokens=False, failAuthentication=False
                )
                return event
            if (
                session
                and session[-1]["challengeName"] == "PASSWORD_VERIFIER"
                and not session[-1]["challengeResult"]
            ):
                response.update(issueTokens=False, failAuthentication=True)
                return event
            customs = [s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE"]
            if customs and customs[-1]["challengeResult"]:
                response.update(issueTokens=True, failAuthentication=False)
            elif len(customs) >= max_attempts:
                response.update(issueTokens=False, failAuthentication=True)
            else:
                response.update(
                    challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
                )
            return event

        def create(event: Event) -> Event:
            session = event["request"]["session"]
            previous = [
                s.get("challengeMetadata") or ""
                for s in session
                if s["challengeName"] == "CUSTOM_CHALLENGE"
            ]
            code = None
            if previous and previous[-1].startswith("CODE-"):
                code = previous[-1][5:]
            email = event["request"]["userAttributes"].get("email", "")
            if code is None:
                code = new_code(digits)
                if email:
                    send_message("EMAIL", email, code, "CUSTOM_CHALLENGE")
            event["response"]["publicChallengeParameters"] = {
                "email": mask_email(email) if email else "",
            }
            event["response"]["privateChallengeParameters"] = {"answer": code}
            event["response"]["challengeMetadata"] = f"CODE-{code}"
            return event

        def verify(event: Event) -> Event:
            expected = event["request"]["privateChallengeParameters"].get("answer", "")
            answer = event["request"].get("challengeAnswer") or ""
            event["response"]["answerCorrect"] = bool(expected) and secrets.compare_digest(
                expected.encode(), answer.encode()
            )
            return event

        return cls(
            define_auth_challenge=define,
            create_auth_challenge=create,
            verify_auth_challenge_response=verify,
        )


async def run_trigger(
    name: str,
    trigger: Trigger,
    *,
    source: str,
    region: str,
    pool_id: str,
    user_name: str | None,
    client_id: str,
    request: dict[str, Any],
    response: dict[str, Any],
    sender: Callable[[str, str, str, str], None],
    version: str = "1",
) -> dict[str, Any]:
    """Invoke ``trigger`` with a Lambda-shaped event; return the event's ``response``.

    Raises:
        ServiceError: ``UserLambdaValidationException`` when the trigger raises,
            ``InvalidLambdaResponseException`` when it returns no ``response`` object.
    """
    event: dict[str, Any] = {
        "version": version,
        "triggerSource": source,
        "region": region,
        "userPoolId": pool_id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": client_id},
        "request": request,
        "response": response,
    }
    try:
        result = await invoke(trigger, event, sender)
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(
            "UserLambdaValidationException", f"{name} failed with error {exc}."
        ) from None
    answer = result.get("response")
    if not isinstance(answer, dict):
        raise ServiceError(
            "InvalidLambdaResponseException", f"Invalid lambda response from {name}."
        )
    return answer
