"""A signed-in user's own operations.

* :class:`Account` is everything a signed-in user does with the access token: profile and
  attributes, password, MFA preferences, devices, sign-out, revocation, deletion, and the
  two flows that need the user signed in (TOTP setup, attribute verification).

Theory of operation::

    tokens = await pool.sign_in("alice", password)
    account = Account(pool, tokens)            # or Account(pool, manager)
    info = await account.get_user()
    step = await account.totp_setup_flow().start()

Every call asks the account's :class:`TokenManager` for tokens first, so an access token
close to expiry is refreshed once (however many calls run at once) before it is used.
Nothing here logs or repeats a token, password, code or secret. Token refresh
(:func:`refresh_tokens`, :func:`token_manager`) lives in :mod:`cognito_flows.refresh` and is
re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from .drivers.account import TotpSetupFlow, VerifyAttributeFlow
from .drivers.base import FlowDriver, TransitionObserver
from .drivers.context import FlowContext, HasContext, context_of
from .errors import (
    CognitoError,
    IncorrectCredentialsError,
    InvalidAnswerError,
    OutcomeUnknownError,
    ProtocolError,
    ResourceNotFoundError,
    TokenRevokedError,
    UserNotFoundError,
)
from .flows.totp_setup import TotpSetupData
from .flows.verify_attribute import VerifyAttributeData
from .handlers import TotpSetupHandlers, VerifyAttributeHandlers, run_with_handlers
from .passkeys import PasskeyInfo, credential_json
from .refresh import refresh_tokens, token_manager
from .steps import CodeDelivery
from .tokens import SignedOutError, TokenManager, TokenSet

__all__ = [
    "Account",
    "AuthFactors",
    "DeviceInfo",
    "UserInfo",
    "refresh_tokens",
    "token_manager",
]

log = logging.getLogger("cognito_flows.account")

_MFA_NAMES = {
    "sms": "SMS_MFA",
    "sms_mfa": "SMS_MFA",
    "totp": "SOFTWARE_TOKEN_MFA",
    "software_token": "SOFTWARE_TOKEN_MFA",
    "software_token_mfa": "SOFTWARE_TOKEN_MFA",
    "email": "EMAIL_OTP",
    "email_otp": "EMAIL_OTP",
    "email_mfa": "EMAIL_OTP",
}


def _bare_access_token(access_token: str) -> TokenSet:
    """A token set holding only an access token (expiry from its ``exp`` claim)."""
    if not isinstance(access_token, str) or not access_token.strip():
        raise InvalidAnswerError("the access token is empty")
    probe = TokenSet(access_token=access_token.strip(), id_token="", expires_at=0.0)
    exp = probe.unverified_claims("access").get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise ProtocolError("the access token has no numeric exp claim")
    return attrs.evolve(probe, expires_at=float(exp))


# --------------------------------------------------------------------------------------
# Results


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    return None


def _attributes(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(a["Name"]): str(a.get("Value", "")) for a in items or () if "Name" in a}


@attrs.frozen
class UserInfo:
    """What GetUser says about the signed-in user.

    Attributes:
        username: the Cognito user name.
        attributes: every attribute (``sub``, ``email``, ``email_verified``...).
        preferred_mfa: ``SMS_MFA``, ``SOFTWARE_TOKEN_MFA``, ``EMAIL_OTP`` or ``None``.
        mfa_settings: the MFA methods the user has enabled.
        mfa_options: the legacy ``MFAOptions`` (SMS MFA set with SetUserSettings).
    """

    username: str
    attributes: Mapping[str, str] = attrs.field(factory=dict)
    preferred_mfa: str | None = None
    mfa_settings: list[str] = attrs.field(factory=list)
    mfa_options: list[dict[str, str]] = attrs.field(factory=list)

    @property
    def sub(self) -> str | None:
        """The user's immutable id."""
        return self.attributes.get("sub")

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> UserInfo:
        """From a GetUser response."""
        return cls(
            username=str(response.get("Username") or ""),
            attributes=_attributes(response.get("UserAttributes")),
            preferred_mfa=response.get("PreferredMfaSetting") or None,
            mfa_settings=list(response.get("UserMFASettingList") or ()),
            mfa_options=[dict(o) for o in response.get("MFAOptions") or ()],
        )


@attrs.frozen
class DeviceInfo:
    """A device Cognito tracks for the user (``DeviceType``).

    Attributes:
        key: the DeviceKey.
        name: the ``device_name`` attribute, if any.
        remembered_status: ``"remembered"``, ``"not_remembered"`` or ``None``.
        attributes: every device attribute (``device_status``, ``last_ip_used``...).
        created / last_modified / last_authenticated: aware UTC datetimes, when known.
    """

    key: str
    name: str | None = None
    remembered_status: str | None = None
    attributes: Mapping[str, str] = attrs.field(factory=dict)
    created: datetime | None = None
    last_modified: datetime | None = None
    last_authenticated: datetime | None = None

    @property
    def remembered(self) -> bool:
        """Whether the device is remembered (MFA may be skipped on it)."""
        return self.remembered_status == "remembered"

    @classmethod
    def from_device(cls, device: Mapping[str, Any]) -> DeviceInfo:
        """From a ``DeviceType`` member."""
        attributes = _attributes(device.get("DeviceAttributes"))
        return cls(
            key=str(device.get("DeviceKey") or ""),
            name=attributes.get("device_name"),
            remembered_status=attributes.get("dev:device_remembered_status"),
            attributes=attributes,
            created=_when(device.get("DeviceCreateDate")),
            last_modified=_when(device.get("DeviceLastModifiedDate")),
            last_authenticated=_when(device.get("DeviceLastAuthenticatedDate")),
        )


@attrs.frozen
class AuthFactors:
    """GetUserAuthFactors: the user's MFA and the sign-in factors set up.

    Attributes:
        username: the Cognito user name.
        preferred_mfa: the preferred MFA method, if any.
        mfa_settings: the MFA methods enabled.
        configured_factors: the first factors the user can sign in with (``PASSWORD``,
            ``EMAIL_OTP``, ``SMS_OTP``, ``WEB_AUTHN``).
    """

    username: str
    preferred_mfa: str | None = None
    mfa_settings: list[str] = attrs.field(factory=list)
    configured_factors: list[str] = attrs.field(factory=list)


# --------------------------------------------------------------------------------------
# Account


class Account:
    """A signed-in user's operations, with a fresh access token for every call.

    Args:
        pool: the :class:`UserPool` the user signed in to (or its
            :class:`~cognito_flows.drivers.context.FlowContext`).
        tokens: a :class:`TokenManager` (shared with the host), a :class:`TokenSet`
            (wrapped in a manager built by :func:`token_manager`, so it is refreshed when
            close to expiry; read :attr:`manager` for the current set), or a bare access
            token string (no refresh possible).
        min_ttl: seconds an access token must still be valid for, before it is used
            (default: the manager's).

    :meth:`global_sign_out`, :meth:`revoke` and :meth:`delete_user` also clear the
    manager: the account is signed out locally too.
    """

    def __init__(
        self,
        pool: FlowContext | HasContext,
        tokens: TokenSet | TokenManager | str,
        *,
        min_ttl: float | None = None,
    ) -> None:
        self.pool = pool
        self._ctx = ctx = context_of(pool)
        if isinstance(tokens, TokenManager):
            self.manager = tokens
        elif isinstance(tokens, TokenSet):
            self.manager = token_manager(ctx, tokens)
        elif isinstance(tokens, str):
            self.manager = token_manager(ctx, _bare_access_token(tokens))
        else:
            raise InvalidAnswerError("Account needs a TokenSet, a TokenManager or an access token")
        self.min_ttl = min_ttl

    def __repr__(self) -> str:
        return f"Account(pool={self._ctx.user_pool_id!r}, state={self.manager.state!r})"

    # ------------------------------------------------------------------ tokens

    async def tokens(self) -> TokenSet:
        """The current tokens, refreshed first when they are close to expiry.

        Raises:
            SignedOutError: the manager holds no usable session.
        """
        return await self.manager.get_tokens(self.min_ttl)

    async def access_token(self) -> str:
        """A fresh access token (see :meth:`tokens`)."""
        return (await self.tokens()).access_token

    def _held(self) -> TokenSet:
        tokens = self.manager.tokens
        if tokens is None:
            raise self.manager.signed_out_error or SignedOutError("no_tokens")
        return tokens

    @property
    def username(self) -> str:
        """The Cognito user name (the access token's ``username`` claim).

        Raises:
            SignedOutError: no tokens are held.
            ProtocolError: the access token has no ``username`` claim.
        """
        name = self._held().username
        if not name:
            raise ProtocolError("the access token has no username claim")
        return name

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        return await self._ctx.call(operation, AccessToken=await self.access_token(), **params)

    async def _call_twice(self, operation: str, **params: Any) -> dict[str, Any]:
        """:meth:`_call` for an operation whose repeat does no harm (it sets the same
        values again, or sends one more code): a lost answer is sent once more, with a
        warning that a code may have been sent twice."""
        try:
            return await self._call(operation, **params)
        except OutcomeUnknownError as exc:
            log.warning(
                "%s lost its answer (%s); sent once more: a code may have been sent twice",
                operation,
                exc.reason,
            )
        return await self._call(operation, **params)

    async def _call_until_done(
        self, operation: str, done: Callable[[CognitoError], bool], **params: Any
    ) -> None:
        """:meth:`_call` for an operation whose repeat, once it was applied, answers an
        error that proves it (``done``): a lost answer is sent once more and that error is
        the success it proves (the device is gone, the token revoked, the user deleted)."""
        try:
            await self._call(operation, **params)
            return
        except OutcomeUnknownError:
            pass
        try:
            await self._call(operation, **params)
        except CognitoError as exc:
            if not done(exc):
                raise

    # ------------------------------------------------------------------ profile

    async def get_user(self) -> UserInfo:
        """The user's name, attributes and MFA settings (GetUser)."""
        return UserInfo.from_response(await self._call("GetUser"))

    async def update_attributes(
        self,
        attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> list[CodeDelivery]:
        """Change attributes (UpdateUserAttributes).

        Returns:
            where Cognito sent verification codes (for a changed ``email`` or
            ``phone_number``); verify with :meth:`verify_attribute_flow`
            ``(name, code_sent=True)``.

        Raises:
            InvalidAnswerError: not a mapping of strings to strings; nothing was sent.
        """
        items = _attribute_list(attributes)
        response = await self._call_twice(
            "UpdateUserAttributes",
            UserAttributes=items,
            ClientMetadata=dict(client_metadata or {}) or None,
        )
        out = []
        for details in response.get("CodeDeliveryDetailsList") or ():
            delivery = CodeDelivery.from_details(details)
            if delivery is not None:
                out.append(delivery)
        return out

    async def delete_attributes(self, names: Iterable[str]) -> None:
        """Delete attributes (DeleteUserAttributes)."""
        wanted = [names] if isinstance(names, str) else list(names)
        if not wanted or not all(isinstance(n, str) and n for n in wanted):
            raise InvalidAnswerError("give attribute names to delete")
        await self._call_twice("DeleteUserAttributes", UserAttributeNames=wanted)

    async def change_password(self, old_password: str, new_password: str) -> None:
        """Change the password (ChangePassword).

        Raises:
            IncorrectCredentialsError: ``old_password`` is wrong.
            InvalidPasswordError: ``new_password`` breaks the pool's policy.
            OutcomeUnknownError: the answer was lost and the check below could not tell
                whether the password changed.

        A lost answer is reconciled: ChangePassword from the new password to itself
        succeeds only if the change was applied; "Incorrect username or password" proves
        it was not, and the change is sent once more (that check counts as one failed
        password attempt).
        """
        for value, what in ((old_password, "the old password"), (new_password, "the new password")):
            if not isinstance(value, str) or not value:
                raise InvalidAnswerError(f"{what} is empty")
        try:
            await self._call(
                "ChangePassword", PreviousPassword=old_password, ProposedPassword=new_password
            )
            return
        except OutcomeUnknownError as lost:
            try:
                await self._call(
                    "ChangePassword", PreviousPassword=new_password, ProposedPassword=new_password
                )
                return  # the new password is the current one: the change was applied
            except IncorrectCredentialsError:
                pass  # not applied: the old password is still the current one
            except CognitoError:
                raise lost from None  # e.g. a password-history policy: cannot tell
        await self._call(
            "ChangePassword", PreviousPassword=old_password, ProposedPassword=new_password
        )

    async def get_auth_factors(self) -> AuthFactors:
        """The user's MFA settings and configured sign-in factors (GetUserAuthFactors)."""
        response = await self._call("GetUserAuthFactors")
        return AuthFactors(
            username=str(response.get("Username") or ""),
            preferred_mfa=response.get("PreferredMfaSetting") or None,
            mfa_settings=list(response.get("UserMFASettingList") or ()),
            configured_factors=list(response.get("ConfiguredUserAuthFactors") or ()),
        )

    # ------------------------------------------------------------------ MFA

    async def set_mfa_preference(
        self,
        *,
        sms: bool | None = None,
        totp: bool | None = None,
        email: bool | None = None,
        preferred: str | None = None,
        passkey: bool | None = None,
    ) -> None:
        """Enable or disable MFA methods and choose the preferred one (SetUserMFAPreference).

        ``None`` leaves a method as it is. ``preferred`` (``"totp"``/``"SOFTWARE_TOKEN_MFA"``,
        ``"sms"``/``"SMS_MFA"``, ``"email"``/``"EMAIL_OTP"``) enables that method too, and
        the other methods passed here are marked not preferred. ``passkey`` turns passkey
        MFA on or off (``WebAuthnMfaSettings``: a passkey sign-in with user verification then
        satisfies MFA, in pools whose passkeys are ``MULTI_FACTOR_WITH_USER_VERIFICATION``;
        it has no preferred flag, and Cognito wants another MFA method enabled first).

        Raises:
            InvalidAnswerError: an unknown ``preferred``, a preferred method disabled in
                the same call, or nothing to change.
        """
        choice: str | None = None
        if preferred is not None:
            if not isinstance(preferred, str):
                raise InvalidAnswerError("preferred must be a string")
            choice = _MFA_NAMES.get(preferred.strip().lower(), preferred.strip().upper())
            if choice not in ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"):
                raise InvalidAnswerError("preferred must be totp, sms or email")
        members = {
            "SMS_MFA": ("SMSMfaSettings", sms),
            "SOFTWARE_TOKEN_MFA": ("SoftwareTokenMfaSettings", totp),
            "EMAIL_OTP": ("EmailMfaSettings", email),
        }
        params: dict[str, Any] = {}
        for name, (member, enabled) in members.items():
            if name == choice and enabled is False:
                raise InvalidAnswerError(f"{name} cannot be preferred and disabled")
            if enabled is None and name != choice:
                continue
            settings: dict[str, bool] = {"Enabled": True if enabled is None else enabled}
            if choice is not None:
                settings["PreferredMfa"] = name == choice
            params[member] = settings
        if passkey is not None:
            params["WebAuthnMfaSettings"] = {"Enabled": bool(passkey)}
        if not params:
            raise InvalidAnswerError(
                "nothing to change: pass sms, totp, email, passkey or preferred"
            )
        await self._call("SetUserMFAPreference", **params)

    async def set_user_settings(self, mfa_options: Sequence[Mapping[str, str]]) -> None:
        """Set the legacy ``MFAOptions`` (SetUserSettings), e.g.
        ``[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]``; ``[]`` clears."""
        if not all(isinstance(o, Mapping) for o in mfa_options):
            raise InvalidAnswerError(
                "MFAOptions must be mappings like "
                "{'DeliveryMedium': 'SMS', 'AttributeName': 'phone_number'}"
            )
        options = [dict(o) for o in mfa_options]
        await self._call("SetUserSettings", MFAOptions=options)

    def totp_setup_flow(
        self, *, prefer: bool = False, on_transition: TransitionObserver | None = None
    ) -> TotpSetupFlow:
        """Add an authenticator app, in step mode: ``start()``, then ``answer(code)``.

        ``prefer=True`` makes TOTP the preferred MFA method once the code is verified.
        """
        data = TotpSetupData(username=self.username, prefer=bool(prefer))
        flow = self._ctx.flows.build(data, auth=self, on_transition=on_transition)
        assert isinstance(flow, TotpSetupFlow)
        return flow

    async def setup_totp(self, handlers: TotpSetupHandlers, *, prefer: bool = False) -> None:
        """Add an authenticator app (handler mode).

        ``handlers.verify_software_token(step)`` gets the step with ``step.totp`` (secret
        and ``otpauth://`` URI) and returns the app's code (or a :class:`TotpCode`); it is
        asked again after a wrong code.
        """
        await run_with_handlers(self.totp_setup_flow(prefer=prefer), handlers)

    # ------------------------------------------------------------------ attributes

    def verify_attribute_flow(
        self,
        name: str,
        *,
        code_sent: bool = False,
        client_metadata: Mapping[str, str] | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> VerifyAttributeFlow:
        """Verify ``email`` or ``phone_number``, in step mode: ``start()``, ``answer(code)``.

        ``code_sent=True`` skips asking for a code, for the code UpdateUserAttributes
        already sent: the flow starts waiting for it.
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidAnswerError("the attribute name is empty")
        data = VerifyAttributeData(
            attribute=name.strip(),
            username=self.username,
            client_metadata=dict(client_metadata or {}),
            state="CONFIRM_ATTRIBUTE" if code_sent else "INITIAL",
        )
        flow = self._ctx.flows.build(data, auth=self, on_transition=on_transition)
        assert isinstance(flow, VerifyAttributeFlow)
        return flow

    async def verify_attribute(
        self, name: str, handlers: VerifyAttributeHandlers, *, code_sent: bool = False
    ) -> None:
        """Verify an attribute (handler mode): ``handlers.verify_attribute(step)`` returns
        the code, and is asked again after a wrong or expired one."""
        await run_with_handlers(self.verify_attribute_flow(name, code_sent=code_sent), handlers)

    def resume(self, snapshot: Mapping[str, Any]) -> FlowDriver[Any]:
        """Resume a snapshot of a TOTP-setup or attribute-verification flow for this user.

        Raises:
            SnapshotError: the snapshot is malformed or belongs to another pool or client.
        """
        flow = self._ctx.flows.resume(snapshot)
        if isinstance(flow, (TotpSetupFlow, VerifyAttributeFlow)):
            flow.attach(self)
        return flow

    # ------------------------------------------------------------------ passkeys

    async def start_passkey_registration(self) -> dict[str, Any]:
        """Step 1 of adding a passkey: the options for ``navigator.credentials.create``.

        StartWebAuthnRegistration's ``CredentialCreationOptions``: hand them to the browser
        (``PublicKeyCredential.parseCreationOptionsFromJSON(options)``). Cognito keeps the
        challenge, so step 2 may run in another request or process with the same tokens.

        Raises:
            WebAuthnNotEnabledError: the pool does not allow passkeys.
            WebAuthnConfigurationMissingError: the pool has no relying party id.
        """
        response = await self._call("StartWebAuthnRegistration")
        options = response.get("CredentialCreationOptions")
        if not isinstance(options, Mapping):
            raise ProtocolError("StartWebAuthnRegistration answered without options")
        return dict(options)

    async def complete_passkey_registration(self, credential: Mapping[str, Any] | str) -> None:
        """Step 2: register the browser's ``PublicKeyCredential.toJSON()`` (a dict or JSON).

        Raises:
            InvalidAnswerError: not a credential object (nothing was sent).
            WebAuthnChallengeNotFoundError: step 1 expired or was not run.
            WebAuthnOriginNotAllowedError: the page's origin is not the relying party's.
            WebAuthnRelyingPartyMismatchError: made for another relying party id.
            WebAuthnClientMismatchError: step 1 ran with another app client's tokens.
            WebAuthnCredentialNotSupportedError: an authenticator Cognito does not accept.
        """
        body = credential_json(credential, kind="registration credential")
        await self._call("CompleteWebAuthnRegistration", Credential=body)

    async def list_passkeys(self, limit: int = 20) -> list[PasskeyInfo]:
        """The user's passkeys (ListWebAuthnCredentials, all pages of ``limit`` at most 20)."""
        if not 1 <= limit <= 20:
            raise InvalidAnswerError("limit must be within 1..20")
        found: list[PasskeyInfo] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"MaxResults": limit}
            if token is not None:
                params["NextToken"] = token
            response = await self._call("ListWebAuthnCredentials", **params)
            found.extend(
                PasskeyInfo.from_description(item)
                for item in response.get("Credentials") or ()
                if isinstance(item, Mapping)
            )
            token = response.get("NextToken") or None
            if token is None:
                return found
            if token in seen:
                raise ProtocolError("ListWebAuthnCredentials returned the same NextToken twice")
            seen.add(token)

    async def delete_passkey(self, credential_id: str) -> None:
        """Remove one passkey (DeleteWebAuthnCredential)."""
        if not isinstance(credential_id, str) or not credential_id:
            raise InvalidAnswerError("credential_id must be a non-empty string")
        await self._call("DeleteWebAuthnCredential", CredentialId=credential_id)

    # ------------------------------------------------------------------ devices

    async def list_devices(self, limit: int = 60) -> list[DeviceInfo]:
        """Every device Cognito tracks for the user (ListDevices, all pages).

        ``limit`` is the page size (at most 60).
        """
        if not 1 <= limit <= 60:
            raise InvalidAnswerError("limit must be within 1..60")
        devices: list[DeviceInfo] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            response = await self._call("ListDevices", Limit=limit, PaginationToken=token)
            devices.extend(DeviceInfo.from_device(d) for d in response.get("Devices") or ())
            token = response.get("PaginationToken") or None
            if token is None:
                return devices
            if token in seen:
                raise ProtocolError("ListDevices returned the same PaginationToken twice")
            seen.add(token)

    async def get_device(self, device_key: str | None = None) -> DeviceInfo:
        """One device (GetDevice); default: the device of the current tokens."""
        key = await self._device_key(device_key)
        response = await self._call("GetDevice", DeviceKey=key)
        device = response.get("Device")
        if not isinstance(device, Mapping):
            raise ProtocolError("GetDevice answered without a Device")
        return DeviceInfo.from_device(device)

    async def update_device_status(self, device_key: str | None, remembered: bool) -> None:
        """Mark a device remembered or not (UpdateDeviceStatus); ``None``: the current one."""
        key = await self._device_key(device_key)
        await self._call(
            "UpdateDeviceStatus",
            DeviceKey=key,
            DeviceRememberedStatus="remembered" if remembered else "not_remembered",
        )

    async def forget_device(
        self, device_key: str | None = None, *, username: str | None = None
    ) -> None:
        """Forget a device (ForgetDevice); default: the device of the current tokens.

        Also removes it from ``pool.device_store`` when it is the device stored for this
        user. The store is keyed by the name the user signed in with: pass ``username``
        when that was an alias (e-mail, phone); the Cognito user name is always checked.
        """
        key = await self._device_key(device_key)
        # A lost answer: the retry's "device does not exist" proves it was forgotten.
        await self._call_until_done(
            "ForgetDevice", lambda e: isinstance(e, ResourceNotFoundError), DeviceKey=key
        )
        names = {self.username}
        if username:
            names.add(username)
        store = self._ctx.device_store
        for name in names:
            stored = await store.get(self._ctx.user_pool_id, name)
            if stored is not None and stored.device_key == key:
                await store.delete(self._ctx.user_pool_id, name)

    async def _device_key(self, device_key: str | None) -> str:
        if device_key is not None:
            if not isinstance(device_key, str) or not device_key.strip():
                raise InvalidAnswerError("the device key is empty")
            return device_key.strip()
        key = (await self.tokens()).device_key
        if not key:
            raise InvalidAnswerError("these tokens have no device; pass a device key")
        return key

    # ------------------------------------------------------------------ sign-out

    async def global_sign_out(self) -> None:
        """Sign the user out everywhere (GlobalSignOut): every refresh token is revoked and
        access tokens are refused from now on. Clears the manager."""
        # A lost answer: the retry's "Access Token has been revoked" proves the sign-out.
        await self._call_until_done("GlobalSignOut", _revoked)
        self.manager.clear()

    async def revoke(self) -> None:
        """Revoke this session's refresh token and the access tokens issued from it
        (RevokeToken). Clears the manager.

        Raises:
            SignedOutError: no tokens, or no refresh token to revoke.
        """
        tokens = self._held()
        if not tokens.refresh_token:
            raise SignedOutError("no_refresh_token", "no refresh token to revoke")
        try:
            await self._ctx.call("RevokeToken", Token=tokens.refresh_token)
        except OutcomeUnknownError as exc:
            # Revoking a revoked token again is a success (RFC 7009 section 2.2, which the
            # revocation endpoint follows; the local Cognito answers the same).
            log.warning("RevokeToken lost its answer (%s); sent once more", exc.reason)
            await self._ctx.call("RevokeToken", Token=tokens.refresh_token)
        self.manager.clear()

    async def delete_user(self) -> None:
        """Delete the user (DeleteUser); forgets the stored device and clears the manager."""
        username = self.username
        # A lost answer: the retry's "User does not exist." (or revoked token) proves it.
        await self._call_until_done("DeleteUser", _gone)
        await self._ctx.device_store.delete(self._ctx.user_pool_id, username)
        self.manager.clear()

    async def update_auth_event_feedback(
        self, event_id: str, feedback_token: str, value: str
    ) -> None:
        """Tell advanced security whether a sign-in event was the user
        (UpdateAuthEventFeedback); ``value`` is ``"Valid"`` or ``"Invalid"``."""
        feedback = {"valid": "Valid", "invalid": "Invalid"}.get(str(value).strip().lower())
        if feedback is None:
            raise InvalidAnswerError("feedback must be Valid or Invalid")
        if not event_id or not feedback_token:
            raise InvalidAnswerError("the event id and feedback token are required")
        await self._ctx.call(
            "UpdateAuthEventFeedback",
            UserPoolId=self._ctx.user_pool_id,
            Username=self.username,
            EventId=event_id,
            FeedbackToken=feedback_token,
            FeedbackValue=feedback,
        )


def _attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    if not isinstance(attributes, Mapping) or not attributes:
        raise InvalidAnswerError("give attributes as a non-empty mapping")
    for name, value in attributes.items():
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise InvalidAnswerError("attributes must map strings to strings")
    return [{"Name": k, "Value": v} for k, v in attributes.items()]


def _revoked(error: CognitoError) -> bool:
    """The access token was revoked: what a repeated GlobalSignOut answers once applied."""
    return isinstance(error, TokenRevokedError) and "revoked" in error.message.lower()


def _gone(error: CognitoError) -> bool:
    """What a repeated DeleteUser answers once applied: the user does not exist, or the
    token (revoked with the user it belonged to) "has been revoked" (as the local Cognito
    answers). The token was good a moment before, for the first DeleteUser."""
    return isinstance(error, UserNotFoundError) or _revoked(error)
