"""The public entry point: :class:`UserPool`, one app client of one Cognito user pool."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
from aiobotocore.session import AioSession

from .account import Account
from .devices import DeviceStore, MemoryDeviceStore
from .drivers.account import TotpSetupFlow, VerifyAttributeFlow
from .drivers.base import FlowDriver, TransitionObserver
from .drivers.context import FlowContext
from .drivers.sign_in import SignInFlow
from .drivers.sign_up import ForgotPasswordFlow, SignUpFlow
from .errors import (
    Concealed,
    ConfigurationError,
    FlowFinishedError,
    InvalidAnswerError,
    SnapshotError,
)
from .flows.forgot_password import ForgotPasswordData
from .flows.sign_in import AUTH_FLOWS, SignInData
from .flows.sign_up import SignUpData
from .handlers import ForgotPasswordHandlers, SignInHandlers, SignUpHandlers, run_with_handlers
from .inputs import require_complete_snapshot, require_username
from .refresh import refresh_tokens, token_manager
from .srp import SrpExecutor
from .steps import require_text
from .tokens import TokenManager, TokenSet
from .wire import ClientConfig, CognitoClient, region_from_pool_id

__all__ = ["SignUpResult", "UserPool"]

#: Every flow type's driver, by the flow's name (what a snapshot's ``flow`` says).
_DRIVERS: dict[str, type[FlowDriver[Any]]] = {
    cls.table.name: cls
    for cls in (SignUpFlow, SignInFlow, ForgotPasswordFlow, TotpSetupFlow, VerifyAttributeFlow)
}


@attrs.frozen
class SignUpResult:
    """What :meth:`UserPool.sign_up` returns.

    Attributes:
        username: the user name signed up.
        user_sub: the new user's ``sub``.
        confirmed: whether the account is confirmed.
        tokens: the tokens of the automatic sign-in, when it ran.
    """

    username: str
    user_sub: str | None
    confirmed: bool
    tokens: TokenSet | None = None


class UserPool:
    """One app client of one Cognito user pool; owns the connection to Cognito.

    Use it as ``async with UserPool(user_pool_id, client_id) as pool:``.

    Args:
        user_pool_id: ``<region>_<id>``.
        client_id: the app client id.
        client_secret: the app client's secret, for clients that have one (SECRET_HASH is
            then sent wherever Cognito requires it).
        region: the AWS region; derived from ``user_pool_id`` when not given.
        endpoint_url: another endpoint (the local Cognito, a VPC endpoint).
        config: timeouts, retries and connection pool size.
        client: an aiobotocore ``cognito-idp`` client the host owns (not closed here).
        admin_client: a signed client the host owns, for admin operations.
        session: an aiobotocore session to create clients from.
        srp_executor: where SRP math runs: an :class:`~cognito_flows.srp.SrpExecutor`, or a
            ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor`` uses every core).
            Default: the loop's thread pool, one computation at a time.
        device_store: where remembered devices are kept (default: in memory).
        session_validity: seconds a Cognito challenge session lives (AuthSessionValidity,
            3 minutes by default); used to tell the host when a step expires.
        clock: the time source (epoch seconds).
        totp_issuer: the issuer shown in authenticator apps for TOTP setup.
        device_name: the name given to remembered devices.
    """

    def __init__(
        self,
        user_pool_id: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        config: ClientConfig | None = None,
        client: Any = None,
        admin_client: Any = None,
        session: AioSession | None = None,
        srp_executor: SrpExecutor | concurrent.futures.Executor | None = None,
        device_store: DeviceStore | None = None,
        session_validity: float = 180.0,
        clock: Callable[[], float] = time.time,
        totp_issuer: str = "AWSCognito",
        device_name: str | None = None,
    ) -> None:
        if not user_pool_id or not client_id:
            raise ConfigurationError("user_pool_id and client_id are required")
        region_part, _, name_part = user_pool_id.partition("_")
        if not region_part or not name_part:
            raise ConfigurationError("user_pool_id must look like '<region>_<id>'")
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self._client_secret = None if client_secret is None else Concealed(client_secret)
        self.region = region or region_from_pool_id(user_pool_id)
        self.endpoint_url = endpoint_url
        self.client = CognitoClient(
            region=self.region,
            endpoint_url=endpoint_url,
            config=config,
            client=client,
            admin_client=admin_client,
            session=session,
            client_id=client_id,
            client_secret=client_secret,
        )
        srp = srp_executor if isinstance(srp_executor, SrpExecutor) else SrpExecutor(srp_executor)
        self.device_store: DeviceStore = device_store or MemoryDeviceStore()
        self.session_validity = session_validity
        self.clock = clock
        self.totp_issuer = totp_issuer
        self.device_name = device_name
        #: What every flow, account and repository of this pool uses (never the pool).
        self.context = FlowContext(
            user_pool_id=user_pool_id,
            client_id=client_id,
            call=self._call,
            srp=srp,
            clock=clock,
            session_validity=session_validity,
            device_store=self.device_store,
            flows=self,
            totp_issuer=totp_issuer,
            device_name=device_name,
            has_secret=client_secret is not None,
        )

    @property
    def srp(self) -> SrpExecutor:
        """Where SRP math runs (the ``srp_executor`` argument, as an :class:`SrpExecutor`).

        Assigning another executor takes effect for flows started after it."""
        return self.context.srp

    @srp.setter
    def srp(self, executor: SrpExecutor) -> None:
        self.context = attrs.evolve(self.context, srp=executor)

    def _call(
        self, operation: str, /, *, secret_hash_for: str | None = None, **params: Any
    ) -> Awaitable[dict[str, Any]]:
        # Looked up at each call, so a replaced ``self.client`` (or its ``call``) is used.
        if secret_hash_for is not None:
            params["secret_hash_for"] = secret_hash_for
        return self.client.call(operation, **params)

    def __repr__(self) -> str:
        secret = ", client_secret=<hidden>" if self._client_secret else ""
        return (
            f"UserPool(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r}"
            f"{secret}, region={self.region!r})"
        )

    async def __aenter__(self) -> UserPool:
        await self.client.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the Cognito clients this pool created."""
        await self.client.aclose()

    @property
    def has_secret(self) -> bool:
        """Whether this app client has a secret."""
        return self.client.has_secret

    def secret_hash(self, username: str) -> str | None:
        """SECRET_HASH for ``username`` (``None`` for clients without a secret)."""
        return self.client.secret_hash(username)

    def __dir__(self) -> list[str]:
        """``dir()`` without the client secret's property: ``rich.inspect`` evaluates and
        prints every public attribute ``dir()`` lists."""
        return [name for name in super().__dir__() if name != "client_secret_for_refresh"]

    @property
    def client_secret_for_refresh(self) -> str | None:
        """The app client's secret itself, for the operations that take it as ClientSecret
        (GetTokensFromRefreshToken, RevokeToken). Never logged nor shown in ``repr``."""
        return None if self._client_secret is None else self._client_secret.value

    def account(self, tokens: TokenSet | TokenManager | str) -> Account:
        """A signed-in user's operations (:class:`~cognito_flows.account.Account`)."""
        return Account(self, tokens)

    async def refresh_tokens(self, tokens: TokenSet) -> TokenSet:
        """Refresh ``tokens`` (:func:`cognito_flows.account.refresh_tokens`)."""
        return await refresh_tokens(self.context, tokens)

    def token_manager(self, tokens: TokenSet | None, **kwargs: Any) -> TokenManager:
        """A single-flight :class:`TokenManager` that refreshes through this pool."""
        return token_manager(self.context, tokens, **kwargs)

    def flow_repository(self, store: Any = None, **options: Any) -> Any:
        """A :class:`~cognito_flows.store.FlowRepository` for this pool (suspended flows)."""
        from .store import FlowRepository

        return FlowRepository(self, store, **options)

    # ------------------------------------------------------------------ sign-in

    def sign_in_flow(
        self,
        username: str,
        password: str | None = None,
        *,
        flow: str = "srp",
        preferred_challenge: str | None = None,
        remember_device: bool | None = None,
        client_metadata: Mapping[str, str] | None = None,
        analytics_metadata: Mapping[str, str] | None = None,
        user_context_data: Mapping[str, str] | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> SignInFlow:
        """A sign-in flow in step mode: ``step = await flow.start()``, then ``answer(...)``.

        Args:
            username: the user name or an alias (e-mail, phone) the user typed.
            password: the password (not needed for passwordless or custom flows).
            flow: ``srp`` (default), ``password``, ``custom``, ``custom-srp``,
                ``user-auth``, or the admin variants ``admin-srp``, ``admin-password``,
                ``admin-no-srp``, ``admin-custom``, ``admin-user-auth`` (need AWS
                credentials).
            preferred_challenge: USER_AUTH's first factor (``PASSWORD``, ``PASSWORD_SRP``,
                ``EMAIL_OTP``, ``SMS_OTP``).
            remember_device: decide up front whether to remember a new device (otherwise
                a ``REMEMBER_DEVICE`` step asks).
            client_metadata: ClientMetadata for Lambda triggers, sent on every call.
            analytics_metadata: AnalyticsMetadata (Pinpoint), sent on every public call.
            user_context_data: UserContextData (advanced security), sent on every call.
            on_transition: called as ``(event, source, dest)`` after every transition.

        Raises:
            InvalidAnswerError: an unknown ``flow`` or an empty user name.
        """
        if flow not in AUTH_FLOWS:
            raise InvalidAnswerError(
                f"unknown sign-in flow {flow!r}; use one of {', '.join(AUTH_FLOWS)}"
            )
        require_username(username)
        if password is not None:
            require_text(password, "the password")
        for name, mapping in (
            ("client_metadata", client_metadata),
            ("analytics_metadata", analytics_metadata),
            ("user_context_data", user_context_data),
        ):
            if mapping is not None and not isinstance(mapping, Mapping):
                raise InvalidAnswerError(f"{name} must be a mapping of strings")
        auth_flow, admin = AUTH_FLOWS[flow]
        data = SignInData(
            username=username,
            auth_flow=auth_flow,
            admin=admin,
            custom_srp=flow in ("custom-srp",),
            preferred_challenge=preferred_challenge,
            client_metadata=dict(client_metadata) if client_metadata else None,
            analytics_metadata=dict(analytics_metadata) if analytics_metadata else None,
            user_context_data=dict(user_context_data) if user_context_data else None,
        )
        return SignInFlow(
            self.context,
            data,
            password=password,
            remember_device=remember_device,
            on_transition=on_transition,
        )

    def resume(self, snapshot: Mapping[str, Any]) -> FlowDriver[Any]:
        """Rebuild a suspended flow of any type from its ``snapshot()``.

        The flow is ready for ``answer(...)``. Its type is the snapshot's (a
        :class:`SignInFlow` for a sign-in...).

        Raises:
            SnapshotError: the snapshot is malformed, belongs to another pool or client, or
                says its flow finished without the result it finished with.
        """
        require_complete_snapshot(snapshot)
        name = snapshot.get("flow") if isinstance(snapshot, Mapping) else None
        driver = _DRIVERS.get(name) if isinstance(name, str) else None
        if driver is None:
            raise SnapshotError(f"unknown flow type {name!r}")
        return driver.from_snapshot(self.context, snapshot)

    def build(self, data: Any, **kwargs: Any) -> FlowDriver[Any]:
        """A flow of the type ``data`` belongs to (a :class:`TotpSetupData`...), with the
        driver's keyword arguments (``auth=``, ``on_transition=``...)."""
        for driver in _DRIVERS.values():
            if isinstance(data, driver.data_class):
                return driver(self.context, data, **kwargs)
        raise ConfigurationError(f"no flow type for {type(data).__name__}")

    def next_flow(self, flow: FlowDriver[Any], **kwargs: Any) -> FlowDriver[Any]:
        """The flow that follows ``flow``'s final state, as its table names it.

        After a sign-in's ``CONFIRM_SIGN_UP``: a :class:`SignUpFlow` waiting for the code
        (it can sign in afterwards with the sign-in's password); after ``RESET_PASSWORD``: a
        :class:`ForgotPasswordFlow` not yet started; after a confirmed sign-up: its sign-in
        (``kwargs`` are :meth:`sign_in_flow`'s), with ConfirmSignUp's Session (USER_AUTH, no
        password) when Cognito gave one, otherwise with the sign-up's password; after a
        password reset: a sign-in for the same user.

        Raises:
            FlowFinishedError: the flow is not in a state that names a next flow.
        """
        name = flow.table.spec(flow.state).next_flow
        username = getattr(flow.data, "username", None)
        if name is None or not isinstance(username, str):
            raise FlowFinishedError(f"no next flow after {flow.state}")
        password, session = flow._handoff()
        if name == "confirm_sign_up":
            return self.confirm_sign_up_flow(username, password)
        if name == "forgot_password":
            return self.forgot_password_flow(username)
        if session:
            sign_in = self.sign_in_flow(username, password, flow="user-auth", **kwargs)
            sign_in.data.session = session
            return sign_in
        return self.sign_in_flow(username, password, **kwargs)

    async def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        handlers: SignInHandlers | None = None,
        flow: str = "srp",
        preferred_challenge: str | None = None,
        remember_device: bool | None = None,
        client_metadata: Mapping[str, str] | None = None,
        analytics_metadata: Mapping[str, str] | None = None,
        user_context_data: Mapping[str, str] | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> TokenSet:
        """Sign in (handler mode) and return the tokens.

        ``handlers`` answers each challenge: an object with async methods named after the
        steps (``sms_mfa``, ``software_token_mfa``, ``email_otp``, ``sms_otp``,
        ``select_mfa_type``, ``mfa_setup``, ``select_challenge``, ``password``,
        ``custom_challenge``, ``new_password_required``, ``remember_device``) or a mapping
        from ChallengeName to an async callable. Each gets the :class:`~cognito_flows.Step`.

        Raises:
            MissingHandlerError: a challenge came for which there is no handler.
            CognitoError: the sign-in failed (a typed subclass: wrong password,
                UserNotConfirmedError, PasswordResetRequiredError...).
            FlowError: the flow ended otherwise (expired session, bad answer...).
        """
        sign_in = self.sign_in_flow(
            username,
            password,
            flow=flow,
            preferred_challenge=preferred_challenge,
            remember_device=remember_device,
            client_metadata=client_metadata,
            analytics_metadata=analytics_metadata,
            user_context_data=user_context_data,
            on_transition=on_transition,
        )
        step = await run_with_handlers(sign_in, handlers)
        if step.state == "EXPIRED" and step.error is None:  # pragma: no cover - defensive
            from .errors import FlowExpiredError

            raise FlowExpiredError("the sign-in session expired")
        assert step.tokens is not None
        return step.tokens

    # ------------------------------------------------------------------ sign-up

    def sign_up_flow(
        self,
        username: str,
        password: str | None,
        *,
        attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> SignUpFlow:
        """A sign-up in step mode: ``start()`` (SignUp), then ``answer(code)``.

        ``password=None`` signs up a passwordless user, where the pool allows passwordless
        sign-in (SignUp's API reference: "To create a user with no password, omit this
        parameter"); the user then signs in with an e-mail or SMS code, or a passkey, and
        :meth:`SignUpFlow.sign_in_flow` uses ConfirmSignUp's Session (USER_AUTH).

        Raises:
            InvalidAnswerError: empty user name, or a password that is not a non-empty string.
        """
        _require_name(username)
        if password is not None and (not isinstance(password, str) or not password):
            raise InvalidAnswerError("the password is empty (pass None for a passwordless user)")
        data = SignUpData(
            username=username,
            attributes=dict(attributes or {}),
            validation_data=dict(validation_data or {}),
            client_metadata=dict(client_metadata or {}),
        )
        return SignUpFlow(self.context, data, password=password, on_transition=on_transition)

    def confirm_sign_up_flow(self, username: str, password: str | None = None) -> SignUpFlow:
        """A sign-up flow waiting for the code of a user who signed up earlier.

        ``password`` lets :meth:`SignUpFlow.sign_in_flow` sign in after confirming.
        """
        _require_name(username)
        data = SignUpData(username=username, state="CONFIRM_SIGN_UP")
        return SignUpFlow(self.context, data, password=password)

    async def sign_up(
        self,
        username: str,
        password: str | None,
        *,
        handlers: SignUpHandlers | None = None,
        attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
        auto_sign_in: bool = False,
    ) -> SignUpResult:
        """Sign up and confirm (handler mode); optionally sign in right away.

        ``handlers.confirm_sign_up(step)`` returns the code; with ``auto_sign_in`` the same
        handlers then answer the sign-in's challenges. Auto sign-in uses ConfirmSignUp's
        session when the pool gives one and falls back to an SRP sign-in with the password.

        Raises:
            CognitoError: sign-up failed (UsernameExistsError, InvalidPasswordError...).
            MissingHandlerError: a code is needed and there is no ``confirm_sign_up``.
        """
        flow = self.sign_up_flow(
            username,
            password,
            attributes=attributes,
            validation_data=validation_data,
            client_metadata=client_metadata,
        )
        await run_with_handlers(flow, handlers)
        tokens = None
        if auto_sign_in:
            sign_in = flow.sign_in_flow()
            step = await run_with_handlers(sign_in, handlers, raise_error=False)
            if not step.ok and sign_in.data.auth_flow == "USER_AUTH" and password:
                fallback = self.sign_in_flow(username, password)
                step = await run_with_handlers(fallback, handlers)
            step.raise_for_error()
            tokens = step.tokens
        return SignUpResult(
            username=username, user_sub=flow.data.user_sub, confirmed=True, tokens=tokens
        )

    # ------------------------------------------------------------------ forgot password

    def forgot_password_flow(
        self,
        username: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> ForgotPasswordFlow:
        """A password reset in step mode: ``start()``, then ``answer(ResetPassword(...))``."""
        _require_name(username)
        data = ForgotPasswordData(username=username, client_metadata=dict(client_metadata or {}))
        return ForgotPasswordFlow(self.context, data, on_transition=on_transition)

    async def forgot_password(self, username: str, *, handlers: ForgotPasswordHandlers) -> None:
        """Reset a forgotten password (handler mode).

        ``handlers.confirm_forgot_password(step)`` returns ``ResetPassword(code, password)``
        and is asked again after a wrong code or a password that breaks the policy.
        """
        await run_with_handlers(self.forgot_password_flow(username), handlers)

    async def change_password(
        self, access_token: str, old_password: str, new_password: str
    ) -> None:
        """Change a signed-in user's password (ChangePassword); a lost answer is
        reconciled as :meth:`Account.change_password` does."""
        await self.account(access_token).change_password(old_password, new_password)


def _require_name(username: object) -> None:
    require_username(username)
