"""Drivers of the sign-up and forgot-password flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CognitoError, FlowFinishedError, InvalidAnswerError, InvalidSessionError
from ..flows.forgot_password import FORGOT_PASSWORD, ForgotPasswordData
from ..flows.sign_up import SIGN_UP, SignUpData
from ..steps import CodeDelivery, ResetPassword, Step, require_code, require_text
from .base import FlowDriver, TransitionObserver
from .context import FlowContext
from .sign_in import SignInFlow

__all__ = ["ForgotPasswordFlow", "ResetPassword", "SignUpFlow"]


def _delivery(data: SignUpData | ForgotPasswordData) -> CodeDelivery | None:
    if not (data.delivery_medium or data.delivery_destination):
        return None
    return CodeDelivery(
        medium=data.delivery_medium,
        destination=data.delivery_destination,
        attribute=data.delivery_attribute,
    )


def _user_params(data: SignUpData | ForgotPasswordData) -> dict[str, Any]:
    """Username and ClientMetadata, as every call of these flows sends (the client adds
    ClientId and SecretHash)."""
    params: dict[str, Any] = {"Username": data.username}
    if data.client_metadata:
        params["ClientMetadata"] = dict(data.client_metadata)
    return params


def _attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidAnswerError("attributes must map strings to strings")
    return [{"Name": k, "Value": v} for k, v in attributes.items()]


class SignUpFlow(FlowDriver[SignUpData]):
    """One sign-up: ``start()`` calls SignUp, ``answer(code)`` confirms it.

    Create it with :meth:`UserPool.sign_up_flow` (or :meth:`UserPool.confirm_sign_up_flow`
    to confirm a user who signed up earlier). After ``CONFIRMED``, :meth:`sign_in_flow`
    signs the user in: with ConfirmSignUp's Session when the pool gave one (no password
    needed), otherwise with the password given at sign-up.
    """

    table = SIGN_UP
    data_class = SignUpData
    idle_lifetime = 24 * 3600.0  # a sign-up code lives 24 hours

    def __init__(
        self,
        ctx: FlowContext,
        data: SignUpData,
        *,
        password: str | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(ctx, data, on_transition=on_transition)
        self._password = password
        self._sign_up_session: str | None = None

    @property
    def step(self) -> Step:
        """The current step."""
        data = self.data
        return Step(
            flow="sign_up",
            state=data.state,
            done=self.done,
            handler="confirm_sign_up" if data.state == "CONFIRM_SIGN_UP" else None,
            error=self._error,
            retry=self._retry and not self.done,
            next_flow="sign_in" if data.state == "CONFIRMED" else None,
            delivery=_delivery(data),
            username=data.username,
        )

    def _base(self) -> dict[str, Any]:
        return _user_params(self.data)

    async def start(self) -> Step:
        """Call SignUp (once); returns the confirm step, or ``CONFIRMED`` at once."""
        async with self._lock:
            if self.data.state == "INITIAL":
                if not self._password:
                    raise InvalidAnswerError("sign-up needs a password")
                data = self.data
                response = await self._call(
                    "SignUp",
                    Password=self._password,
                    UserAttributes=_attribute_list(data.attributes) or None,
                    ValidationData=_attribute_list(data.validation_data) or None,
                    **self._base(),
                )
                if response is not None:
                    self._succeeded()
                    self._sign_up_session = response.get("Session")
                    event = (
                        "UserConfirmed" if response.get("UserConfirmed") else "CodeDeliveryDetails"
                    )
                    await self._fire(event, response=response)
            return self.step

    async def answer(self, value: Any = None) -> Step:
        """Confirm with the code Cognito sent.

        Raises:
            InvalidAnswerError: not a code; nothing was sent.
            FlowFinishedError: not waiting for a code.
        """
        async with self._lock:
            if self.data.state != "CONFIRM_SIGN_UP":
                raise FlowFinishedError(f"the sign-up flow is in {self.data.state}")
            code = require_code(value)
            if self._sign_up_session is not None:
                # SignUp's session (for auto sign-in) may have expired while the user read
                # their e-mail: confirm without it; sign-in then falls back to the password.
                try:
                    response = await self.ctx.call(
                        "ConfirmSignUp",
                        ConfirmationCode=code,
                        Session=self._sign_up_session,
                        **self._base(),
                    )
                except InvalidSessionError:
                    self._sign_up_session = None
                except CognitoError as exc:
                    await self._on_error(exc)
                    return self.step
                else:
                    self._succeeded()
                    await self._fire("ConfirmSignUp", response=response)
                    return self.step
            await self._call_then_fire(
                "ConfirmSignUp", "ConfirmSignUp", ConfirmationCode=code, **self._base()
            )
            return self.step

    async def resend(self) -> Step:
        """Ask Cognito to send a new confirmation code (ResendConfirmationCode)."""
        async with self._lock:
            if self.data.state != "CONFIRM_SIGN_UP":
                raise FlowFinishedError(f"the sign-up flow is in {self.data.state}")
            await self._call_then_fire(
                "ResendConfirmationCode", "ResendConfirmationCode", **self._base()
            )
            return self.step

    def sign_in_flow(self, **kwargs: Any) -> SignInFlow:
        """The sign-in that follows a confirmed sign-up (auto sign-in).

        Uses ConfirmSignUp's Session (USER_AUTH, no password) when Cognito gave one,
        otherwise an SRP sign-in with the password this flow was created with.

        Raises:
            FlowFinishedError: the sign-up is not confirmed, or neither a session nor the
                password is available.
        """
        if self.data.state != "CONFIRMED":
            raise FlowFinishedError("the sign-up is not confirmed yet")
        if not self.data.session and not self._password:
            raise FlowFinishedError("no session for auto sign-in and no password to sign in")
        flow = self.ctx.flows.next_flow(self, **kwargs)
        assert isinstance(flow, SignInFlow)
        return flow

    def _handoff(self) -> tuple[str | None, str | None]:
        """The password and ConfirmSignUp's Session, for :meth:`UserPool.next_flow`."""
        return self._password, self.data.session


class ForgotPasswordFlow(FlowDriver[ForgotPasswordData]):
    """One password reset: ``start()`` sends the code, ``answer(ResetPassword(...))``."""

    table = FORGOT_PASSWORD
    data_class = ForgotPasswordData
    idle_lifetime = 3600.0  # a password reset code lives 1 hour

    @property
    def step(self) -> Step:
        """The current step."""
        data = self.data
        return Step(
            flow="forgot_password",
            state=data.state,
            done=self.done,
            handler="confirm_forgot_password" if data.state == "CONFIRM_FORGOT_PASSWORD" else None,
            error=self._error,
            retry=self._retry and not self.done,
            next_flow="sign_in" if data.state == "DONE" else None,
            delivery=_delivery(data),
            username=data.username,
        )

    def _base(self) -> dict[str, Any]:
        return _user_params(self.data)

    async def _send_code(self) -> None:
        await self._call_then_fire("CodeDeliveryDetails", "ForgotPassword", **self._base())

    async def start(self) -> Step:
        """Call ForgotPassword (once): Cognito sends a code."""
        async with self._lock:
            if self.data.state == "INITIAL":
                await self._send_code()
            return self.step

    async def resend(self) -> Step:
        """Ask for a new code (ForgotPassword again)."""
        async with self._lock:
            if self.data.state != "CONFIRM_FORGOT_PASSWORD":
                raise FlowFinishedError(f"the flow is in {self.data.state}")
            await self._send_code()
            return self.step

    async def answer(self, value: Any = None) -> Step:
        """Set the new password with the code: ``ResetPassword(code, password)`` or a
        ``(code, password)`` tuple.

        Raises:
            InvalidAnswerError: malformed answer; nothing was sent.
            FlowFinishedError: not waiting for a code.
        """
        async with self._lock:
            if self.data.state != "CONFIRM_FORGOT_PASSWORD":
                raise FlowFinishedError(f"the flow is in {self.data.state}")
            if isinstance(value, tuple) and len(value) == 2:
                value = ResetPassword(*value)
            if not isinstance(value, ResetPassword):
                raise InvalidAnswerError("answer with ResetPassword(code, new_password)")
            code = require_code(value.code)
            password = require_text(value.password, "the new password")
            await self._call_then_fire(
                "ConfirmForgotPassword",
                "ConfirmForgotPassword",
                pass_response=False,
                ConfirmationCode=code,
                Password=password,
                **self._base(),
            )
            return self.step
