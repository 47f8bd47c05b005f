"""The one driver loop every flow runs on; the per-flow lock, snapshots.

A driver owns one flow's data object (plain attrs, the only thing a snapshot holds) and the
runtime-only values that must never be stored (passwords, SRP secrets, tokens of a pending
flow). It holds no decisions: it asks the state's spec (in the flow module) for the step
function, performs the effects it yields (a Cognito call through the context, SRP in the
executor, the device store, the tokens), fires the events it names, and repeats while the
state is one the library answers itself. Subclasses declare their
:class:`~cognito_flows.flows._table.FlowTable`, data class, runtime and step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import cattrs

from .. import srp
from ..devices import RememberedDevice
from ..errors import (
    CognitoFlowsError,
    ConfigurationError,
    FlowFinishedError,
    ProtocolError,
    SnapshotError,
    from_cognito,
)
from ..flows._table import (
    AccessToken,
    Call,
    Compute,
    Device,
    Effect,
    Fire,
    FlowTable,
    State,
    Steps,
    Tokens,
)
from ..steps import Step
from ..tokens import TokenSet
from .context import FlowContext

__all__ = ["SNAPSHOT_VERSION", "FlowDriver", "TransitionObserver"]

log = logging.getLogger("cognito_flows.flows")

#: Version of the snapshot schema.
SNAPSHOT_VERSION = 1

#: ``(event, source state, destination state)``.
TransitionObserver = Callable[[str, str, str], None]

_converter = cattrs.Converter(forbid_extra_keys=True)

#: The SRP functions a flow may ask for by name (:class:`Compute`).
_SRP: dict[str, Callable[..., Any]] = {
    "start_ephemeral": srp.start_ephemeral,
    "password_verifier_response": srp.password_verifier_response,
    "device_password_verifier_response": srp.device_password_verifier_response,
    "generate_device_secret": srp.generate_device_secret,
}

D = TypeVar("D")


def _without_nulls(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without its ``None`` entries, in nested objects too (not inside lists)."""
    return {
        key: _without_nulls(item) if isinstance(item, dict) else item
        for key, item in value.items()
        if item is not None
    }


class FlowDriver(Generic[D]):
    """Base class of flow drivers (sign-in, sign-up, forgot password...)."""

    __slots__ = (
        "_error",
        "_fired",
        "_lock",
        "_lock_users",
        "_retry",
        "ctx",
        "data",
        "on_transition",
        "rt",
    )

    table: ClassVar[FlowTable]
    data_class: ClassVar[type[Any]]
    #: How long a suspended flow of this type stays useful when it has no Cognito session
    #: (the lifetime of the code it waits for); ``None``: the pool's session validity.
    idle_lifetime: ClassVar[float | None] = None

    def __init__(
        self, ctx: FlowContext, data: D, *, on_transition: TransitionObserver | None = None
    ) -> None:
        self.ctx = ctx
        self.data = data
        #: Called as ``on_transition(event, source, dest)`` after every transition.
        self.on_transition = on_transition
        self._error: CognitoFlowsError | None = None
        self._retry = False
        # Made while a call runs and dropped after it: a suspended flow holds no lock.
        self._lock: asyncio.Lock | None = None
        self._lock_users = 0
        self._fired = 0  # transitions so far: how the loop sees a library state progress
        #: The runtime-only values (secrets, tokens): never part of a snapshot.
        self.rt: Any = self._runtime()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(state={self.state!r})"

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """The per-flow lock: two calls on one flow never interleave."""
        lock = self._lock
        if lock is None:
            lock = self._lock = asyncio.Lock()
        self._lock_users += 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users -= 1
            if not self._lock_users:
                self._lock = None

    @property
    def state(self) -> str:
        """The current state."""
        state: str = getattr(self.data, "state")  # noqa: B009 - D is generic
        return state

    @property
    def done(self) -> bool:
        """Whether the flow has ended."""
        return self.state in self.table.final

    @property
    def step(self) -> Step:
        """The current step, without doing anything."""
        return self._step()

    def _step(self) -> Step:
        raise NotImplementedError

    def _runtime(self) -> Any:
        """The flow's runtime-only values (never in a snapshot): its flow module's type."""
        return None

    async def start(self) -> Step:
        """Begin the flow and return the first step that needs the host.

        On a flow that already started it returns the current step (or continues a state
        the library answers itself, after an interruption).
        """
        async with self._locked():
            spec = self.table.spec(self.state)
            if spec.kind == "start":
                await self._run(spec, None)
            await self._settle()
            return self.step

    async def answer(self, value: Any = None) -> Step:
        """Answer the current step and return the next one.

        Raises:
            InvalidAnswerError: the answer has the wrong type or shape; nothing was sent and
                the flow is unchanged.
            FlowFinishedError: the flow has ended, or takes no answer in its state.
            CognitoError: a transient Cognito error (throttling after retries, limits); the
                flow is unchanged and the same answer can be sent again.
        """
        async with self._locked():
            spec = self.table.spec(self.state)
            if spec.kind == "final":
                raise FlowFinishedError(f"the {self.table.name} flow has ended in {spec.name}")
            if spec.kind == "start" and spec.validate is None:
                raise FlowFinishedError(f"the {self.table.name} flow is in {spec.name}")
            if spec.validate is not None:
                value = spec.validate(self.data, value)
            await self._run(spec, value)
            await self._settle()
            return self.step

    async def _act(self, steps: Callable[[D, Any], Steps], states: Iterable[str]) -> Step:
        """Run one of the flow's actions (resend a code, a new secret...) in ``states``."""
        async with self._locked():
            if self.state not in states:
                raise FlowFinishedError(f"the {self.table.name} flow is in {self.state}")
            await self._drive(steps(self.data, self.rt))
            await self._settle()
            return self.step

    async def _run(self, spec: State, value: Any) -> None:
        if spec.run is not None:
            await self._drive(spec.run(self.data, self.rt, value))

    async def _settle(self) -> None:
        """Run the states the library answers itself, until the host is needed."""
        while True:
            spec = self.table.spec(self.state)
            if spec.kind != "library" and spec.auto is None:
                return
            fired = self._fired
            await self._run(spec, None)
            if self._fired == fired or self._retry:
                return  # it waits for the host after all (a resumed SRP needs the password)

    async def _drive(self, steps: Steps) -> None:
        """Perform the effects a step function yields, sending back each one's result (or
        throwing in its error), until it returns. This is the only place that does I/O."""
        send: Any = None
        throw: CognitoFlowsError | None = None
        try:
            while True:
                try:
                    effect = steps.throw(throw) if throw is not None else steps.send(send)
                except StopIteration:
                    return
                send, throw = None, None
                if isinstance(effect, Fire):
                    await self._apply(effect)
                    continue
                try:
                    send = await self._perform(effect)
                except CognitoFlowsError as exc:
                    throw = exc
        finally:
            steps.close()

    async def _perform(self, effect: Effect) -> Any:
        ctx = self.ctx
        if isinstance(effect, Call):
            extra = {"secret_hash_for": effect.secret_hash_for} if effect.secret_hash_for else {}
            return await ctx.call(effect.operation, **extra, **effect.params)
        if isinstance(effect, Compute):
            kwargs = dict(effect.kwargs)
            if effect.timestamp:
                kwargs["timestamp"] = srp.format_timestamp(ctx.clock())
            # SRP work is queued by the deadline of the Cognito session it answers, and
            # fails fast (SrpDeadlineError) rather than send a dead answer. PASSWORD_VERIFIER
            # after USER_SRP_AUTH comes without a Session: its session started just now.
            expires = getattr(self.data, "session_expires_at", None)
            deadline = expires if expires is not None else ctx.clock() + ctx.session_validity
            return await ctx.srp.run(
                _SRP[effect.function], *effect.args, deadline=deadline, clock=ctx.clock, **kwargs
            )
        if isinstance(effect, Device):
            username: str = getattr(self.data, "username")  # noqa: B009 - D is generic
            if effect.op == "get":
                return await ctx.device_store.get(ctx.user_pool_id, username)
            if effect.op == "delete":
                return await ctx.device_store.delete(ctx.user_pool_id, username)
            device = RememberedDevice(effect.key, effect.group_key, effect.password)
            return await ctx.device_store.put(ctx.user_pool_id, username, device)
        if isinstance(effect, Tokens):
            tokens = TokenSet.from_authentication_result(effect.result, now=ctx.clock())
            if effect.device_key and tokens.device_key is None:
                tokens = attrs.evolve(tokens, device_key=effect.device_key)
            self.rt.tokens = tokens
            return tokens
        if isinstance(effect, AccessToken):
            return await self._access_token()
        raise ProtocolError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _access_token(self) -> str:
        raise ConfigurationError("this flow has no access token")

    async def _apply(self, fire: Fire) -> None:
        """Fire the event a step function names; one the table lacks in this state ends
        the flow in ``FAILED`` with a :class:`ProtocolError` (h2's rule)."""
        kwargs = dict(fire.kwargs)
        if fire.timed:
            kwargs.update(now=self.ctx.clock(), session_validity=self.ctx.session_validity)
        source = self.state
        failure = await self.table.fire_or_fail(self.data, fire.event, **kwargs)
        self._fired += 1
        event = fire.event if failure is None else "failed"
        log.debug("%s %s -> %s on %s", self.table.name, source, self.state, event)
        if self.on_transition is not None:
            self.on_transition(event, source, self.state)
        if failure is not None:
            self._error, self._retry = failure, False
            return
        self._error = fire.error
        self._retry = fire.error is not None and self.state == source and not self.done

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict[str, Any]:
        """The flow as a JSON-safe dict, to resume later with :meth:`UserPool.resume`.

        A snapshot never holds a password, an SRP secret or a device password. Null fields
        are left out (a missing field resumes as its default, ``None``); snapshots that
        spell them out (release 0.1.0 wrote them) resume the same.
        """
        snap: dict[str, Any] = {
            "v": SNAPSHOT_VERSION,
            "flow": self.table.name,
            "user_pool_id": self.ctx.user_pool_id,
            "client_id": self.ctx.client_id,
            "data": _converter.unstructure(self.data),
        }
        if self._error is not None:
            snap["error"] = {
                "type": type(self._error).__name__,
                "retry": self._retry,
                "code": getattr(self._error, "code", None),
                "message": getattr(self._error, "message", str(self._error)),
            }
        snap.update(self._snapshot_extra())
        return _without_nulls(snap)

    def _snapshot_extra(self) -> dict[str, Any]:
        return {}

    def _handoff(self) -> tuple[str | None, str | None]:
        """The password and session the next flow continues with (``UserPool.next_flow``)."""
        return None, None

    def _restore_extra(self, snap: Mapping[str, Any]) -> None:
        """Restore what :meth:`_snapshot_extra` added."""

    @classmethod
    def from_snapshot(cls, ctx: FlowContext, snap: Mapping[str, Any]) -> FlowDriver[Any]:
        """Rebuild a flow of this type from :meth:`snapshot`.

        Raises:
            SnapshotError: malformed, another version, type, pool or client.
        """
        if not isinstance(snap, Mapping) or snap.get("flow") != cls.table.name:
            raise SnapshotError(f"not a {cls.table.name} flow snapshot")
        if snap.get("v") != SNAPSHOT_VERSION:
            raise SnapshotError(f"unsupported snapshot version {snap.get('v')!r}")
        if (snap.get("user_pool_id"), snap.get("client_id")) != (ctx.user_pool_id, ctx.client_id):
            raise SnapshotError("the snapshot belongs to another user pool or app client")
        try:
            data = _converter.structure(snap["data"], cls.data_class)
        except Exception as exc:  # cattrs raises several exception types
            raise SnapshotError(f"malformed snapshot: {type(exc).__name__}") from None
        if data.state not in cls.table.states:
            raise SnapshotError(f"unknown state {data.state!r} in snapshot")
        flow = cls(ctx, data)
        error = snap.get("error")
        if isinstance(error, Mapping) and error.get("code"):
            flow._error = from_cognito(str(error["code"]), str(error.get("message") or ""))
            flow._retry = bool(error.get("retry"))
        flow._restore_extra(snap)
        return flow
