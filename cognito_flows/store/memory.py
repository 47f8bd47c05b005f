"""The in-memory flow store: one process, no dependencies, the default."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import FlowConflictError
from .base import FlowBusyError, FlowRecord, StaleFlowError, StoredFlowExpiredError

__all__ = ["MemoryFlowStore"]


class _Entry:
    __slots__ = ("data", "expires_at", "lease_until", "version")

    def __init__(self, data: str, version: int, expires_at: float) -> None:
        self.data = data
        self.version = version
        self.expires_at = expires_at
        self.lease_until = 0.0


class MemoryFlowStore:
    """Suspended flows in a dict, for one process (tests, a single-worker service).

    Every method runs without awaiting anything, so each one is atomic within the event
    loop. Expired records are dropped when touched, and all of them every
    ``sweep_interval`` seconds (checked on :meth:`create`).

    Args:
        clock: the time source (epoch seconds); tests pass the emulator's clock.
        sweep_interval: seconds between full sweeps of expired records.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.time, sweep_interval: float = 60.0
    ) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._sweep_interval = sweep_interval
        self._next_sweep = clock() + sweep_interval

    def __repr__(self) -> str:
        return f"MemoryFlowStore(flows={len(self._entries)})"

    def __len__(self) -> int:
        """Records held, expired ones included until the next sweep."""
        return len(self._entries)

    def __contains__(self, flow_id: object) -> bool:
        """Whether a live (unexpired) record has this id."""
        if not isinstance(flow_id, str):
            return False
        return self._live(flow_id) is not None

    def sweep(self) -> int:
        """Drop every expired record now; returns how many."""
        now = self._clock()
        dead = [key for key, entry in self._entries.items() if entry.expires_at <= now]
        for key in dead:
            del self._entries[key]
        self._next_sweep = now + self._sweep_interval
        return len(dead)

    def _live(self, flow_id: str) -> _Entry | None:
        entry = self._entries.get(flow_id)
        if entry is not None and entry.expires_at <= self._clock():
            del self._entries[flow_id]
            return None
        return entry

    def _require(self, flow_id: str) -> _Entry:
        entry = self._live(flow_id)
        if entry is None:
            raise StoredFlowExpiredError(flow_id)
        return entry

    def _record(self, flow_id: str, entry: _Entry) -> FlowRecord:
        now = self._clock()
        return FlowRecord(
            flow_id=flow_id,
            data=entry.data,
            version=entry.version,
            busy=entry.lease_until > now,
            ttl=max(0.0, entry.expires_at - now),
        )

    async def create(self, flow_id: str, data: str, *, ttl: float) -> FlowRecord:
        """Store a new record at version 1 (see :meth:`FlowStore.create`)."""
        if self._clock() >= self._next_sweep:
            self.sweep()
        if self._live(flow_id) is not None:
            raise FlowConflictError("a flow with this id exists")
        entry = _Entry(data, 1, self._clock() + ttl)
        self._entries[flow_id] = entry
        return self._record(flow_id, entry)

    async def get(self, flow_id: str) -> FlowRecord:
        """The record, without claiming it (see :meth:`FlowStore.get`)."""
        return self._record(flow_id, self._require(flow_id))

    async def claim(
        self, flow_id: str, *, lease: float, expected_version: int | None = None
    ) -> FlowRecord:
        """Lease the record and bump its version (see :meth:`FlowStore.claim`)."""
        entry = self._require(flow_id)
        now = self._clock()
        if entry.lease_until > now:
            raise FlowBusyError(flow_id)
        if expected_version is not None and expected_version != entry.version:
            raise StaleFlowError(flow_id, expected_version, entry.version)
        entry.version += 1
        entry.lease_until = now + lease
        # The record outlives the claim, so the holder can always save or delete it.
        entry.expires_at = max(entry.expires_at, entry.lease_until)
        return self._record(flow_id, entry)

    async def save(self, flow_id: str, data: str, *, version: int, ttl: float) -> int:
        """Compare-and-set the data; release the lease (see :meth:`FlowStore.save`)."""
        entry = self._require(flow_id)
        if entry.version != version:
            raise StaleFlowError(flow_id, version, entry.version)
        entry.data = data
        entry.version += 1
        entry.lease_until = 0.0
        entry.expires_at = self._clock() + ttl
        return entry.version

    async def release(self, flow_id: str, *, version: int) -> int:
        """Give up a claim (see :meth:`FlowStore.release`)."""
        entry = self._require(flow_id)
        if entry.version != version:
            raise StaleFlowError(flow_id, version, entry.version)
        entry.version += 1
        entry.lease_until = 0.0
        return entry.version

    async def delete(self, flow_id: str, *, version: int | None = None) -> bool:
        """Remove the record (see :meth:`FlowStore.delete`)."""
        entry = self._live(flow_id)
        if entry is None:
            return False
        if version is not None and entry.version != version:
            raise StaleFlowError(flow_id, version, entry.version)
        del self._entries[flow_id]
        return True

    async def aclose(self) -> None:
        """Nothing to close."""
