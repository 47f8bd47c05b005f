"""The emulator's clock: every expiry (sessions, codes, tokens, lockouts, TOTP) reads it."""

from __future__ import annotations

import time

__all__ = ["Clock"]


class Clock:
    """Wall-clock time plus an adjustable offset, optionally frozen.

    ``now()`` is ``time.time() + offset`` unless the clock is frozen, in which case it
    returns the frozen instant. Tests move time with :meth:`advance` or :meth:`set`
    instead of sleeping.
    """

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._offset = 0.0
        self._frozen: float | None = None
        if start is not None:
            self.set(start)
        if frozen:
            self.freeze()

    def now(self) -> float:
        """The current emulator time, in epoch seconds."""
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (or backward, if negative); returns the new time."""
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds
        return self.now()

    def set(self, epoch: float) -> None:
        """Make ``now()`` return ``epoch`` at this instant (time keeps flowing unless frozen)."""
        if self._frozen is not None:
            self._frozen = float(epoch)
        else:
            self._offset = float(epoch) - time.time()

    def freeze(self, epoch: float | None = None) -> None:
        """Stop the clock at ``epoch`` (default: now) until :meth:`unfreeze`."""
        self._frozen = self.now() if epoch is None else float(epoch)

    def unfreeze(self) -> None:
        """Let time flow again from the frozen instant."""
        if self._frozen is not None:
            self._offset = self._frozen - time.time()
            self._frozen = None

    @property
    def frozen(self) -> bool:
        """Whether the clock is frozen."""
        return self._frozen is not None

    def __repr__(self) -> str:
        return f"Clock(now={self.now():.3f}, frozen={self.frozen})"
