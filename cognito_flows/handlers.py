"""Handler mode: :func:`run_with_handlers`, a loop over step mode.

A driver exposes ``start()`` and ``answer(value)``, each returning a :class:`Step`. Handler
mode asks the host's handler for each step's answer; it is not a second implementation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from .errors import CognitoFlowsError, HandlerError, MissingHandlerError
from .steps import Step

__all__ = ["Handlers", "StepFlow", "run_with_handlers"]


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
