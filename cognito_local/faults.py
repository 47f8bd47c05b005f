"""Fault injection: throttling, internal errors, latency and dropped connections.

Faults apply to the cognito-idp API (``POST /``) only, never to the ``/_local`` endpoints
or the JWKS. Each :class:`Fault` fires with probability ``rate`` (drawn from
:attr:`Faults.random`, a seeded :class:`random.Random` the test may replace) and at most
``count`` times when ``count`` is set.
"""

from __future__ import annotations

import random
from typing import Literal

import attrs

__all__ = ["Fault", "FaultKind", "Faults"]

FaultKind = Literal["throttle", "5xx", "latency", "drop"]
_KINDS = ("throttle", "5xx", "latency", "drop")


@attrs.define(eq=False)
class Fault:
    """One injected fault. ``remaining`` is ``None`` for unlimited."""

    kind: FaultKind
    operation: str | None = None
    rate: float = 1.0
    remaining: int | None = None
    latency: float = 0.0
    fired: int = 0

    def applies_to(self, operation: str) -> bool:
        """Whether the fault targets ``operation`` and has shots left."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.operation is None or self.operation == operation


class Faults:
    """The set of active faults of one emulator."""

    def __init__(self, seed: int | None = 0) -> None:
        self.random = random.Random(seed)  # noqa: S311 - not cryptographic
        self.faults: list[Fault] = []

    def seed(self, seed: int | None) -> None:
        """Re-seed :attr:`random`."""
        self.random.seed(seed)

    def add(
        self,
        operation: str | None = None,
        kind: FaultKind = "throttle",
        rate: float = 1.0,
        count: int | None = None,
        latency: float = 0.0,
    ) -> Fault:
        """Inject a fault.

        Args:
            operation: the Cognito operation (``"InitiateAuth"``), or ``None`` for all.
            kind: ``"throttle"`` (400 TooManyRequestsException), ``"5xx"`` (500
                InternalErrorException), ``"latency"`` (sleep ``latency`` seconds, then
                answer normally) or ``"drop"`` (close the connection without answering).
            rate: probability in [0, 1] that a matching request is hit.
            count: stop after firing this many times (``None``: never stop).
            latency: seconds to wait, for ``kind="latency"``.
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {_KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0")
        fault = Fault(kind=kind, operation=operation, rate=rate, remaining=count, latency=latency)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def draw(self, operation: str) -> tuple[float, Fault | None]:
        """Decide the faults for one request.

        Returns:
            the total latency to add, and the first non-latency fault that fires (or None).
        """
        delay = 0.0
        hit: Fault | None = None
        for fault in self.faults:
            if not fault.applies_to(operation):
                continue
            if fault.kind != "latency" and hit is not None:
                continue
            if fault.rate < 1.0 and self.random.random() >= fault.rate:
                continue
            fault.fired += 1
            if fault.remaining is not None:
                fault.remaining -= 1
            if fault.kind == "latency":
                delay += fault.latency
            else:
                hit = fault
        return delay, hit

    def __repr__(self) -> str:
        return f"Faults({self.faults!r})"
