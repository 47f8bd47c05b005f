"""What every flow driver shares: the per-flow lock, firing events, snapshots.

A driver owns one flow's data object (plain attrs, the only thing a snapshot holds) and the
runtime-only values that must never be stored (passwords, SRP secrets, tokens of a pending
flow). Subclasses declare their :class:`~cognito_flows.engine.FlowTable` and data class.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import cattrs

from ..errors import CognitoError, CognitoFlowsError, SnapshotError, from_cognito
from ..flows._table import FlowTable
from ..steps import Step
from .context import FlowContext

__all__ = ["SNAPSHOT_VERSION", "FlowDriver", "TransitionObserver"]

log = logging.getLogger("cognito_flows.flows")

#: Version of the snapshot schema.
SNAPSHOT_VERSION = 1

#: ``(event, source state, destination state)``.
TransitionObserver = Callable[[str, str, str], None]

_converter = cattrs.Converter(forbid_extra_keys=True)

D = TypeVar("D")


class FlowDriver(Generic[D]):
    """Base class of flow drivers (sign-in, sign-up, forgot password...)."""

    __slots__ = ("_error", "_lock", "_retry", "ctx", "data", "on_transition")

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
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(state={self.state!r})"

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
        raise NotImplementedError

    async def start(self) -> Step:
        """Begin the flow; return the first step that needs the host."""
        raise NotImplementedError

    async def answer(self, value: Any = None) -> Step:
        """Answer the current step and return the next one."""
        raise NotImplementedError

    async def _call(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """Call Cognito; on an error the flow's table knows, fire it and return ``None``.

        Transient errors (throttling after retries, limits) are raised with the flow
        unchanged, so the same call can be made again.
        """
        try:
            return await self.ctx.call(operation, **params)
        except CognitoError as exc:
            await self._on_error(exc)
            return None

    async def _on_error(self, exc: CognitoError) -> None:
        """Fire the event the table names for ``exc``; re-raise transient errors."""
        event = self.table.event_for_error(exc, self.state)
        if event is None:
            raise exc
        before = self.state
        await self._fire(event, error=exc)
        self._error = exc
        self._retry = self.state == before and not self.done

    async def _call_then_fire(
        self, event: str, operation: str, /, *, pass_response: bool = True, **params: Any
    ) -> dict[str, Any] | None:
        """:meth:`_call`, then on success fire ``event`` (with ``response=`` by default)."""
        response = await self._call(operation, **params)
        if response is not None:
            self._succeeded()
            if pass_response:
                await self._fire(event, response=response)
            else:
                await self._fire(event)
        return response

    def _succeeded(self) -> None:
        self._error = None
        self._retry = False

    async def _fire(self, event: str, **kwargs: Any) -> None:
        source = self.state
        await self.table.fire(self.data, event, **kwargs)
        log.debug("%s %s -> %s on %s", self.table.name, source, self.state, event)
        if self.on_transition is not None:
            self.on_transition(event, source, self.state)

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict[str, Any]:
        """The flow as a JSON-safe dict, to resume later with :meth:`UserPool.resume`.

        A snapshot never holds a password, an SRP secret or a device password.
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
        return snap

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
