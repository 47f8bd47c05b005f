"""Drivers of the sign-up and forgot-password flows (the one loop of
:mod:`cognito_flows.drivers.base`; the decisions are in their flow modules)."""

from __future__ import annotations

from typing import Any

from ..errors import FlowFinishedError
from ..flows import forgot_password, sign_up
from ..flows.forgot_password import FORGOT_PASSWORD, ForgotPasswordData
from ..flows.sign_up import SIGN_UP, SignUpData, SignUpRuntime
from ..states import ForgotPasswordState, SignUpState
from ..steps import ResetPassword, Step
from .base import FlowDriver, TransitionObserver
from .context import FlowContext
from .sign_in import SignInFlow

__all__ = ["ForgotPasswordFlow", "ResetPassword", "SignUpFlow"]


class SignUpFlow(FlowDriver[SignUpData, SignUpState]):
    """One sign-up: ``start()`` calls SignUp, ``answer(code)`` confirms it.

    Create it with :meth:`UserPool.sign_up_flow` (or :meth:`UserPool.confirm_sign_up_flow`
    to confirm a user who signed up earlier). After ``CONFIRMED``, :meth:`sign_in_flow`
    signs the user in: with ConfirmSignUp's Session when the pool gave one (no password
    needed), otherwise with the password given at sign-up.
    """

    __slots__ = ()

    table = SIGN_UP
    data_class = SignUpData
    idle_lifetime = 24 * 3600.0  # a sign-up code lives 24 hours
    rt: SignUpRuntime

    def __init__(
        self,
        ctx: FlowContext,
        data: SignUpData,
        *,
        password: str | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(ctx, data, on_transition=on_transition)
        self.rt.password = password

    def _runtime(self) -> SignUpRuntime:
        return SignUpRuntime()

    def _step(self) -> Step:
        return sign_up.step_for(self.data, self.rt, error=self._error, retry=self._retry)

    async def resend(self) -> Step[SignUpState]:
        """Ask Cognito to send a new confirmation code (ResendConfirmationCode)."""
        return await self._act(sign_up.resend, ("CONFIRM_SIGN_UP",))

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
        if not self.data.session and not self.rt.password:
            raise FlowFinishedError("no session for auto sign-in and no password to sign in")
        flow = self.ctx.flows.next_flow(self, **kwargs)
        assert isinstance(flow, SignInFlow)
        return flow

    def _handoff(self) -> tuple[str | None, str | None]:
        return self.rt.password, self.data.session


class ForgotPasswordFlow(FlowDriver[ForgotPasswordData, ForgotPasswordState]):
    """One password reset: ``start()`` sends the code, ``answer(ResetPassword(...))``
    (or a ``(code, password)`` tuple) sets the new password."""

    __slots__ = ()

    table = FORGOT_PASSWORD
    data_class = ForgotPasswordData
    idle_lifetime = 3600.0  # a password reset code lives 1 hour

    def _step(self) -> Step:
        return forgot_password.step_for(self.data, self.rt, error=self._error, retry=self._retry)

    async def resend(self) -> Step[ForgotPasswordState]:
        """Ask for a new code (ForgotPassword again)."""
        return await self._act(forgot_password.send_code, ("CONFIRM_FORGOT_PASSWORD",))
