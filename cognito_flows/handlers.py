"""Handler mode: :func:`run_with_handlers`, a loop over step mode.

A driver exposes ``start()`` and ``answer(value)``, each returning a :class:`Step`. Handler
mode asks the host's handler for each step's answer; it is not a second implementation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypedDict, Union

from typing_extensions import TypeVar

from .errors import CognitoFlowsError, HandlerError, MissingHandlerError
from .states import (
    ForgotPasswordStep,
    SignInStep,
    SignUpStep,
    TotpSetupStep,
    VerifyAttributeStep,
)
from .steps import NewPassword, ResetPassword, Step, TotpCode

_S = TypeVar("_S", bound=str, covariant=True, default=str)

__all__ = [
    "ForgotPasswordConfirmForgotPasswordHandler",
    "ForgotPasswordHandlerMap",
    "ForgotPasswordHandlers",
    "Handlers",
    "SignInCustomChallengeHandler",
    "SignInEmailOtpHandler",
    "SignInHandlerMap",
    "SignInHandlers",
    "SignInMfaSetupHandler",
    "SignInNewPasswordRequiredHandler",
    "SignInPasswordHandler",
    "SignInRememberDeviceHandler",
    "SignInSelectChallengeHandler",
    "SignInSelectMfaTypeHandler",
    "SignInSmsMfaHandler",
    "SignInSmsOtpHandler",
    "SignInSoftwareTokenMfaHandler",
    "SignInWebAuthnHandler",
    "SignUpConfirmSignUpHandler",
    "SignUpHandlerMap",
    "SignUpHandlers",
    "StepFlow",
    "TotpSetupHandlerMap",
    "TotpSetupHandlers",
    "TotpSetupVerifySoftwareTokenHandler",
    "VerifyAttributeHandlerMap",
    "VerifyAttributeHandlers",
    "VerifyAttributeVerifyAttributeHandler",
    "run_with_handlers",
]


class StepFlow(Protocol, Generic[_S]):
    """What :func:`run_with_handlers` drives: any flow driver with step mode."""

    async def start(self) -> Step[_S]:
        """Begin the flow and return its first step."""
        ...

    async def answer(self, value: Any = None) -> Step[_S]:
        """Answer the current step and return the next."""
        ...


Handler = Callable[[Step], Awaitable[Any]]
#: What :func:`run_with_handlers` accepts: an object with handler methods named after the
#: steps, or a mapping of them (each flow's ``...Handlers`` type below says which).
Handlers = Any

# sign-in


class SignInPasswordHandler(Protocol):
    """Has ``password``: the password (PASSWORD, PASSWORD_SRP, a resumed SRP)."""

    def password(self, step: SignInStep, /) -> Awaitable[str] | str:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInNewPasswordRequiredHandler(Protocol):
    """Has ``new_password_required``: the new password or a :class:`NewPassword`."""

    def new_password_required(
        self, step: SignInStep, /
    ) -> Awaitable[str | NewPassword] | str | NewPassword:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInSmsMfaHandler(Protocol):
    """Has ``sms_mfa``: SMS_MFA: the code."""

    def sms_mfa(self, step: SignInStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInSoftwareTokenMfaHandler(Protocol):
    """Has ``software_token_mfa``: SOFTWARE_TOKEN_MFA: the code of the authenticator app."""

    def software_token_mfa(self, step: SignInStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInEmailOtpHandler(Protocol):
    """Has ``email_otp``: EMAIL_OTP: the code."""

    def email_otp(self, step: SignInStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInSmsOtpHandler(Protocol):
    """Has ``sms_otp``: SMS_OTP: the code."""

    def sms_otp(self, step: SignInStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInSelectMfaTypeHandler(Protocol):
    """Has ``select_mfa_type``: SELECT_MFA_TYPE: one of ``step.options``."""

    def select_mfa_type(self, step: SignInStep, /) -> Awaitable[str] | str:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInMfaSetupHandler(Protocol):
    """Has ``mfa_setup``: MFA_SETUP: the MFA type, then the TOTP code or e-mail."""

    def mfa_setup(self, step: SignInStep, /) -> Awaitable[str | TotpCode] | str | TotpCode:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInSelectChallengeHandler(Protocol):
    """Has ``select_challenge``: SELECT_CHALLENGE: a first factor from ``step.options``."""

    def select_challenge(self, step: SignInStep, /) -> Awaitable[str] | str:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInCustomChallengeHandler(Protocol):
    """Has ``custom_challenge``: CUSTOM_CHALLENGE: the answer."""

    def custom_challenge(self, step: SignInStep, /) -> Awaitable[str] | str:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInWebAuthnHandler(Protocol):
    """Has ``web_authn``: the browser's ``PublicKeyCredential.toJSON()`` (dict or JSON)."""

    def web_authn(
        self, step: SignInStep, /
    ) -> Awaitable[str | bytes | Mapping[str, Any]] | str | bytes | Mapping[str, Any]:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


class SignInRememberDeviceHandler(Protocol):
    """Has ``remember_device``: REMEMBER_DEVICE: True or False (default False)."""

    def remember_device(self, step: SignInStep, /) -> Awaitable[bool] | bool:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


#: Handlers of the sign-in flow: any object with at least one of its handler methods,
#: correctly named and typed (a Protocol cannot have optional members, PEP 544, hence one
#: Protocol per method); or a :data:`SignInHandlerMap`, or any mapping of callables.
SignInHandlers = Union[
    SignInPasswordHandler,
    SignInNewPasswordRequiredHandler,
    SignInSmsMfaHandler,
    SignInSoftwareTokenMfaHandler,
    SignInEmailOtpHandler,
    SignInSmsOtpHandler,
    SignInSelectMfaTypeHandler,
    SignInMfaSetupHandler,
    SignInSelectChallengeHandler,
    SignInCustomChallengeHandler,
    SignInWebAuthnHandler,
    SignInRememberDeviceHandler,
    "SignInHandlerMap",
    Mapping[str, Callable[[SignInStep], Any]],
]


# sign-up


class SignUpConfirmSignUpHandler(Protocol):
    """Has ``confirm_sign_up``: CONFIRM_SIGN_UP: the confirmation code."""

    def confirm_sign_up(self, step: SignUpStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


#: Handlers of the sign-up flow: any object with at least one of its handler methods,
#: correctly named and typed (a Protocol cannot have optional members, PEP 544, hence one
#: Protocol per method); or a :data:`SignUpHandlerMap`, or any mapping of callables.
SignUpHandlers = Union[
    SignUpConfirmSignUpHandler,
    "SignUpHandlerMap",
    Mapping[str, Callable[[SignUpStep], Any]],
]


# forgot-password


class ForgotPasswordConfirmForgotPasswordHandler(Protocol):
    """Has ``confirm_forgot_password``: CONFIRM_FORGOT_PASSWORD: the code and the new password."""

    def confirm_forgot_password(
        self, step: ForgotPasswordStep, /
    ) -> Awaitable[ResetPassword] | ResetPassword:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


#: Handlers of the forgot-password flow: any object with at least one of its handler methods,
#: correctly named and typed (a Protocol cannot have optional members, PEP 544, hence one
#: Protocol per method); or a :data:`ForgotPasswordHandlerMap`, or any mapping of callables.
ForgotPasswordHandlers = Union[
    ForgotPasswordConfirmForgotPasswordHandler,
    "ForgotPasswordHandlerMap",
    Mapping[str, Callable[[ForgotPasswordStep], Any]],
]


# TOTP set-up


class TotpSetupVerifySoftwareTokenHandler(Protocol):
    """Has ``verify_software_token``: VERIFY_SOFTWARE_TOKEN: the code, or a :class:`TotpCode`."""

    def verify_software_token(
        self, step: TotpSetupStep, /
    ) -> Awaitable[str | TotpCode] | str | TotpCode:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


#: Handlers of the TOTP set-up flow: any object with at least one of its handler methods,
#: correctly named and typed (a Protocol cannot have optional members, PEP 544, hence one
#: Protocol per method); or a :data:`TotpSetupHandlerMap`, or any mapping of callables.
TotpSetupHandlers = Union[
    TotpSetupVerifySoftwareTokenHandler,
    "TotpSetupHandlerMap",
    Mapping[str, Callable[[TotpSetupStep], Any]],
]


# attribute verification


class VerifyAttributeVerifyAttributeHandler(Protocol):
    """Has ``verify_attribute``: CONFIRM_ATTRIBUTE: the code."""

    def verify_attribute(self, step: VerifyAttributeStep, /) -> Awaitable[str | int] | str | int:
        """Answer the step (an ``async def`` or a plain method)."""
        ...


#: Handlers of the attribute verification flow: any object with at least one of its handler methods,
#: correctly named and typed (a Protocol cannot have optional members, PEP 544, hence one
#: Protocol per method); or a :data:`VerifyAttributeHandlerMap`, or any mapping of callables.
VerifyAttributeHandlers = Union[
    VerifyAttributeVerifyAttributeHandler,
    "VerifyAttributeHandlerMap",
    Mapping[str, Callable[[VerifyAttributeStep], Any]],
]


#: The mapping form of the sign_up handlers: keys are handler method names, states or
#: ChallengeNames (as :func:`run_with_handlers` looks them up); a misspelled key in a literal
#: annotated with this type is a type error.
class SignUpHandlerMap(TypedDict, total=False):
    confirm_sign_up: Callable[[SignUpStep], Any]
    CONFIRM_SIGN_UP: Callable[[SignUpStep], Any]


#: The mapping form of the sign_in handlers: keys are handler method names, states or
#: ChallengeNames (as :func:`run_with_handlers` looks them up); a misspelled key in a literal
#: annotated with this type is a type error.
class SignInHandlerMap(TypedDict, total=False):
    custom_challenge: Callable[[SignInStep], Any]
    email_otp: Callable[[SignInStep], Any]
    mfa_setup: Callable[[SignInStep], Any]
    new_password_required: Callable[[SignInStep], Any]
    password: Callable[[SignInStep], Any]
    remember_device: Callable[[SignInStep], Any]
    select_challenge: Callable[[SignInStep], Any]
    select_mfa_type: Callable[[SignInStep], Any]
    sms_mfa: Callable[[SignInStep], Any]
    sms_otp: Callable[[SignInStep], Any]
    software_token_mfa: Callable[[SignInStep], Any]
    web_authn: Callable[[SignInStep], Any]
    CUSTOM_CHALLENGE: Callable[[SignInStep], Any]
    EMAIL_OTP: Callable[[SignInStep], Any]
    MFA_SETUP: Callable[[SignInStep], Any]
    MFA_SETUP_EMAIL: Callable[[SignInStep], Any]
    MFA_SETUP_SOFTWARE_TOKEN: Callable[[SignInStep], Any]
    NEW_PASSWORD_REQUIRED: Callable[[SignInStep], Any]
    PASSWORD: Callable[[SignInStep], Any]
    PASSWORD_SRP: Callable[[SignInStep], Any]
    PASSWORD_VERIFIER: Callable[[SignInStep], Any]
    REMEMBER_DEVICE: Callable[[SignInStep], Any]
    SELECT_CHALLENGE: Callable[[SignInStep], Any]
    SELECT_MFA_TYPE: Callable[[SignInStep], Any]
    SMS_MFA: Callable[[SignInStep], Any]
    SMS_OTP: Callable[[SignInStep], Any]
    SOFTWARE_TOKEN_MFA: Callable[[SignInStep], Any]
    WEB_AUTHN: Callable[[SignInStep], Any]


#: The mapping form of the forgot_password handlers: keys are handler method names, states or
#: ChallengeNames (as :func:`run_with_handlers` looks them up); a misspelled key in a literal
#: annotated with this type is a type error.
class ForgotPasswordHandlerMap(TypedDict, total=False):
    confirm_forgot_password: Callable[[ForgotPasswordStep], Any]
    CONFIRM_FORGOT_PASSWORD: Callable[[ForgotPasswordStep], Any]


#: The mapping form of the totp_setup handlers: keys are handler method names, states or
#: ChallengeNames (as :func:`run_with_handlers` looks them up); a misspelled key in a literal
#: annotated with this type is a type error.
class TotpSetupHandlerMap(TypedDict, total=False):
    verify_software_token: Callable[[TotpSetupStep], Any]
    VERIFY_SOFTWARE_TOKEN: Callable[[TotpSetupStep], Any]


#: The mapping form of the verify_attribute handlers: keys are handler method names, states or
#: ChallengeNames (as :func:`run_with_handlers` looks them up); a misspelled key in a literal
#: annotated with this type is a type error.
class VerifyAttributeHandlerMap(TypedDict, total=False):
    verify_attribute: Callable[[VerifyAttributeStep], Any]
    CONFIRM_ATTRIBUTE: Callable[[VerifyAttributeStep], Any]


#: Step handlers that may be left out; their default answer.
_OPTIONAL_HANDLERS: dict[str, Any] = {"remember_device": False}


def _resolve(handlers: Handlers, step: Step) -> Handler | None:
    if handlers is None or step.handler is None:
        return None
    if isinstance(handlers, Mapping):
        found = (
            handlers.get(step.state)
            or (handlers.get(step.challenge) if step.challenge else None)
            or handlers.get(step.handler)
        )
    else:
        found = getattr(handlers, step.handler, None)
    return found if callable(found) else None


async def run_with_handlers(
    flow: StepFlow[_S],
    handlers: Handlers,
    *,
    first: Step[_S] | None = None,
    raise_error: bool = True,
) -> Step[_S]:
    """Drive ``flow`` to its end, answering each step with the host's handler.

    ``handlers`` is an object with async methods named after the steps (``sms_mfa``,
    ``software_token_mfa``...) or a mapping from ChallengeName or method name to an async
    callable. Each handler gets the :class:`Step` and returns the answer. After a rejected
    answer (``step.retry``) the same handler is asked again, with ``step.error`` set.

    Returns:
        the final step. Raises its error if the flow ended in failure.

    Raises:
        MissingHandlerError: a step arrived for which there is no handler (the flow stays
            in that step and can still be answered in step mode).
        HandlerError: a handler raised (chained); the flow stays in its step.
        InvalidAnswerError: a handler returned an answer of the wrong type or shape.
    """
    step = first if first is not None else await flow.start()
    while not step.done:
        handler = _resolve(handlers, step)
        if handler is None:
            if step.handler in _OPTIONAL_HANDLERS:
                step = await flow.answer(_OPTIONAL_HANDLERS[step.handler])
                continue
            raise MissingHandlerError(step.state)
        try:
            result = handler(step)
            answer = await result if inspect.isawaitable(result) else result
        except CognitoFlowsError:
            raise
        except Exception as exc:
            raise HandlerError(f"handler {step.handler} raised {type(exc).__name__}") from exc
        step = await flow.answer(answer)
    if raise_error:
        step.raise_for_error()
    return step
