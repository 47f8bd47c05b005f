"""The sign-in driver: runs :mod:`cognito_flows.flows.sign_in` against Cognito.

It holds no flow state of its own beyond the flow's data and a few runtime-only secrets (the
password, the SRP ephemeral, the tokens of a finished sign-in), which are never part of a
snapshot. One lock per flow: two answers to the same flow never interleave.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .. import srp
from ..devices import RememberedDevice
from ..engine import CodeDelivery, Step, TotpSetup, require_code, require_text
from ..errors import (
    CognitoError,
    CognitoFlowsError,
    EnableSoftwareTokenMFAError,
    FlowExpiredError,
    FlowFinishedError,
    InvalidAnswerError,
    ProtocolError,
    SrpError,
)
from ..flows import sign_in as table
from ..flows.sign_in import SIGN_IN, SignInData
from ..tokens import TokenSet
from ..wire import CognitoConnectionError
from .base import FlowDriver, TransitionObserver

if TYPE_CHECKING:
    from ..pool import UserPool

__all__ = ["NewPassword", "SignInFlow", "TotpCode"]

log = logging.getLogger("cognito_flows.sign_in")


@attrs.frozen(repr=False)
class NewPassword:
    """The answer to NEW_PASSWORD_REQUIRED: the new password and any required attributes."""

    password: str
    attributes: Mapping[str, str] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"NewPassword(password=<hidden>, attributes={sorted(self.attributes)!r})"


@attrs.frozen(repr=False)
class TotpCode:
    """The answer to TOTP setup: the code and an optional friendly device name."""

    code: str
    device_name: str | None = None

    def __repr__(self) -> str:
        return f"TotpCode(code=<hidden>, device_name={self.device_name!r})"


class SignInFlow(FlowDriver[SignInData]):
    """One sign-in, driven in step mode (``start`` / ``answer``) or by handlers.

    Create it with :meth:`UserPool.sign_in_flow`. Every public method is safe to call
    concurrently: a per-flow lock serialises them.
    """

    __slots__ = ("_ephemeral", "_password", "_remember_device", "_tokens", "_totp_secret")

    table = SIGN_IN
    data_class = SignInData

    def __init__(
        self,
        pool: UserPool,
        data: SignInData,
        *,
        password: str | None = None,
        remember_device: bool | None = None,
        on_transition: TransitionObserver | None = None,
    ) -> None:
        super().__init__(pool, data, on_transition=on_transition)
        self._password = password
        self._remember_device = remember_device
        self._ephemeral: srp.SrpEphemeral | None = None
        self._tokens: TokenSet | None = None
        # Shown once in the MFA_SETUP_SOFTWARE_TOKEN step; never stored in a snapshot.
        self._totp_secret: str | None = None

    def __repr__(self) -> str:
        return f"SignInFlow(state={self.data.state!r}, username={self.data.username!r})"

    # ------------------------------------------------------------------ public API

    @property
    def tokens(self) -> TokenSet | None:
        """The tokens once signed in (``DONE`` or ``REMEMBER_DEVICE``)."""
        return self._tokens

    @property
    def step(self) -> Step:
        """The current step, without doing anything."""
        return self._step()

    async def start(self) -> Step:
        """Start the sign-in (InitiateAuth) and return the first step that needs the host.

        Calling it on a flow that already started returns the current step (or continues
        an internal step after an interruption).
        """
        async with self._lock:
            if self.data.state == "INITIAL":
                await self._initiate()
            elif self.data.state in SIGN_IN.internal:
                await self._advance()
            return self._step()

    async def answer(self, value: Any = None) -> Step:
        """Answer the current step and return the next one.

        Raises:
            InvalidAnswerError: the answer has the wrong type or shape; nothing was sent and
                the flow is unchanged.
            FlowFinishedError: the flow has ended.
            CognitoError: a transient Cognito error (throttling after retries, limits); the
                flow is unchanged and the same answer can be sent again.
        """
        async with self._lock:
            state = self.data.state
            if state in SIGN_IN.final:
                raise FlowFinishedError(f"the sign-in flow has ended in {state}")
            if state == "INITIAL":
                if value is not None:
                    self._password = require_text(value, "the password")
                await self._initiate()
            elif state in SIGN_IN.internal:
                if state == "PASSWORD_VERIFIER" and value is not None:
                    self._password = require_text(value, "the password")
                await self._advance()
            else:
                await self._answer(state, value)
            return self._step()

    def next_flow(self) -> FlowDriver[Any]:
        """The flow to run after ``CONFIRM_SIGN_UP`` or ``RESET_PASSWORD``.

        A :class:`SignUpFlow` waiting for the confirmation code (it can sign in afterwards
        with this flow's password) or a :class:`ForgotPasswordFlow` not yet started.

        Raises:
            FlowFinishedError: the flow did not end in one of those states.
        """
        if self.data.state == "CONFIRM_SIGN_UP":
            return self.pool.confirm_sign_up_flow(self.data.username, self._password)
        if self.data.state == "RESET_PASSWORD":
            return self.pool.forgot_password_flow(self.data.username)
        raise FlowFinishedError(f"no next flow after {self.data.state}")

    def _snapshot_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"remember_device": self._remember_device}
        # Tokens only once signed in, as the flow's result; never for a pending flow.
        if self._tokens is not None and self.data.state in ("DONE", "REMEMBER_DEVICE"):
            extra["result"] = {"tokens": self._tokens.to_dict()}
        return extra

    def _restore_extra(self, snap: Mapping[str, Any]) -> None:
        remember = snap.get("remember_device")
        self._remember_device = remember if isinstance(remember, bool) else None
        result = snap.get("result")
        if isinstance(result, Mapping) and isinstance(result.get("tokens"), Mapping):
            self._tokens = TokenSet.from_dict(result["tokens"])

    async def restart(self, password: str | None = None) -> Step:
        """Start again after ``FAILED`` or ``EXPIRED`` (a new Cognito session)."""
        async with self._lock:
            if self.data.state not in ("FAILED", "EXPIRED"):
                raise FlowFinishedError(f"cannot restart a flow in {self.data.state}")
            if password is not None:
                self._password = require_text(password, "the password")
            if table.needs_password(self.data) and not self._password:
                raise InvalidAnswerError("restarting this sign-in needs the password")
            self._error = None
            await self._fire("restart")
            await self._initiate()
            return self._step()

    # ------------------------------------------------------------------ steps

    def _step(self) -> Step:
        data = self.data
        state = data.state
        done = state in SIGN_IN.final
        params = data.challenge_parameters
        totp = None
        if state == "MFA_SETUP_SOFTWARE_TOKEN" and self._totp_secret:
            totp = TotpSetup(
                secret=self._totp_secret, account=data.username, issuer=self.pool.totp_issuer
            )
        public_params: dict[str, str] = {}
        if state == "CUSTOM_CHALLENGE":
            public_params = {k: v for k, v in params.items() if k != "USERNAME"}
        next_flow = {"CONFIRM_SIGN_UP": "confirm_sign_up", "RESET_PASSWORD": "forgot_password"}.get(
            state
        )
        error = self._error
        return Step(
            flow="sign_in",
            state=state,
            challenge=table.CHALLENGE_OF_STATE.get(state, state)
            if state in table.CHALLENGES or state in table.CHALLENGE_OF_STATE
            else None,
            done=done,
            handler=None if done else table.HANDLER_FOR_STATE.get(state),
            tokens=self._tokens if state in ("DONE", "REMEMBER_DEVICE") else None,
            error=error,
            retry=self._retry and not done,
            next_flow=next_flow,
            delivery=CodeDelivery.from_challenge(params),
            options=table.available_options(data),
            totp=totp,
            required_attributes=table.required_attributes(params)
            if state == "NEW_PASSWORD_REQUIRED"
            else (),
            user_attributes=table.json_dict(params.get("userAttributes"))
            if state == "NEW_PASSWORD_REQUIRED"
            else {},
            parameters=public_params,
            session_expires_at=data.session_expires_at,
            username=data.cognito_username or data.user_id_for_srp or data.username,
            device_key=data.new_device_key or data.device_key,
        )

    # ------------------------------------------------------------------ Cognito calls

    def _common(self) -> dict[str, Any]:
        data = self.data
        params: dict[str, Any] = {"ClientId": self.pool.client_id}
        if data.client_metadata:
            params["ClientMetadata"] = dict(data.client_metadata)
        if data.admin:
            params["UserPoolId"] = self.pool.user_pool_id
            if data.user_context_data:
                params["ContextData"] = dict(data.user_context_data)
        else:
            if data.analytics_metadata:
                params["AnalyticsMetadata"] = dict(data.analytics_metadata)
            if data.user_context_data:
                params["UserContextData"] = dict(data.user_context_data)
        return params

    def _with_secret(self, params: dict[str, str], username: str) -> dict[str, str]:
        hashed = self.pool.secret_hash(username)
        if hashed is not None:
            params["SECRET_HASH"] = hashed
        return params

    async def _initiate(self) -> None:
        data = self.data
        if data.device_key is None:
            device = await self.pool.device_store.get(self.pool.user_pool_id, data.username)
            if device is not None:
                data.device_key = device.device_key
                data.device_group_key = device.device_group_key
        auth: dict[str, str] = {"USERNAME": data.username}
        flow = data.auth_flow
        if flow == "USER_AUTH" and data.preferred_challenge:
            auth["PREFERRED_CHALLENGE"] = data.preferred_challenge
        if table.needs_password(data):
            if not self._password:
                raise InvalidAnswerError("this sign-in flow needs the password")
            plain = (
                flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
                or data.preferred_challenge == "PASSWORD"
            )
            if plain:
                auth["PASSWORD"] = self._password
            else:
                self._ephemeral = await self.pool.srp.run(srp.start_ephemeral)
                auth["SRP_A"] = self._ephemeral.srp_a
                if flow == "CUSTOM_AUTH":
                    auth["CHALLENGE_NAME"] = "SRP_A"
        if data.device_key:
            auth["DEVICE_KEY"] = data.device_key
        self._with_secret(auth, data.username)
        operation = "AdminInitiateAuth" if data.admin else "InitiateAuth"
        # USER_AUTH may continue a confirmed sign-up's session (auto sign-in).
        session = data.session if flow == "USER_AUTH" else None
        await self._call_and_fire(
            operation, AuthFlow=flow, AuthParameters=auth, Session=session, **self._common()
        )

    async def _respond(self, challenge: str, responses: dict[str, str]) -> None:
        data = self.data
        responses.setdefault("USERNAME", data.answer_username)
        if data.device_key:
            # As AWS's client does on every answer: Cognito ties the answer to the device.
            responses.setdefault("DEVICE_KEY", data.device_key)
        self._with_secret(responses, responses["USERNAME"])
        operation = "AdminRespondToAuthChallenge" if data.admin else "RespondToAuthChallenge"
        await self._call_and_fire(
            operation,
            ChallengeName=challenge,
            ChallengeResponses=responses,
            Session=data.session,
            **self._common(),
        )

    async def _call_and_fire(self, operation: str, **params: Any) -> None:
        """Call Cognito, fire the event its answer names, then run internal steps."""
        try:
            response = await self.pool.client.call(operation, **params)
        except CognitoError as exc:
            await self._on_error(exc)
            return
        await self._on_response(response)

    async def _on_response(self, response: Mapping[str, Any]) -> None:
        try:
            event = table.event_for_response(response)
        except ProtocolError as exc:
            await self._fail(exc)
            return
        self._error = None
        self._retry = False
        now = self.pool.clock()
        if event in ("AuthenticationResult", "NewDeviceMetadata"):
            result = response["AuthenticationResult"]
            try:
                self._tokens = TokenSet.from_authentication_result(result, now=now)
            except ProtocolError as exc:  # e.g. no IdToken or ExpiresIn
                await self._fail(exc)
                return
            self._password = None
            if event == "NewDeviceMetadata":
                meta = result["NewDeviceMetadata"]
                await self._fire(
                    event,
                    device_key=str(meta["DeviceKey"]),
                    device_group_key=str(meta.get("DeviceGroupKey") or ""),
                )
                if self._remember_device is not None:
                    await self._remember(self._remember_device)
            else:
                if self.data.device_key and self._tokens.device_key is None:
                    self._tokens = attrs.evolve(self._tokens, device_key=self.data.device_key)
                await self._fire(event)
            return
        if not SIGN_IN.can(self.data.state, event):
            await self._fail(ProtocolError(f"Cognito asked for {event} in {self.data.state}"))
            return
        await self._fire(
            event, response=response, now=now, session_validity=self.pool.session_validity
        )
        await self._advance()

    async def _on_error(self, exc: CognitoError) -> None:
        data = self.data
        event = table.event_for_error(exc, data.state, has_device=data.device_key is not None)
        if event is None:
            raise exc
        self._error = exc
        self._retry = event in table.RETRY_EVENTS
        if event == "ResourceNotFoundException":
            log.info("remembered device no longer exists; signing in without it")
            await self.pool.device_store.delete(self.pool.user_pool_id, data.username)
            await self._fire(event)
            self._error = None
            if self._password or not table.needs_password(data):
                await self._initiate()
            return
        await self._fire(event, error=exc)
        if data.state in SIGN_IN.final and data.state != "CONFIRM_SIGN_UP":
            self._password = None  # kept only to sign in after confirming the sign-up

    async def _fail(self, exc: CognitoFlowsError) -> None:
        self._error = exc
        self._retry = False
        self._password = None
        await self._fire("failed", code=type(exc).__name__, message=str(exc))

    # ------------------------------------------------------------------ internal states

    async def _advance(self) -> None:
        """Answer the states the library answers by itself, until the host is needed."""
        data = self.data
        state = data.state
        try:
            if state == "PASSWORD_VERIFIER":
                await self._password_verifier()
            elif state == "DEVICE_SRP_AUTH":
                await self._device_srp_auth()
            elif state == "DEVICE_PASSWORD_VERIFIER":
                await self._device_password_verifier()
            elif state == "MFA_SETUP_VERIFIED":
                await self._respond("MFA_SETUP", {})
            elif state == "MFA_SETUP":
                options = table.available_options(data)
                if len(options) == 1:
                    await self._choose_mfa_setup(options[0])
        except SrpError as exc:
            await self._fail(exc)

    async def _password_verifier(self) -> None:
        if not self._password:
            return  # wait for answer(password): the flow was resumed without it
        if self._ephemeral is None:
            # Resumed in another process: the SRP_A of this session is gone.
            await self._fail(FlowExpiredError("the SRP exchange was interrupted; restart"))
            return
        responses = await self.pool.srp.run(
            srp.password_verifier_response,
            self._ephemeral,
            dict(self.data.challenge_parameters),
            user_pool_id=self.pool.user_pool_id,
            password=self._password,
            timestamp=srp.format_timestamp(self.pool.now_datetime()),
            deadline=self.data.session_expires_at or self.pool.clock() + self.pool.session_validity,
            clock=self.pool.clock,
        )
        self.data.user_id_for_srp = responses["USERNAME"]
        # Cognito sends USERNAME and USER_ID_FOR_SRP with the same value; moto sends the sub
        # as USER_ID_FOR_SRP and expects USERNAME back. Sign with USER_ID_FOR_SRP, answer
        # with USERNAME, as Amplify Swift and pycognito do.
        responses["USERNAME"] = (
            self.data.challenge_parameters.get("USERNAME") or responses["USERNAME"]
        )
        self.data.cognito_username = responses["USERNAME"]
        if self.data.device_key:
            responses["DEVICE_KEY"] = self.data.device_key
        await self._respond("PASSWORD_VERIFIER", responses)

    async def _device(self) -> RememberedDevice | None:
        return await self.pool.device_store.get(self.pool.user_pool_id, self.data.username)

    async def _device_srp_auth(self) -> None:
        device = await self._device()
        if device is None:
            await self._fail(
                FlowExpiredError("Cognito asked for a device proof but no device is remembered")
            )
            return
        self._ephemeral = await self.pool.srp.run(srp.start_ephemeral)
        await self._respond(
            "DEVICE_SRP_AUTH",
            {
                "USERNAME": self.data.answer_username,
                "DEVICE_KEY": device.device_key,
                "SRP_A": self._ephemeral.srp_a,
            },
        )

    async def _device_password_verifier(self) -> None:
        device = await self._device()
        if device is None or self._ephemeral is None:
            await self._fail(FlowExpiredError("the device proof was interrupted; restart"))
            return
        responses = await self.pool.srp.run(
            srp.device_password_verifier_response,
            self._ephemeral,
            dict(self.data.challenge_parameters),
            device_group_key=device.device_group_key,
            device_key=device.device_key,
            device_password=device.device_password,
            user_id_for_srp=self.data.answer_username,
            timestamp=srp.format_timestamp(self.pool.now_datetime()),
        )
        await self._respond("DEVICE_PASSWORD_VERIFIER", responses)

    async def _choose_mfa_setup(self, choice: str) -> None:
        if choice == "SOFTWARE_TOKEN_MFA":
            try:
                response = await self.pool.client.call(
                    "AssociateSoftwareToken", Session=self.data.session
                )
            except CognitoError as exc:
                await self._on_error(exc)
                return
            secret = response.get("SecretCode")
            if not isinstance(secret, str) or not secret:
                await self._fail(ProtocolError("AssociateSoftwareToken returned no SecretCode"))
                return
            self._totp_secret = secret
            await self._fire(
                "AssociateSoftwareToken",
                session=response.get("Session") or self.data.session,
                now=self.pool.clock(),
                session_validity=self.pool.session_validity,
            )
        elif choice == "EMAIL_OTP":
            await self._fire("choose_email")
        else:
            raise InvalidAnswerError(f"MFA type {choice} cannot be set up here")

    # ------------------------------------------------------------------ host answers

    def _choice(self, value: Any, options: tuple[str, ...], aliases: Mapping[str, str]) -> str:
        text = require_text(value, "the choice").strip().upper()
        choice = aliases.get(text, text)
        if options and choice not in options:
            raise InvalidAnswerError(f"choose one of {', '.join(options)}")
        return choice

    async def _answer(self, state: str, value: Any) -> None:
        data = self.data
        if state == "REMEMBER_DEVICE":
            if not isinstance(value, bool):
                raise InvalidAnswerError("answer REMEMBER_DEVICE with True or False")
            await self._remember(value)
            return
        code_keys = {
            "SMS_MFA": "SMS_MFA_CODE",
            "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
            "EMAIL_OTP": "EMAIL_OTP_CODE",
            "SMS_OTP": "SMS_OTP_CODE",
        }
        if state in code_keys:
            code = require_code(value)
            await self._respond(state, {code_keys[state]: code})
        elif state == "SELECT_MFA_TYPE":
            choice = self._choice(value, table.available_options(data), table.MFA_ALIASES)
            await self._respond("SELECT_MFA_TYPE", {"ANSWER": choice})
        elif state == "MFA_SETUP":
            choice = self._choice(value, table.available_options(data), table.MFA_ALIASES)
            await self._choose_mfa_setup(choice)
        elif state == "MFA_SETUP_SOFTWARE_TOKEN":
            await self._verify_totp(value)
        elif state == "MFA_SETUP_EMAIL":
            email = require_text(value, "the e-mail address").strip()
            if "@" not in email:
                raise InvalidAnswerError("an e-mail address is needed")
            await self._respond("MFA_SETUP", {"EMAIL": email})
        elif state == "SELECT_CHALLENGE":
            await self._select_challenge(value)
        elif state in ("PASSWORD", "PASSWORD_SRP"):
            self._password = require_text(value, "the password")
            await self._send_password(state)
        elif state == "CUSTOM_CHALLENGE":
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            answer = require_text(value, "the answer")
            await self._respond("CUSTOM_CHALLENGE", {"ANSWER": answer})
        elif state == "NEW_PASSWORD_REQUIRED":
            await self._new_password(value)
        else:  # pragma: no cover - every waiting state is listed above
            raise InvalidAnswerError(f"state {state} takes no answer")

    async def _verify_totp(self, value: Any) -> None:
        name: str | None = None
        if isinstance(value, TotpCode):
            value, name = value.code, value.device_name
        code = require_code(value, digits=(6, 6))
        try:
            response = await self.pool.client.call(
                "VerifySoftwareToken",
                Session=self.data.session,
                UserCode=code,
                FriendlyDeviceName=name,
            )
        except CognitoError as exc:
            await self._on_error(exc)
            return
        if response.get("Status") != "SUCCESS":
            await self._on_error(
                EnableSoftwareTokenMFAError(
                    "VerifySoftwareToken did not succeed", operation="VerifySoftwareToken"
                )
            )
            return
        self._error = None
        self._retry = False
        await self._fire(
            "VerifySoftwareToken",
            session=response.get("Session") or self.data.session,
            now=self.pool.clock(),
            session_validity=self.pool.session_validity,
        )
        await self._advance()

    async def _select_challenge(self, value: Any) -> None:
        choice = self._choice(value, table.available_options(self.data), {})
        if choice in ("PASSWORD", "PASSWORD_SRP"):
            if not self._password:
                event = "choose_password" if choice == "PASSWORD" else "choose_password_srp"
                await self._fire(event)
                return
            await self._send_password(choice)
            return
        await self._respond("SELECT_CHALLENGE", {"ANSWER": choice})

    async def _send_password(self, which: str) -> None:
        """Send the password for PASSWORD / PASSWORD_SRP (chosen or asked by Cognito)."""
        via_select = self.data.challenge_name == "SELECT_CHALLENGE"
        responses: dict[str, str] = {"ANSWER": which} if via_select else {}
        if which == "PASSWORD":
            responses["PASSWORD"] = self._password or ""
        else:
            self._ephemeral = await self.pool.srp.run(srp.start_ephemeral)
            responses["SRP_A"] = self._ephemeral.srp_a
        await self._respond("SELECT_CHALLENGE" if via_select else which, responses)

    async def _new_password(self, value: Any) -> None:
        if isinstance(value, str):
            value = NewPassword(value)
        if not isinstance(value, NewPassword) or not isinstance(value.attributes, Mapping):
            raise InvalidAnswerError(
                "answer NEW_PASSWORD_REQUIRED with a str or NewPassword(password, {name: value})"
            )
        require_text(value.password, "the new password")
        params = self.data.challenge_parameters
        current = table.json_dict(params.get("userAttributes"))
        missing = [
            a
            for a in table.required_attributes(params)
            if not value.attributes.get(a) and not current.get(a)
        ]
        if missing:
            raise InvalidAnswerError(f"required attributes missing: {', '.join(missing)}")
        responses = {"NEW_PASSWORD": value.password}
        for name, attr_value in value.attributes.items():
            if not isinstance(attr_value, str):
                raise InvalidAnswerError(f"attribute {name} must be a string")
            responses[f"userAttributes.{name}"] = attr_value
        await self._respond("NEW_PASSWORD_REQUIRED", responses)

    async def _remember(self, remember: bool) -> None:
        data = self.data
        tokens = self._tokens
        if not remember or tokens is None or not data.new_device_key:
            await self._fire("device_not_remembered")
            return
        secret = await self.pool.srp.run(
            srp.generate_device_secret, data.new_device_group_key or "", data.new_device_key
        )
        try:
            response = await self.pool.client.call(
                "ConfirmDevice",
                AccessToken=tokens.access_token,
                DeviceKey=data.new_device_key,
                DeviceSecretVerifierConfig=secret.verifier_config,
                DeviceName=self.pool.device_name,
            )
            if response.get("UserConfirmationNecessary"):
                await self.pool.client.call(
                    "UpdateDeviceStatus",
                    AccessToken=tokens.access_token,
                    DeviceKey=data.new_device_key,
                    DeviceRememberedStatus="remembered",
                )
        except (CognitoError, CognitoConnectionError) as exc:
            # Signed in all the same; the device is just not remembered.
            log.warning(
                "could not remember the device: %s", getattr(exc, "code", type(exc).__name__)
            )
            await self._fire("device_not_remembered")
            return
        await self.pool.device_store.put(
            self.pool.user_pool_id,
            data.username,
            RememberedDevice(
                data.new_device_key, data.new_device_group_key or "", secret.device_password
            ),
        )
        self._tokens = attrs.evolve(tokens, device_key=data.new_device_key)
        await self._fire("ConfirmDevice")
