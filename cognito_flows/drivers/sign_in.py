"""The sign-in driver: runs :mod:`cognito_flows.flows.sign_in` on the one driver loop.

Every decision (what each state sends, which event an answer fires, what the host sees) is
in the flow module; this class holds the flow's data and runtime values (the password, the
SRP ephemeral, the tokens of a finished sign-in: never part of a snapshot) and the few
operations only a sign-in has. One lock per flow: two answers to the same flow never
interleave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import FlowFinishedError, InvalidAnswerError
from ..flows import sign_in as table
from ..flows.sign_in import SIGN_IN, SignInData, SignInRuntime
from ..states import SignInState
from ..steps import NewPassword, Step, TotpCode, require_text
from ..tokens import TokenSet
from .base import FlowDriver, TransitionObserver
from .context import FlowContext

__all__ = ["NewPassword", "SignInFlow", "TotpCode"]


class SignInFlow(FlowDriver[SignInData, SignInState]):
    """One sign-in, driven in step mode (``start`` / ``answer``) or by handlers.

    Create it with :meth:`UserPool.sign_in_flow`. Every public method is safe to call
    concurrently: a per-flow lock serialises them.
    """

    __slots__ = ()

    table = SIGN_IN
    data_class = SignInData
    rt: SignInRuntime

    def __init__(
        self,
        ctx: FlowContext,
        data: SignInData,
        *,
        password: str | None = None,
        remember_device: bool | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(ctx, data, on_transition=on_transition)
        self.rt.password = password
        self.rt.remember_device = remember_device

    def _runtime(self) -> SignInRuntime:
        return SignInRuntime(user_pool_id=self.ctx.user_pool_id, device_name=self.ctx.device_name)

    def __repr__(self) -> str:
        return f"SignInFlow(state={self.data.state!r}, username={self.data.username!r})"

    @property
    def tokens(self) -> TokenSet | None:
        """The tokens once signed in (``DONE`` or ``REMEMBER_DEVICE``)."""
        tokens: TokenSet | None = self.rt.tokens
        return tokens

    def _step(self) -> Step:
        return table.step_for(
            self.data,
            self.rt,
            error=self._error,
            retry=self._retry,
            issuer=self.ctx.totp_issuer,
        )

    def next_flow(self) -> FlowDriver[Any]:
        """The flow to run after ``CONFIRM_SIGN_UP`` or ``RESET_PASSWORD``.

        A :class:`SignUpFlow` waiting for the confirmation code (it can sign in afterwards
        with this flow's password) or a :class:`ForgotPasswordFlow` not yet started.

        Raises:
            FlowFinishedError: the flow did not end in one of those states.
        """
        return self.ctx.flows.next_flow(self)

    def _handoff(self) -> tuple[str | None, str | None]:
        return self.rt.password, None

    async def restart(self, password: str | None = None) -> Step[SignInState]:
        """Start again after ``FAILED`` or ``EXPIRED`` (a new Cognito session)."""
        if self.data.state not in ("FAILED", "EXPIRED"):
            raise FlowFinishedError(f"cannot restart a flow in {self.data.state}")
        if password is not None:
            self.rt.password = require_text(password, "the password")
        if table.needs_password(self.data) and not self.rt.password:
            raise InvalidAnswerError("restarting this sign-in needs the password")
        return await self._act(table.restart, ("FAILED", "EXPIRED"))

    def _snapshot_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"remember_device": self.rt.remember_device}
        # Tokens only once signed in, as the flow's result; never for a pending flow.
        if self.rt.tokens is not None and self.data.state in ("DONE", "REMEMBER_DEVICE"):
            extra["result"] = {"tokens": self.rt.tokens.to_dict()}
        return extra

    def _restore_extra(self, snap: Mapping[str, Any]) -> None:
        remember = snap.get("remember_device")
        self.rt.remember_device = remember if isinstance(remember, bool) else None
        result = snap.get("result")
        if isinstance(result, Mapping) and isinstance(result.get("tokens"), Mapping):
            self.rt.tokens = TokenSet.from_dict(result["tokens"])
