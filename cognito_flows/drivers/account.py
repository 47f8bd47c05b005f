"""Drivers of the signed-in user's flows: TOTP setup and attribute verification.

Both need the user's access token for every call. The token is runtime-only: the driver
asks an :class:`AccessTokenSource` (an :class:`~cognito_flows.account.Account`) for a fresh
one before each call and never stores it in the flow's data, so a snapshot holds no token.
A flow resumed from a snapshot gets its source back with :meth:`AccountFlow.attach` (which
:meth:`Account.resume <cognito_flows.account.Account.resume>` does).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from ..errors import (
    ConfigurationError,
    EnableSoftwareTokenMFAError,
    FlowFinishedError,
    InvalidAnswerError,
    ProtocolError,
)
from ..flows.totp_setup import TOTP_SETUP, TotpSetupData
from ..flows.verify_attribute import VERIFY_ATTRIBUTE, VerifyAttributeData
from ..steps import CodeDelivery, Step, TotpCode, TotpSetup, require_code
from .base import FlowDriver, TransitionObserver
from .context import FlowContext

__all__ = ["AccessTokenSource", "AccountFlow", "TotpSetupFlow", "VerifyAttributeFlow"]

D = TypeVar("D")


class AccessTokenSource(Protocol):
    """Where an account flow gets a fresh access token for each call."""

    async def access_token(self) -> str:
        """A currently valid access token (refreshed when needed)."""
        ...


class AccountFlow(FlowDriver[D]):
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


class TotpSetupFlow(AccountFlow[TotpSetupData]):
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

    table = TOTP_SETUP
    data_class = TotpSetupData
    idle_lifetime = 3600.0  # bounded by the access token it needs

    def __init__(
        self,
        ctx: FlowContext,
        data: TotpSetupData,
        *,
        auth: AccessTokenSource | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(ctx, data, auth=auth, on_transition=on_transition)
        self._secret: str | None = None

    @property
    def step(self) -> Step:
        """The current step."""
        data = self.data
        waiting = data.state == "VERIFY_SOFTWARE_TOKEN"
        totp = None
        if waiting and self._secret:
            totp = TotpSetup(
                secret=self._secret, account=data.username, issuer=self.ctx.totp_issuer
            )
        return Step(
            flow="totp_setup",
            state=data.state,
            done=self.done,
            handler="verify_software_token" if waiting else None,
            error=self._error,
            retry=self._retry and not self.done,
            totp=totp,
            username=data.username,
        )

    async def start(self) -> Step:
        """Call AssociateSoftwareToken (once) and return the step that shows the secret.

        On a flow interrupted after the code was accepted it finishes the setup.
        """
        async with self._lock:
            if self.data.state == "INITIAL":
                await self._associate()
            elif self.data.state == "VERIFIED":
                await self._finish()
            return self.step

    async def new_secret(self) -> Step:
        """Ask Cognito for another secret (AssociateSoftwareToken again)."""
        async with self._lock:
            if self.data.state != "VERIFY_SOFTWARE_TOKEN":
                raise FlowFinishedError(f"the TOTP setup is in {self.data.state}")
            await self._associate()
            return self.step

    async def answer(self, value: Any = None) -> Step:
        """Verify the authenticator's code: a 6-digit string or :class:`TotpCode`.

        Raises:
            InvalidAnswerError: not a 6-digit code; nothing was sent.
            FlowFinishedError: not waiting for a code.
        """
        async with self._lock:
            state = self.data.state
            if state == "VERIFIED":
                await self._finish()
                return self.step
            if state != "VERIFY_SOFTWARE_TOKEN":
                raise FlowFinishedError(f"the TOTP setup is in {state}")
            name: str | None = None
            if isinstance(value, TotpCode):
                value, name = value.code, value.device_name
            if name is not None and not isinstance(name, str):
                raise InvalidAnswerError("the device name must be a string")
            code = require_code(value, digits=(6, 6))
            response = await self._call(
                "VerifySoftwareToken",
                AccessToken=await self._access_token(),
                UserCode=code,
                FriendlyDeviceName=name,
            )
            if response is None:
                return self.step
            if response.get("Status") != "SUCCESS":
                error = EnableSoftwareTokenMFAError(
                    "VerifySoftwareToken did not succeed", operation="VerifySoftwareToken"
                )
                await self._fire("EnableSoftwareTokenMFAException", error=error)
                self._error, self._retry = error, True
                return self.step
            self._succeeded()
            await self._fire("VerifySoftwareToken", device_name=name)
            self._secret = None
            await self._finish()
            return self.step

    async def _associate(self) -> None:
        response = await self._call(
            "AssociateSoftwareToken", AccessToken=await self._access_token()
        )
        if response is None:
            return
        secret = response.get("SecretCode")
        if not isinstance(secret, str) or not secret:
            raise ProtocolError("AssociateSoftwareToken returned no SecretCode")
        self._succeeded()
        self._secret = secret
        await self._fire("AssociateSoftwareToken")

    async def _finish(self) -> None:
        if not self.data.prefer:
            await self._fire("no_preference")
            return
        await self._call_then_fire(
            "SetUserMFAPreference",
            "SetUserMFAPreference",
            pass_response=False,
            AccessToken=await self._access_token(),
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )


class VerifyAttributeFlow(AccountFlow[VerifyAttributeData]):
    """Verify a signed-in user's ``email`` or ``phone_number`` with the code Cognito sends.

    ``start()`` calls GetUserAttributeVerificationCode; the step ``CONFIRM_ATTRIBUTE``
    (handler ``verify_attribute``) says where the code went; ``answer(code)`` calls
    VerifyUserAttribute. A wrong or expired code keeps the step with ``retry``;
    :meth:`resend` asks for a new code. Create it with
    :meth:`Account.verify_attribute_flow <cognito_flows.account.Account>`.
    """

    table = VERIFY_ATTRIBUTE
    data_class = VerifyAttributeData
    idle_lifetime = 24 * 3600.0  # an attribute verification code lives 24 hours

    @property
    def step(self) -> Step:
        """The current step."""
        data = self.data
        delivery = None
        if data.delivery_medium or data.delivery_destination:
            delivery = CodeDelivery(
                medium=data.delivery_medium,
                destination=data.delivery_destination,
                attribute=data.delivery_attribute or data.attribute,
            )
        return Step(
            flow="verify_attribute",
            state=data.state,
            done=self.done,
            handler="verify_attribute" if data.state == "CONFIRM_ATTRIBUTE" else None,
            error=self._error,
            retry=self._retry and not self.done,
            delivery=delivery,
            username=data.username,
        )

    async def _send_code(self) -> None:
        data = self.data
        await self._call_then_fire(
            "CodeDeliveryDetails",
            "GetUserAttributeVerificationCode",
            AccessToken=await self._access_token(),
            AttributeName=data.attribute,
            ClientMetadata=dict(data.client_metadata) or None,
        )

    async def start(self) -> Step:
        """Ask Cognito to send the code (once); returns the ``CONFIRM_ATTRIBUTE`` step."""
        async with self._lock:
            if self.data.state == "INITIAL":
                await self._send_code()
            return self.step

    async def resend(self) -> Step:
        """Ask for a new code (GetUserAttributeVerificationCode again)."""
        async with self._lock:
            if self.data.state not in ("INITIAL", "CONFIRM_ATTRIBUTE"):
                raise FlowFinishedError(f"the verification is in {self.data.state}")
            await self._send_code()
            return self.step

    async def answer(self, value: Any = None) -> Step:
        """Verify the attribute with the code Cognito sent.

        Raises:
            InvalidAnswerError: not a code; nothing was sent.
            FlowFinishedError: not waiting for a code.
        """
        async with self._lock:
            if self.data.state != "CONFIRM_ATTRIBUTE":
                raise FlowFinishedError(f"the verification is in {self.data.state}")
            code = require_code(value)
            await self._call_then_fire(
                "VerifyUserAttribute",
                "VerifyUserAttribute",
                pass_response=False,
                AccessToken=await self._access_token(),
                AttributeName=self.data.attribute,
                Code=code,
            )
            return self.step
