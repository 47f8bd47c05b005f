"""The flow engine: transition tables, steps, and the handler-mode runner.

Rules of this module:

* A flow *type* has one :class:`FlowTable`: its states, events and transitions declared once,
  as a module-level list, and one shared ``transitions`` machine built from it at import
  time. The machine is used as a table: flow data objects are never bound to it
  (``add_model`` costs ~10 KB per flow and is O(N); a machine per flow costs ~30 KB).
* Flow data are plain attrs objects with a ``state`` attribute. Firing an event runs the
  machine's transition for that data object; transition callbacks only change data.
* Cognito I/O never happens inside a transition. A driver awaits Cognito, then fires the
  event that names Cognito's answer (a ChallengeName, ``AuthenticationResult``, an error
  code). A cancelled call therefore leaves the flow in the state it was in.
* :class:`FlowMachine` runs callbacks one after another in the caller's task and lets
  ``CancelledError`` propagate (stock ``AsyncMachine`` gathers callbacks into new tasks and
  swallows cancellation, transitions issue #704). This uses ``_process_async``, a private
  method, so ``transitions`` is pinned to 0.9.x and a test covers it.

Step mode and handler mode: a driver exposes ``start()`` and ``answer(value)``, each
returning a :class:`Step`. :func:`run_with_handlers` is handler mode: a loop over step
mode that asks the host's handler for each step's answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from transitions import MachineError
from transitions.extensions.asyncio import AsyncMachine

from .errors import (
    CognitoFlowsError,
    HandlerError,
    InvalidAnswerError,
    MissingHandlerError,
    ProtocolError,
)

if TYPE_CHECKING:
    from .tokens import TokenSet

__all__ = [
    "CodeDelivery",
    "FlowMachine",
    "FlowTable",
    "Handlers",
    "Step",
    "TotpSetup",
    "Transition",
    "run_with_handlers",
]


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


#: Cognito error codes that leave a flow unchanged: the same call can be made again.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalErrorException",
        "ServiceUnavailable",
        "TooManyFailedAttemptsException",
    }
)


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

    Args:
        name: the flow type's name (``"sign_in"``).
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
        states: Sequence[str],
        initial: str,
        final: Iterable[str],
        transitions: Sequence[Transition],
        internal: Iterable[str] = (),
    ) -> None:
        self.name = name
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
        """The event a Cognito error fires in ``state``.

        The error's code when the table has that event from ``state`` (a wrong code kept
        for another try...), ``None`` for transient errors (throttling after retries,
        limits, internal errors: re-raise, the flow is unchanged), else ``"failed"``.
        """
        code = getattr(error, "code", None)
        if isinstance(code, str) and self.can(state, code):
            return code
        if code in TRANSIENT_CODES:
            return None
        return "failed"

    def mermaid(self, *, title: str | None = None) -> str:
        """The automaton as a Mermaid ``stateDiagram-v2``, generated from the table.

        Drawn left to right, so a flow with many states grows down the page, not across
        it. Events between the same two states share one arrow (``a / b``). A row that
        leaves many states at once (every state that calls Cognito may receive any
        ChallengeName) is drawn through one ``<<choice>>`` node per set of source states,
        when that needs fewer arrows; a set inside a larger one feeds the larger one's
        node. An arrow into a state named after its event (a ChallengeName) has no label.
        """
        lines = ["stateDiagram-v2", "    direction LR"]
        if title:
            lines.insert(0, f"---\ntitle: {title}\n---")
        for state in self.states:
            note = " (answered by the library)" if state in self.internal else ""
            lines.append(f'    state "{state}{note}" as {state}')
        rows: dict[frozenset[str], int] = {}
        for t in self.transitions:
            if t.dest != "=":
                key = frozenset(t.sources)
                rows[key] = rows.get(key, 0) + 1
        hubs: dict[frozenset[str], str] = {}
        for sources, count in rows.items():
            if len(sources) >= 3 and len(sources) + count < len(sources) * count:
                hubs[sources] = f"from_{len(hubs) + 1}"
                lines.append(f"    state {hubs[sources]} <<choice>>")
        edges: dict[tuple[str, str], list[str]] = {}

        def edge(source: str, dest: str, label: str | None = None) -> None:
            labels = edges.setdefault((source, dest), [])
            if label and label != dest and label not in labels:
                labels.append(label)

        edge("[*]", self.initial)
        for sources, hub in hubs.items():
            covered: set[str] = set()
            for other, other_hub in sorted(hubs.items(), key=lambda kv: -len(kv[0])):
                if other < sources and not other & covered:
                    edge(other_hub, hub)
                    covered |= other
            for state in self.states:
                if state in sources and state not in covered:
                    edge(state, hub)
        for t in self.transitions:
            if t.dest != "=" and frozenset(t.sources) in hubs:
                edge(hubs[frozenset(t.sources)], t.dest, t.event)
                continue
            for source in t.sources:
                edge(source, source if t.dest == "=" else t.dest, t.event)
        for state in self.states:
            if state in self.final:
                edge(state, "[*]")
        for (source, dest), labels in edges.items():
            label = f": {' / '.join(labels)}" if labels else ""
            lines.append(f"    {source} --> {dest}{label}")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Steps


@attrs.frozen
class CodeDelivery:
    """Where Cognito sent a code: medium (``EMAIL``/``SMS``), masked destination, attribute."""

    medium: str | None = None
    destination: str | None = None
    attribute: str | None = None

    @classmethod
    def from_challenge(cls, params: Mapping[str, str]) -> CodeDelivery | None:
        """From ``CODE_DELIVERY_*`` challenge parameters (``None`` when absent)."""
        medium = params.get("CODE_DELIVERY_DELIVERY_MEDIUM")
        destination = params.get("CODE_DELIVERY_DESTINATION")
        if medium is None and destination is None:
            return None
        return cls(medium=medium, destination=destination)

    @classmethod
    def from_details(cls, details: Mapping[str, Any] | None) -> CodeDelivery | None:
        """From a ``CodeDeliveryDetails`` response member."""
        if not details:
            return None
        return cls(
            medium=details.get("DeliveryMedium"),
            destination=details.get("Destination"),
            attribute=details.get("AttributeName"),
        )


@attrs.frozen(repr=False)
class TotpSetup:
    """A TOTP secret to enrol in an authenticator app (the secret is hidden from repr)."""

    secret: str
    account: str
    issuer: str

    @property
    def uri(self) -> str:
        """The ``otpauth://totp/...`` URI for QR codes."""
        from pyotp.utils import build_uri

        # build_uri does not judge the secret's length (some emulators use short ones).
        return build_uri(self.secret, self.account, issuer=self.issuer)

    def __repr__(self) -> str:
        return f"TotpSetup(account={self.account!r}, issuer={self.issuer!r}, secret=<hidden>)"


@attrs.frozen
class Step:
    """Where a flow stands, and what the host needs to show for its next answer.

    Attributes:
        flow: the flow type (``"sign_in"``...).
        state: the state: a ChallengeName while waiting, or ``DONE``, ``FAILED``,
            ``EXPIRED``, ``CONFIRM_SIGN_UP``, ``RESET_PASSWORD``...
        challenge: the Cognito ChallengeName this step answers (``MFA_SETUP`` for the
            ``MFA_SETUP_*`` sub-steps); ``None`` outside sign-in challenges.
        done: the flow has ended (successfully or not).
        handler: the name of the handler method that answers this step.
        tokens: the tokens, once signed in.
        error: the error of the last answer. With ``retry`` the flow is still in the same
            state and takes another answer (a wrong code); otherwise it ended the flow.
        retry: the last answer was rejected but the same step can be answered again.
        next_flow: after ``CONFIRM_SIGN_UP`` or ``RESET_PASSWORD``: the flow to run next.
        delivery: where a code was sent.
        options: the choices for a selection step (MFA types, first factors).
        totp: the secret to enrol, during TOTP setup.
        required_attributes: attributes a new password must come with.
        user_attributes: the user's current attributes, where Cognito sent them.
        parameters: public challenge parameters (custom challenges).
        session_expires_at: epoch seconds when Cognito's session for this step expires.
        username: the user name (as Cognito knows it, once known).
        device_key: the remembered device used or created, if any.
    """

    flow: str
    state: str
    challenge: str | None = None
    done: bool = False
    handler: str | None = None
    tokens: TokenSet | None = None
    error: CognitoFlowsError | None = None
    retry: bool = False
    next_flow: str | None = None
    delivery: CodeDelivery | None = None
    options: tuple[str, ...] = ()
    totp: TotpSetup | None = None
    required_attributes: tuple[str, ...] = ()
    user_attributes: Mapping[str, str] = attrs.field(factory=dict)
    parameters: Mapping[str, str] = attrs.field(factory=dict)
    session_expires_at: float | None = None
    username: str | None = None
    device_key: str | None = None

    @property
    def ok(self) -> bool:
        """Finished successfully."""
        return self.done and self.error is None

    def raise_for_error(self) -> None:
        """Raise :attr:`error` if there is one."""
        if self.error is not None:
            raise self.error


# --------------------------------------------------------------------------------------
# Handler mode


class StepFlow(Protocol):
    """What :func:`run_with_handlers` drives: any flow driver with step mode."""

    async def start(self) -> Step:
        """Begin the flow and return its first step."""
        ...

    async def answer(self, value: Any = None) -> Step:
        """Answer the current step and return the next."""
        ...


Handler = Callable[[Step], Awaitable[Any]]
Handlers = Any  # an object with async methods named after steps, or a Mapping of them

#: Step handlers that may be left out; their default answer.
_OPTIONAL_HANDLERS: dict[str, Any] = {"remember_device": False}


def _resolve(handlers: Handlers, step: Step) -> Handler | None:
    if handlers is None or step.handler is None:
        return None
    if isinstance(handlers, Mapping):
        found = (
            handlers.get(step.state)
            or (handlers.get(step.challenge) if step.challenge else None)
            or handlers.get(step.handler)
        )
    else:
        found = getattr(handlers, step.handler, None)
    return found if callable(found) else None


async def run_with_handlers(
    flow: StepFlow, handlers: Handlers, *, first: Step | None = None, raise_error: bool = True
) -> Step:
    """Drive ``flow`` to its end, answering each step with the host's handler.

    ``handlers`` is an object with async methods named after the steps (``sms_mfa``,
    ``software_token_mfa``...) or a mapping from ChallengeName or method name to an async
    callable. Each handler gets the :class:`Step` and returns the answer. After a rejected
    answer (``step.retry``) the same handler is asked again, with ``step.error`` set.

    Returns:
        the final step. Raises its error if the flow ended in failure.

    Raises:
        MissingHandlerError: a step arrived for which there is no handler (the flow stays
            in that step and can still be answered in step mode).
        HandlerError: a handler raised (chained); the flow stays in its step.
        InvalidAnswerError: a handler returned an answer of the wrong type or shape.
    """
    step = first if first is not None else await flow.start()
    while not step.done:
        handler = _resolve(handlers, step)
        if handler is None:
            if step.handler in _OPTIONAL_HANDLERS:
                step = await flow.answer(_OPTIONAL_HANDLERS[step.handler])
                continue
            raise MissingHandlerError(step.state)
        try:
            result = handler(step)
            answer = await result if inspect.isawaitable(result) else result
        except CognitoFlowsError:
            raise
        except Exception as exc:
            raise HandlerError(f"handler {step.handler} raised {type(exc).__name__}") from exc
        step = await flow.answer(answer)
    if raise_error:
        step.raise_for_error()
    return step


def require_code(value: Any, *, digits: tuple[int, int] = (4, 10)) -> str:
    """Validate a one-time code answer: digits only, with a plausible length.

    Raises:
        InvalidAnswerError: not a string (or int) of digits.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidAnswerError(f"expected a code as a string, got {type(value).__name__}")
    code = value.strip().replace(" ", "")
    if not code:
        raise InvalidAnswerError("the code is empty")
    if not code.isdigit() or not code.isascii():
        raise InvalidAnswerError("the code must contain only digits")
    low, high = digits
    if not low <= len(code) <= high:
        span = str(low) if low == high else f"{low} to {high}"
        raise InvalidAnswerError(f"the code must have {span} digits")
    return code


def require_text(value: Any, what: str) -> str:
    """Validate a non-empty string answer.

    Raises:
        InvalidAnswerError: not a non-empty string.
    """
    if not isinstance(value, str):
        raise InvalidAnswerError(f"expected {what} as a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidAnswerError(f"{what} is empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates; the value itself must not be quoted
        raise InvalidAnswerError(f"{what} is not valid Unicode text") from None
    return value
