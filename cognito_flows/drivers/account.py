"""Drivers of the signed-in user's flows: TOTP setup and attribute verification.

Both need the user's access token for every call. The token is runtime-only: the driver
asks an :class:`AccessTokenSource` (an :class:`~cognito_flows.account.Account`) for a fresh
one before each call and never stores it in the flow's data, so a snapshot holds no token.
A flow resumed from a snapshot gets its source back with :meth:`AccountFlow.attach` (which
:meth:`Account.resume <cognito_flows.account.Account.resume>` does).
"""

from __future__ import annotations

from typing import Protocol

from typing_extensions import TypeVar

from ..errors import ConfigurationError
from ..flows import totp_setup, verify_attribute
from ..flows.totp_setup import TOTP_SETUP, TotpSetupData, TotpSetupRuntime
from ..flows.verify_attribute import VERIFY_ATTRIBUTE, VerifyAttributeData
from ..states import TotpSetupState, VerifyAttributeState
from ..steps import Step
from .base import FlowDriver, TransitionObserver
from .context import FlowContext

__all__ = ["AccessTokenSource", "AccountFlow", "TotpSetupFlow", "VerifyAttributeFlow"]

D = TypeVar("D")
S = TypeVar("S", bound=str, covariant=True, default=str)


class AccessTokenSource(Protocol):
    """Where an account flow gets a fresh access token for each call."""

    async def access_token(self) -> str:
        """A currently valid access token (refreshed when needed)."""
        ...


class AccountFlow(FlowDriver[D, S]):
    """A flow run on behalf of a signed-in user (base of the drivers in this module)."""

    def __init__(
        self,
        ctx: FlowContext,
        data: D,
        *,
        auth: AccessTokenSource | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(ctx, data, on_transition=on_transition)
        self._auth = auth

    def attach(self, auth: AccessTokenSource) -> None:
        """Give a resumed flow the source of access tokens it lost in the snapshot."""
        self._auth = auth

    async def _access_token(self) -> str:
        if self._auth is None:
            raise ConfigurationError(
                "this flow has no access token source; resume it with Account.resume() or "
                "call attach(account)"
            )
        return await self._auth.access_token()


class TotpSetupFlow(AccountFlow[TotpSetupData, TotpSetupState]):
    """Add an authenticator app (TOTP) to a signed-in user's account.

    ``start()`` calls AssociateSoftwareToken; the step (``VERIFY_SOFTWARE_TOKEN``, handler
    ``verify_software_token``) carries :class:`~cognito_flows.TotpSetup` with the secret and
    its ``otpauth://`` URI. ``answer(code)`` (or ``answer(TotpCode(code, device_name))``)
    calls VerifySoftwareToken; a wrong code keeps the step with ``retry``. With
    ``prefer=True`` TOTP then becomes the preferred MFA method (SetUserMFAPreference).

    Create it with :meth:`Account.totp_setup_flow <cognito_flows.account.Account>`. The
    secret is kept in memory only: a flow resumed from a snapshot can still take the code,
    but its step no longer shows the secret (call :meth:`new_secret` to get another one).
    """

    __slots__ = ()

    table = TOTP_SETUP
    data_class = TotpSetupData
    idle_lifetime = 3600.0  # bounded by the access token it needs
    rt: TotpSetupRuntime

    def _runtime(self) -> TotpSetupRuntime:
        return TotpSetupRuntime()

    def _step(self) -> Step:
        return totp_setup.step_for(
            self.data,
            self.rt,
            error=self._error,
            retry=self._retry,
            issuer=self.ctx.totp_issuer,
        )

    async def new_secret(self) -> Step[TotpSetupState]:
        """Ask Cognito for another secret (AssociateSoftwareToken again)."""
        return await self._act(totp_setup.associate, ("VERIFY_SOFTWARE_TOKEN",))


class VerifyAttributeFlow(AccountFlow[VerifyAttributeData, VerifyAttributeState]):
    """Verify a signed-in user's ``email`` or ``phone_number`` with the code Cognito sends.

    ``start()`` calls GetUserAttributeVerificationCode; the step ``CONFIRM_ATTRIBUTE``
    (handler ``verify_attribute``) says where the code went; ``answer(code)`` calls
    VerifyUserAttribute. A wrong or expired code keeps the step with ``retry``;
    :meth:`resend` asks for a new code. Create it with
    :meth:`Account.verify_attribute_flow <cognito_flows.account.Account>`.
    """

    __slots__ = ()

    table = VERIFY_ATTRIBUTE
    data_class = VerifyAttributeData
    idle_lifetime = 24 * 3600.0  # an attribute verification code lives 24 hours

    def _step(self) -> Step:
        return verify_attribute.step_for(self.data, self.rt, error=self._error, retry=self._retry)

    async def resend(self) -> Step[VerifyAttributeState]:
        """Ask for a new code (GetUserAttributeVerificationCode again)."""
        return await self._act(verify_attribute.send_code, ("INITIAL", "CONFIRM_ATTRIBUTE"))
