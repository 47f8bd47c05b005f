"""Suspended flows kept between requests and processes, and cross-process token refresh.

* :class:`FlowRepository` is what a host uses: ``add`` / ``start`` a flow, ``checkout`` it
  to answer (claimed before Cognito is called, saved with compare-and-set after), and
  ``get_step``. See :mod:`cognito_flows.store.repository`.
* :class:`FlowStore` is the storage protocol; :class:`MemoryFlowStore` (one process, the
  default) and :class:`RedisFlowStore` (shared; ``pip install cognito-flows[redis]``)
  implement it.
* :class:`RedisRefreshCoordinator` makes N workers refreshing the same user's tokens call
  Cognito once.

Errors: :class:`StoredFlowExpiredError` (a :class:`~cognito_flows.errors.FlowExpiredError`)
for an unknown or expired flow id; :class:`FlowBusyError` and :class:`StaleFlowError`
(both :class:`~cognito_flows.errors.FlowConflictError`) when another worker got there first;
:class:`SnapshotDecryptError` (a :class:`~cognito_flows.errors.SnapshotError`);
:class:`RefreshBusyError` (a :class:`~cognito_flows.errors.FlowConflictError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import (
    FlowBusyError,
    FlowRecord,
    FlowStore,
    SnapshotDecryptError,
    StaleFlowError,
    StoredFlowExpiredError,
    new_flow_id,
)
from .crypto import SnapshotCipher, generate_key
from .memory import MemoryFlowStore
from .repository import DEFAULT_LEASE, FlowCheckout, FlowRepository, StoredFlow

if TYPE_CHECKING:
    from .redis_store import RedisFlowStore
    from .refresh import RedisRefreshCoordinator, RefreshBusyError

__all__ = [
    "DEFAULT_LEASE",
    "FlowBusyError",
    "FlowCheckout",
    "FlowRecord",
    "FlowRepository",
    "FlowStore",
    "MemoryFlowStore",
    "RedisFlowStore",
    "RedisRefreshCoordinator",
    "RefreshBusyError",
    "SnapshotCipher",
    "SnapshotDecryptError",
    "StaleFlowError",
    "StoredFlow",
    "StoredFlowExpiredError",
    "generate_key",
    "new_flow_id",
]

_LAZY = {
    "RedisFlowStore": "redis_store",
    "RedisRefreshCoordinator": "refresh",
    "RefreshBusyError": "refresh",
}


def __getattr__(name: str) -> Any:
    """Import the Redis classes on first use, so that redis stays an optional extra."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    try:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"{name} needs redis: pip install 'cognito-flows[redis]'") from exc
