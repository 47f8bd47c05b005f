"""cognito_flows: Amazon Cognito User Pool authentication flows as asyncio state machines."""

from __future__ import annotations

from . import errors
from .errors import *  # noqa: F403

__version__ = "0.1.0"

__all__ = ["__version__", "errors", *errors.__all__]
