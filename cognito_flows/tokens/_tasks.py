"""The single-flight helper shared by :class:`~cognito_flows.tokens.JwksCache` and
:class:`~cognito_flows.tokens.TokenManager`: one task does the work, every waiter awaits it
through :func:`asyncio.shield`."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["consume_exception"]


def consume_exception(task: asyncio.Future[Any]) -> None:
    """Mark a shared task's exception as retrieved (all waiters may have been cancelled)."""
    if not task.cancelled():
        task.exception()
