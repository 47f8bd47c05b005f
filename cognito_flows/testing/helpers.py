"""Helpers behind the pytest plugin: pools, users in every state, and step expectations."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

import pyotp

from ..devices import RememberedDevice
from ..handlers import StepFlow
from ..steps import Step

if TYPE_CHECKING:
    from cognito_local import LocalCognito

    from ..pool import UserPool

__all__ = [
    "DEFAULT_PASSWORD",
    "FlowStepper",
    "PoolMaker",
    "UnexpectedStepError",
    "UserFactory",
    "expect_step",
]

#: The password of users made by :class:`UserFactory` (it meets the default policy).
DEFAULT_PASSWORD = "Corr3ct-Horse-Battery!"

_DEVICE_TRACKING: dict[str, dict[str, bool]] = {
    "always": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False},
    "opt-in": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
}


class UnexpectedStepError(AssertionError):
    """A flow reached another step than the test expected.

    What to do: A test's expectation failed: the message names the expected and actual states and
    Cognito's error.
    """


def _describe(step: Step) -> str:
    text = f"{step.state}"
    if step.error is not None:
        message = getattr(step.error, "message", None) or str(step.error)
        text += f" (error {type(step.error).__name__}: {message}; retry={step.retry})"
    return text


async def expect_step(
    step: Step | Awaitable[Step],
    state: str,
    *,
    retry: bool | None = None,
    error: type[BaseException] | None = None,
    options: tuple[str, ...] | None = None,
) -> Step:
    """Await ``step`` if needed and check it; returns the step.

    Args:
        step: a :class:`~cognito_flows.Step` or an awaitable of one (``flow.answer(code)``).
        state: the expected state (``"SOFTWARE_TOKEN_MFA"``, ``"DONE"``...).
        retry: when given, the expected ``step.retry`` (a rejected answer to try again).
        error: when given, ``step.error`` must be an instance of it.
        options: when given, the expected ``step.options``.

    Raises:
        UnexpectedStepError: the step differs; the message names both and the step's error.
    """
    actual = await step if inspect.isawaitable(step) else step
    assert isinstance(actual, Step), f"expected a Step, got {type(actual).__name__}"
    problems = []
    if actual.state != state:
        problems.append(f"state {state}")
    if retry is not None and actual.retry != retry:
        problems.append(f"retry={retry}")
    if error is not None and not isinstance(actual.error, error):
        problems.append(f"error {error.__name__}")
    if options is not None and tuple(actual.options) != tuple(options):
        problems.append(f"options {options}")
    if problems:
        raise UnexpectedStepError(f"expected {', '.join(problems)}; got {_describe(actual)}")
    return actual


class FlowStepper:
    """Drives one flow in step mode and records every step it passes through.

    Attributes:
        flow: the flow.
        steps: every step returned so far, oldest first.
    """

    def __init__(self, flow: StepFlow) -> None:
        self.flow = flow
        self.steps: list[Step] = []

    def __repr__(self) -> str:
        return f"FlowStepper(states={self.states!r})"

    @property
    def states(self) -> list[str]:
        """The state of every step so far."""
        return [step.state for step in self.steps]

    @property
    def step(self) -> Step:
        """The latest step.

        Raises:
            UnexpectedStepError: the flow has not started.
        """
        if not self.steps:
            raise UnexpectedStepError("the flow has not started")
        return self.steps[-1]

    @property
    def tokens(self) -> Any:
        """The latest step's tokens (``None`` before the end)."""
        return self.step.tokens

    async def _record(self, step: Awaitable[Step], expect: str | None, **checks: Any) -> Step:
        result = await step
        self.steps.append(result)
        if expect is not None:
            await expect_step(result, expect, **checks)
        return result

    async def start(self, expect: str | None = None, **checks: Any) -> Step:
        """``flow.start()``, checked like :func:`expect_step` when ``expect`` is given."""
        return await self._record(self.flow.start(), expect, **checks)

    async def answer(self, value: Any = None, expect: str | None = None, **checks: Any) -> Step:
        """``flow.answer(value)``, checked like :func:`expect_step`."""
        return await self._record(self.flow.answer(value), expect, **checks)

    async def run(
        self, answers: Mapping[str, Any], expect: str = "DONE", max_steps: int = 20
    ) -> Step:
        """Answer every step from ``answers`` until the flow ends, then check ``expect``.

        ``answers`` maps a state to its answer, or to a callable ``(step) -> answer``
        (sync or async).

        Raises:
            UnexpectedStepError: a state has no answer, or the end is not ``expect``.
        """
        step = self.steps[-1] if self.steps else await self.start()
        for _ in range(max_steps):
            if step.done:
                return await expect_step(step, expect)
            if step.state not in answers:
                raise UnexpectedStepError(f"no answer for {_describe(step)}")
            answer = answers[step.state]
            if callable(answer):
                answer = answer(step)
                if inspect.isawaitable(answer):
                    answer = await answer
            step = await self.answer(answer)
        raise UnexpectedStepError(f"the flow did not end within {max_steps} steps")


class UserFactory:
    """Users of one pool on the local Cognito, in every state a sign-in cares about.

    Users are created with the emulator's test shortcuts (no codes are sent). Names are
    generated (``user-1``...) unless given. Every user's password is :attr:`password`.
    """

    _counter = itertools.count(1)

    def __init__(
        self, local: LocalCognito, pool: UserPool, *, password: str = DEFAULT_PASSWORD
    ) -> None:
        self.local = local
        self.pool = pool
        self.password = password

    def __repr__(self) -> str:
        return f"UserFactory(pool={self.pool.user_pool_id!r})"

    def _create(self, prefix: str, name: str | None, **options: Any) -> str:
        username = name or f"{prefix}-{next(self._counter)}"
        self.local.pool(self.pool.user_pool_id).create_user(
            username, options.pop("password", None) or self.password, **options
        )
        return username

    async def confirmed(
        self,
        name: str | None = None,
        *,
        password: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        """A confirmed user without MFA; returns the user name."""
        return self._create("user", name, password=password, attributes=attributes)

    async def unconfirmed(self, name: str | None = None, *, email: str | None = None) -> str:
        """A signed-up user who has not confirmed (sign-in ends in ``CONFIRM_SIGN_UP``)."""
        username = name or f"unconfirmed-{next(self._counter)}"
        attributes = {"email": email or f"{username}@example.com", "email_verified": "false"}
        return self._create("unconfirmed", username, attributes=attributes, status="UNCONFIRMED")

    async def force_change_password(self, name: str | None = None) -> str:
        """A user created by an admin: sign-in asks ``NEW_PASSWORD_REQUIRED``.

        Their temporary password is :attr:`password`.
        """
        return self._create("invited", name, status="FORCE_CHANGE_PASSWORD")

    async def totp_enrolled(self, name: str | None = None) -> tuple[str, str]:
        """A user with TOTP MFA preferred; returns ``(name, secret)``.

        Codes: :meth:`totp`. A code is accepted once: advance ``cognito_clock`` by 30 s
        before using a second code.
        """
        secret = pyotp.random_base32()
        username = self._create(
            "totp",
            name,
            mfa="SOFTWARE_TOKEN_MFA",
            preferred_mfa="SOFTWARE_TOKEN_MFA",
            totp_secret=secret,
        )
        return username, secret

    async def sms_mfa(self, name: str | None = None, *, phone: str = "+15555550100") -> str:
        """A user with SMS MFA preferred (codes in the outbox: :meth:`code`)."""
        return self._create(
            "sms", name, attributes={"phone_number": phone}, mfa="SMS_MFA", preferred_mfa="SMS_MFA"
        )

    async def email_mfa(self, name: str | None = None, *, email: str | None = None) -> str:
        """A user with e-mail MFA preferred (codes in the outbox: :meth:`code`)."""
        username = name or f"email-{next(self._counter)}"
        return self._create(
            "email",
            username,
            attributes={"email": email or f"{username}@example.com"},
            mfa="EMAIL_OTP",
            preferred_mfa="EMAIL_OTP",
        )

    async def remembered_device(self, name: str | None = None) -> tuple[str, RememberedDevice]:
        """A confirmed user who signed in once and remembered this pool's device.

        The device is in ``pool.device_store``, so the pool's next sign-in for this user
        proves it (DEVICE_SRP_AUTH). Needs a pool with device tracking
        (``cognito_pool_settings`` ``{"device_tracking": "always"}`` or ``"opt-in"``).

        Raises:
            RuntimeError: the pool does not track devices.
        """
        if not self.local.pool(self.pool.user_pool_id).device_configuration:
            raise RuntimeError(
                "remembered_device() needs a pool with device tracking: "
                "set cognito_pool_settings {'device_tracking': 'always'}"
            )
        username = await self.confirmed(name)
        await self.pool.sign_in(username, self.password, remember_device=True)
        device = await self.pool.device_store.get(self.pool.user_pool_id, username)
        if device is None:  # pragma: no cover - the emulator always offers a device
            raise RuntimeError("the sign-in did not remember a device")
        return username, device

    def totp(self, secret: str) -> str:
        """The TOTP code for ``secret`` at the emulator's clock."""
        return pyotp.TOTP(secret).at(self.local.clock.now())

    def code(self, username: str, purpose: str | None = None) -> str:
        """The newest code the emulator sent to ``username`` (optionally for ``purpose``).

        Raises:
            LookupError: none was sent.
        """
        return str(self.local.outbox.last(username=username, purpose=purpose).code)


class PoolMaker:
    """Creates pools on the local Cognito and opened :class:`~cognito_flows.UserPool` objects.

    Pools are closed by :meth:`aclose` (the plugin does it after the test).
    """

    def __init__(self, local: LocalCognito) -> None:
        self.local = local
        self.opened: list[UserPool] = []

    def __repr__(self) -> str:
        return f"PoolMaker(pools={len(self.opened)})"

    async def pool(
        self,
        *,
        mfa: str = "OPTIONAL",
        secret: bool = False,
        device_tracking: bool | str = False,
        pool: Mapping[str, Any] | None = None,
        client: Mapping[str, Any] | None = None,
        **user_pool: Any,
    ) -> UserPool:
        """A new pool with one app client (every auth flow allowed), opened.

        Args:
            mfa: ``OFF``, ``OPTIONAL`` or ``ON`` (SMS, TOTP and e-mail MFA are available).
            secret: give the app client a secret.
            device_tracking: ``False``, ``"always"`` (``True``) or ``"opt-in"``.
            pool: more ``CreateUserPool`` members.
            client: more ``CreateUserPoolClient`` members.
            user_pool: keyword arguments for :class:`~cognito_flows.UserPool`
                (``session_validity``, ``device_store``...).
        """
        from cognito_local.config import default_local_pool_settings

        settings = default_local_pool_settings("tests")
        settings["MfaConfiguration"] = mfa
        if device_tracking:
            mode = "always" if device_tracking is True else str(device_tracking)
            if mode not in _DEVICE_TRACKING:
                raise ValueError("device_tracking must be False, 'always' or 'opt-in'")
            settings["DeviceConfiguration"] = dict(_DEVICE_TRACKING[mode])
        settings.update(pool or {})
        model = self.local.backend.create_pool(settings, api=False)
        client_id, client_secret = self.local.create_client(
            model.id,
            generate_secret=secret,
            name="tests",
            **{"PreventUserExistenceErrors": "ENABLED", **(client or {})},
        )
        user_pool.setdefault("clock", self.local.clock.now)
        from ..pool import UserPool

        opened = UserPool(
            model.id,
            client_id,
            client_secret=client_secret,
            endpoint_url=self.local.endpoint_url,
            region=self.local.region,
            **user_pool,
        )
        await opened.__aenter__()
        self.opened.append(opened)
        return opened

    def users(self, pool: UserPool, *, password: str = DEFAULT_PASSWORD) -> UserFactory:
        """A :class:`UserFactory` for ``pool``."""
        return UserFactory(self.local, pool, password=password)

    async def aclose(self) -> None:
        """Close every pool opened here."""
        while self.opened:
            await self.opened.pop().aclose()
