"""What every flow store shares: the record, the protocol, the errors, flow ids.

Theory of operation. A stored flow is a record ``(flow_id, data, version)`` that expires
with the flow's Cognito session. ``data`` is an opaque string (the flow's JSON snapshot,
encrypted or not: the store never looks inside). Every change bumps ``version``. Answering a
flow calls Cognito with a single-use session, so the worker that answers must be chosen
*before* that call:

1. :meth:`FlowStore.claim` takes a short lease on the record and bumps its version. A second
   claim while the lease is held fails at once with :class:`FlowBusyError`; nobody calls
   Cognito twice with the same session.
2. The lease holder answers the flow and writes the new snapshot with
   :meth:`FlowStore.save` ``(version=claimed)`` (compare-and-set), which releases the lease.
   If the lease expired meanwhile and another worker claimed the flow, the save fails with
   :class:`StaleFlowError` instead of overwriting the other worker's result.
3. A worker that crashed between claim and save leaves a lease that expires by itself.

An unknown id, an expired record and a deleted record all raise
:class:`StoredFlowExpiredError`, a :class:`~cognito_flows.errors.FlowExpiredError`.
"""

from __future__ import annotations

import secrets
from typing import Protocol, runtime_checkable

import attrs

from ..errors import (
    FlowBusyError,
    SnapshotDecryptError,
    StaleFlowError,
    StoredFlowExpiredError,
    hidden,
    masked,
    short_id,
)

__all__ = [
    "FLOW_ID_BYTES",
    "FlowBusyError",
    "FlowRecord",
    "FlowStore",
    "SnapshotDecryptError",
    "StaleFlowError",
    "StoredFlowExpiredError",
    "new_flow_id",
    "short_id",
]

#: Random bytes in a flow id (256 bits; the id is the only capability to a stored flow).
FLOW_ID_BYTES = 32


def new_flow_id() -> str:
    """A new unguessable flow id: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(FLOW_ID_BYTES)


@masked
@attrs.frozen(repr=False)
class FlowRecord:
    """One stored flow as a store returns it.

    Attributes:
        flow_id: the id.
        data: the stored string (a JSON snapshot, maybe encrypted).
        version: bumped by every change; :meth:`FlowStore.claim` returns the claimed one.
        busy: a worker holds the lease (always ``True`` in what ``claim`` returns).
        ttl: seconds until the record expires (``None`` when the store cannot tell).
    """

    flow_id: str = attrs.field(repr=hidden)
    data: str = attrs.field(repr=hidden)
    version: int
    busy: bool = False
    ttl: float | None = None

    def __repr__(self) -> str:
        return (
            f"FlowRecord(flow_id={short_id(self.flow_id)!r}, version={self.version}, "
            f"busy={self.busy}, ttl={self.ttl!r}, data=<{len(self.data)} chars>)"
        )


@runtime_checkable
class FlowStore(Protocol):
    """Where suspended flows wait for their next answer (see the module docstring).

    Every method is atomic with respect to every other worker using the same store.
    ``ttl`` and ``lease`` are seconds from now.
    """

    async def create(self, flow_id: str, data: str, *, ttl: float) -> FlowRecord:
        """Store a new record at version 1.

        Raises:
            FlowConflictError: the id is taken (never happens with :func:`new_flow_id`).
        """
        ...

    async def get(self, flow_id: str) -> FlowRecord:
        """The record, without claiming it.

        Raises:
            StoredFlowExpiredError: unknown or expired id.
        """
        ...

    async def claim(
        self, flow_id: str, *, lease: float, expected_version: int | None = None
    ) -> FlowRecord:
        """Lease the record for ``lease`` seconds and bump its version; return it.

        Raises:
            StoredFlowExpiredError: unknown or expired id.
            FlowBusyError: another worker holds an unexpired lease.
            StaleFlowError: ``expected_version`` is given and is not the stored version.
        """
        ...

    async def save(self, flow_id: str, data: str, *, version: int, ttl: float) -> int:
        """Replace the data if the stored version is ``version``; release the lease.

        Returns:
            the new version (``version + 1``).

        Raises:
            StoredFlowExpiredError: the record expired or was deleted.
            StaleFlowError: the version changed (the lease expired and another worker
                claimed the flow).
        """
        ...

    async def release(self, flow_id: str, *, version: int) -> int:
        """Give up a claim without changing the data; returns the new version.

        Raises:
            StoredFlowExpiredError, StaleFlowError: as :meth:`save`.
        """
        ...

    async def delete(self, flow_id: str, *, version: int | None = None) -> bool:
        """Remove the record (only at ``version``, when given); whether it existed.

        Raises:
            StaleFlowError: ``version`` is given and is not the stored version.
        """
        ...

    async def aclose(self) -> None:
        """Release connections the store opened itself."""
        ...
