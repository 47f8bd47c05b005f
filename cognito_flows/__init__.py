"""cognito_flows: Amazon Cognito User Pool authentication flows as asyncio state machines.

Start with :class:`UserPool`::

    async with UserPool("eu-west-1_AbC123", "client-id") as pool:
        tokens = await pool.sign_in("alice", "password", handlers=MyHandlers())

Layers, each importing only the layers it names (``TYPE_CHECKING`` and function-level imports
included; ``tests/test_layers.py`` checks every import against this table, and that there is
no circle):

    errors -> -
    srp, wire, devices, passkeys, tokens -> errors
    inputs, steps -> errors, tokens
    handlers -> errors, steps
    flows -> errors, steps, passkeys
    drivers -> flows, steps, srp, tokens, devices, errors
    refresh -> drivers, errors, tokens
    account -> drivers, flows, handlers, passkeys, refresh, steps, tokens, errors
    store -> drivers, steps, tokens, inputs, errors
    oauth -> tokens, errors
    engine -> flows, steps, handlers
    pool -> *
    cognito_flows -> *, pool
    testing, cli -> *, pool, cognito_local
    local -> cognito_local
    cognito_local -> srp

(``*`` is every layer above ``pool``. ``flows`` is the sans-I/O tables: no asyncio, no
wire, no drivers; ``cognito_local``, the emulator, stands apart on ``srp`` alone; ``engine``
and ``local`` are compatibility aliases.)
"""

from __future__ import annotations

from . import errors
from .account import Account, AuthFactors, DeviceInfo, UserInfo, refresh_tokens, token_manager
from .devices import DeviceStore, FileDeviceStore, MemoryDeviceStore, RememberedDevice
from .drivers.account import TotpSetupFlow, VerifyAttributeFlow
from .drivers.base import FlowDriver
from .drivers.sign_in import SignInFlow
from .drivers.sign_up import ForgotPasswordFlow, SignUpFlow
from .errors import *  # noqa: F403
from .handlers import run_with_handlers
from .pool import SignUpResult, UserPool
from .srp import SrpExecutor
from .steps import CodeDelivery, NewPassword, ResetPassword, Step, TotpCode, TotpSetup
from .store import FlowRepository, FlowStore, MemoryFlowStore
from .tokens import TokenManager, TokenSet, TokenVerifier
from .wire import ClientConfig, CognitoClient

__version__ = "0.1.0"

__all__ = [
    "Account",
    "AuthFactors",
    "ClientConfig",
    "CodeDelivery",
    "CognitoClient",
    "DeviceInfo",
    "DeviceStore",
    "FileDeviceStore",
    "FlowDriver",
    "FlowRepository",
    "FlowStore",
    "ForgotPasswordFlow",
    "MemoryDeviceStore",
    "MemoryFlowStore",
    "NewPassword",
    "RememberedDevice",
    "ResetPassword",
    "SignInFlow",
    "SignUpFlow",
    "SignUpResult",
    "SrpExecutor",
    "Step",
    "TokenManager",
    "TokenSet",
    "TokenVerifier",
    "TotpCode",
    "TotpSetup",
    "TotpSetupFlow",
    "UserInfo",
    "UserPool",
    "VerifyAttributeFlow",
    "__version__",
    "errors",
    "refresh_tokens",
    "run_with_handlers",
    "token_manager",
    *errors.__all__,
]
