"""The table machinery every flow module uses: :class:`FlowTable`, :class:`Transition`,
:class:`State` (one state's spec) and :class:`FlowMachine`.

Rules of this module:

* A flow *type* has one :class:`FlowTable`: its states (one :class:`State` spec each), events
  and transitions declared once, as module-level values, and one shared ``transitions``
  machine built from them at import time. The machine is used as a table: flow data objects
  are never bound to it (``add_model`` costs ~10 KB per flow and is O(N); a machine per flow
  costs ~30 KB).
* Flow data are plain attrs objects with a ``state`` attribute. Firing an event runs the
  machine's transition for that data object; transition callbacks only change data.
* Cognito I/O never happens inside a transition. A driver performs what the flow asks for,
  then fires the event that names Cognito's answer (a ChallengeName,
  ``AuthenticationResult``, an error code). A cancelled call therefore leaves the flow in
  the state it was in.
* :class:`FlowMachine` runs callbacks one after another in the caller's task and lets
  ``CancelledError`` propagate (stock ``AsyncMachine`` gathers callbacks into new tasks and
  swallows cancellation, transitions issue #704). This uses ``_process_async``, a private
  method, so ``transitions`` is pinned to 0.9.x and a test covers it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from typing import Any

import attrs
from transitions import MachineError
from transitions.extensions.asyncio import AsyncMachine

from ..errors import (
    CognitoError,
    CognitoFlowsError,
    DeviceNotFoundError,
    ExpiredCodeError,
    InvalidSessionError,
    OutcomeUnknownError,
    ProtocolError,
    ResourceNotFoundError,
    hidden,
    masked,
)

__all__ = [
    "ACCESS_TOKEN",
    "KINDS",
    "TRANSIENT_CODES",
    "AccessToken",
    "Call",
    "Compute",
    "Device",
    "Effect",
    "Fire",
    "FlowMachine",
    "FlowTable",
    "State",
    "Tokens",
    "Transition",
    "error_events",
    "reject",
    "request",
    "request_twice",
]

log = logging.getLogger("cognito_flows.flows")


class FlowMachine(AsyncMachine):
    """``AsyncMachine`` with sequential callbacks and cancellation that propagates."""

    @staticmethod
    async def await_all(callables: list[Any]) -> list[bool | None]:
        """Run callbacks one by one in the caller's task (stock: ``asyncio.gather``)."""
        results: list[bool | None] = []
        for func in callables:
            results.append(await func())
        return results

    async def process_context(self, func: Callable[[], Awaitable[None]], model: object) -> bool:
        """Run a trigger without the cross-task cancellation bookkeeping of the stock class.

        The stock implementation catches ``CancelledError`` and returns ``False``; here it
        propagates, so ``asyncio.timeout`` and task cancellation behave normally.
        """
        result: bool = await self._process_async(func, model)
        return result


#: Cognito error codes that leave a flow unchanged: the same call can be made again later.
#: ``TooManyFailedAttemptsException`` ("too many failed attempts for a given action, such as
#: sign-in", API reference) is one of them in every flow: the flow keeps its state.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalErrorException",
        "ServiceUnavailable",
        "TooManyFailedAttemptsException",
    }
)


#: A state's kind: where a flow starts, waits for the host, is answered by the library, ends.
KINDS = ("start", "host", "library", "final")


@attrs.frozen
class State:
    """One state's spec: everything about a state but the rows that leave it.

    Attributes:
        name: the state's name (a ChallengeName while the flow waits for its answer).
        kind: ``start``, ``host`` (waits for the host's answer), ``library`` (answered by
            the library itself) or ``final``.
        handler: the handler-mode method that answers it (``None`` when the host is not
            asked; ``remember_device`` has a default answer).
        challenge: the Cognito ChallengeName the step answers (``MFA_SETUP`` for the
            ``MFA_SETUP_*`` sub-steps).
        next_flow: for a final state, the flow to run next (``UserPool.next_flow``).
        shows: what the host sees in the step, besides the state (for the docs).
        answer: what the host answers (for the docs).
        sends: what the library sends or does (for the docs).
        auto: when the library answers a host state by itself (``single_option``:
            MFA_SETUP when it offers one MFA type).
        validate: ``validate(data, answer)`` turns the host's raw answer into a checked
            value; raises :class:`~cognito_flows.errors.InvalidAnswerError` (nothing is sent
            then). Without one, the answer is passed on as it is.
        run: the pure step function for this state: ``run(data, runtime, answer)`` is a
            generator that yields effects (a Cognito request, an SRP computation, a
            device-store read or write) and returns the :class:`Fire` the driver performs.
    """

    name: str
    kind: str = "host"
    handler: str | None = None
    challenge: str | None = None
    next_flow: str | None = None
    shows: str = ""
    answer: str = ""
    sends: str = ""
    auto: str | None = None
    validate: Callable[..., Any] | None = None
    run: Callable[..., Any] | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")


@attrs.frozen
class Transition:
    """One row of a flow's transition table.

    Attributes:
        event: the event's name: Cognito's own word for what happened (a ChallengeName,
            ``AuthenticationResult``, an error code) or the host's action.
        sources: the states the event may leave.
        dest: the state it enters (``"="`` for "stays where it is").
        before: an optional callback ``(data, **kwargs) -> None`` run before the state
            changes; it may only change the flow's data.
    """

    event: str
    sources: tuple[str, ...]
    dest: str
    before: Callable[..., None] | None = None


class FlowTable:
    """The complete automaton of one flow type, and the shared machine that runs it.

    Give either ``specs`` (one :class:`State` per state, in display order; the states,
    the initial, final and internal ones are read from them) or the bare ``states``,
    ``initial``, ``final`` and ``internal``.

    Args:
        name: the flow type's name (``"sign_in"``).
        specs: every state's spec, in display order.
        states: every state, in display order.
        initial: the state a new flow starts in.
        final: states that end the flow.
        internal: states the library answers by itself (the host never sees them).
        transitions: the table.
    """

    def __init__(
        self,
        name: str,
        *,
        transitions: Sequence[Transition],
        specs: Sequence[State] = (),
        states: Sequence[str] = (),
        initial: str | None = None,
        final: Iterable[str] = (),
        internal: Iterable[str] = (),
    ) -> None:
        self.name = name
        if specs:
            states = [spec.name for spec in specs]
            starts = [spec.name for spec in specs if spec.kind == "start"]
            if len(starts) != 1:
                raise ValueError(f"{name}: exactly one start state is needed, got {starts}")
            initial = starts[0]
            final = [spec.name for spec in specs if spec.kind == "final"]
            internal = [spec.name for spec in specs if spec.kind == "library"]
        else:
            specs = [
                State(
                    s,
                    kind="start"
                    if s == initial
                    else "final"
                    if s in set(final)
                    else "library"
                    if s in set(internal)
                    else "host",
                )
                for s in states
            ]
        if initial is None:
            raise ValueError(f"{name}: no initial state")
        self.specs: dict[str, State] = {spec.name: spec for spec in specs}
        self.states: tuple[str, ...] = tuple(states)
        self.initial = initial
        self.final = frozenset(final)
        self.internal = frozenset(internal)
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        unknown = {s for t in self.transitions for s in (*t.sources, t.dest) if s != "="} - set(
            self.states
        )
        if unknown or initial not in self.states or not self.final <= set(self.states):
            raise ValueError(f"{name}: transitions name unknown states {sorted(unknown)}")
        self._rows: dict[tuple[str, str], Transition] = {}
        for t in self.transitions:
            for source in t.sources:
                self._rows.setdefault((source, t.event), t)
        self.machine = FlowMachine(
            model=None,
            states=list(self.states),
            initial=initial,
            transitions=[self._row(t) for t in self.transitions],
            auto_transitions=False,
            send_event=True,
            name=name,
        )

    @staticmethod
    def _row(t: Transition) -> dict[str, Any]:
        row: dict[str, Any] = {"trigger": t.event, "source": list(t.sources), "dest": t.dest}
        if t.before is not None:
            callback = t.before

            def before(event_data: Any) -> None:
                callback(event_data.model, **event_data.kwargs)

            row["before"] = before
        return row

    def row(self, state: str, event: str) -> Transition | None:
        """The row ``event`` runs in ``state`` (``None``: the pair is not in the table)."""
        return self._rows.get((state, event))

    def apply(self, data: Any, event: str, **kwargs: Any) -> None:
        """Run ``event`` on ``data`` without the machine: the same row :meth:`fire` runs,
        synchronously (sans-I/O tests, h2's ``_transitions[(state, input)]``).

        Raises:
            ProtocolError: the pair is not in the table; the data is unchanged.
        """
        row = self.row(data.state, event)
        if row is None:
            raise ProtocolError(f"{self.name}: unexpected {event} in state {data.state}")
        if row.before is not None:
            row.before(data, **kwargs)
        if row.dest != "=":
            data.state = row.dest

    def advance(self, data: Any, event: str, **kwargs: Any) -> ProtocolError | None:
        """:meth:`apply`, but a pair the table lacks ends the flow in ``FAILED`` (a known
        safe state) and returns the :class:`ProtocolError`, as the driver does.

        Raises:
            ProtocolError: the flow had already ended.
        """
        try:
            self.apply(data, event, **kwargs)
        except ProtocolError as exc:
            if data.state in self.final:
                raise
            self.apply(data, "failed", error=_ProtocolFailure(exc))
            return exc
        return None

    async def fire_or_fail(self, data: Any, event: str, **kwargs: Any) -> ProtocolError | None:
        """:meth:`fire`, but a pair the table lacks ends the flow in ``FAILED`` and returns
        the :class:`ProtocolError`, as :meth:`advance` does.

        Raises:
            ProtocolError: the flow had already ended (it stays as it was).
        """
        try:
            await self.fire(data, event, **kwargs)
        except ProtocolError as exc:
            if data.state in self.final:
                raise
            await self.fire(data, "failed", error=_ProtocolFailure(exc))
            return exc
        return None

    def spec(self, state: str) -> State:
        """The spec of ``state``."""
        return self.specs[state]

    @property
    def events(self) -> tuple[str, ...]:
        """Every event name, in table order, without repeats."""
        return tuple(dict.fromkeys(t.event for t in self.transitions))

    def events_from(self, state: str) -> list[str]:
        """The events that may leave ``state``."""
        return list(self.machine.get_triggers(state))

    def can(self, state: str, event: str) -> bool:
        """Whether ``event`` is allowed in ``state``."""
        return event in self.events_from(state)

    async def fire(self, data: Any, event: str, **kwargs: Any) -> None:
        """Run ``event`` on a flow's data object.

        Raises:
            ProtocolError: the event is not allowed in the data's current state (Cognito
                answered something this flow cannot be in at this point).
        """
        if event not in self.machine.events:
            raise ProtocolError(f"{self.name}: unexpected {event} in state {data.state}")
        try:
            ok = await self.machine.events[event].trigger(data, **kwargs)
        except MachineError:
            raise ProtocolError(f"{self.name}: unexpected {event} in state {data.state}") from None
        if not ok:  # pragma: no cover - no conditions are used
            raise ProtocolError(f"{self.name}: {event} was refused in state {data.state}")

    def event_for_error(self, error: CognitoFlowsError, state: str) -> str | None:
        """The event a Cognito error fires in ``state``: the one mapping every flow uses.

        The first of :func:`error_events` that the table allows from ``state`` (a wrong
        code kept for another try, an expired session...); ``None`` for the transient
        :data:`TRANSIENT_CODES` (throttling after retries, limits, internal errors:
        re-raise, the flow is unchanged); otherwise ``"failed"``.

        A lost answer (:class:`~cognito_flows.errors.OutcomeUnknownError`) is never
        ``"failed"``: the flow's ``OutcomeUnknown`` row, else its ``session_expired`` row
        (a challenge answer whose outcome is unknown ends ``EXPIRED``: ``restart()``), else
        ``None`` (re-raised; the flow is unchanged).
        """
        for event in error_events(error):
            if self.can(state, event):
                return event
        if isinstance(error, OutcomeUnknownError):
            return None
        if getattr(error, "code", None) in TRANSIENT_CODES:
            return None
        return "failed"

    def mermaid(self, *, title: str | None = None) -> str:
        """The automaton as a Mermaid ``stateDiagram-v2`` (:func:`flows._render.mermaid
        <cognito_flows.flows._render.mermaid>`)."""
        from ._render import mermaid

        return mermaid(self, title=title)


class _ProtocolFailure:
    """A :class:`ProtocolError` as the ``failed`` rows record it (a code and a message)."""

    def __init__(self, error: ProtocolError) -> None:
        self.code = type(error).__name__
        self.message = str(error)


def error_events(error: CognitoFlowsError) -> tuple[str, ...]:
    """The events a Cognito error may fire, the most specific first.

    An invalid or expired session ends the flow as expired where the flow has that
    (``session_expired``) before anything its code names; an expired code is first a code
    to try again. Only the device refinement of ``ResourceNotFoundException`` ("Device does
    not exist.") is an event: any other missing resource fails the flow.
    """
    code = getattr(error, "code", None)
    if not isinstance(code, str):
        return ()
    if isinstance(error, OutcomeUnknownError):
        # The Session a lost RespondToAuthChallenge answered may be spent (Cognito
        # consumes it when it applies the answer): the sign-in cannot go on with it.
        return (code, "session_expired")
    if isinstance(error, InvalidSessionError):
        return ("session_expired", code)
    if isinstance(error, ExpiredCodeError):
        return (code, "session_expired")
    if isinstance(error, ResourceNotFoundError) and not isinstance(error, DeviceNotFoundError):
        return ()
    return (code,)


# --------------------------------------------------------------------------------------
# Effects: what a state's step function asks the driver to do. A step function is a
# generator (as httpx's ``Auth.auth_flow``): it yields an effect, the driver performs it and
# sends back the result (or throws in the error it raised), until the function returns.


@masked
@attrs.frozen(repr=False)
class Call:
    """A Cognito request; the driver sends back the response or throws in its error.

    ``secret_hash_for`` names the user for a request without ``USERNAME``.
    """

    operation: str
    params: Mapping[str, Any] = attrs.field(factory=dict, repr=hidden)
    secret_hash_for: str | None = None

    def __repr__(self) -> str:  # parameters hold passwords and codes
        return f"Call({self.operation!r})"


@masked
@attrs.frozen(repr=False)
class Compute:
    """SRP math run in the executor: ``function`` names a :mod:`cognito_flows.srp` function;
    with ``timestamp`` the driver adds ``timestamp=`` (Cognito's TIMESTAMP, from the clock)."""

    function: str
    args: tuple[Any, ...] = attrs.field(default=(), repr=hidden)
    kwargs: Mapping[str, Any] = attrs.field(factory=dict, repr=hidden)
    timestamp: bool = False

    def __repr__(self) -> str:
        return f"Compute({self.function!r})"


@masked
@attrs.frozen(repr=False)
class Device:
    """A read (``get``), write (``put``) or removal (``delete``) of the flow user's
    remembered device; ``put`` gives the device's key, group key and password."""

    op: str
    key: str = ""
    group_key: str = ""
    password: str = attrs.field(default="", repr=hidden)

    def __repr__(self) -> str:
        return f"Device({self.op!r})"


@masked
@attrs.frozen(repr=False)
class Tokens:
    """Make the flow's tokens from an ``AuthenticationResult``; ``device_key``: the device
    they were issued for, when the result does not say (the driver sends back the tokens)."""

    result: Mapping[str, Any] = attrs.field(repr=hidden)
    device_key: str | None = None

    def __repr__(self) -> str:
        return "Tokens()"


@attrs.frozen
class AccessToken:
    """A fresh access token of the signed-in user (flows run for an account)."""


@masked
@attrs.frozen(repr=False)
class Fire:
    """Fire ``event`` with ``kwargs``; ``timed`` adds ``now`` and ``session_validity``.

    ``error`` is the answer's error when the event records one (the step shows it, with
    ``retry`` when the flow stayed in its state); any other event clears the last error.
    """

    event: str
    kwargs: Mapping[str, Any] = attrs.field(factory=dict, repr=hidden)
    timed: bool = False
    error: CognitoFlowsError | None = None

    def __repr__(self) -> str:
        return f"Fire({self.event!r})"


#: The one :class:`AccessToken` effect.
ACCESS_TOKEN = AccessToken()

Effect = Call | Compute | Device | Tokens | AccessToken | Fire
#: A state's step function in motion: yields effects, receives their results.
Steps = Generator[Effect, Any, None]


def reject(table: FlowTable, data: Any, error: CognitoError | OutcomeUnknownError) -> Steps:
    """Fire the event ``error`` names in the flow's state; re-raise a transient error (and a
    lost answer the flow has no row for)."""
    event = table.event_for_error(error, data.state)
    if event is None:
        raise error
    yield Fire(event, {"error": error}, error=error)


def request_twice(table: FlowTable, data: Any, call: Call) -> Generator[Effect, Any, Any]:
    """:func:`request` for a call whose repeat does no harm but may send a second code (or
    make a second secret): a lost answer is sent once more, with a warning on the
    ``cognito_flows.flows`` logger that a code may have been sent twice."""
    try:
        response = yield call
    except OutcomeUnknownError as exc:
        log.warning(
            "%s lost its answer (%s); sent once more: a code may have been sent twice",
            call.operation,
            exc.reason,
        )
        return (yield from request(table, data, call))
    except CognitoError as exc:
        yield from reject(table, data, exc)
        return None
    return response


def request(table: FlowTable, data: Any, call: Call) -> Generator[Effect, Any, Any]:
    """Send ``call``; its response, or ``None`` after :func:`reject` handled its error."""
    try:
        response = yield call
    except (CognitoError, OutcomeUnknownError) as exc:
        yield from reject(table, data, exc)
        return None
    return response
