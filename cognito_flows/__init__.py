"""cognito_flows: Amazon Cognito User Pool authentication flows as asyncio state machines.

Start with :class:`UserPool`::

    async with UserPool("eu-west-1_AbC123", "client-id") as pool:
        tokens = await pool.sign_in("alice", "password", handlers=MyHandlers())
"""

from __future__ import annotations

from . import errors
from .account import Account, AuthFactors, DeviceInfo, UserInfo, refresh_tokens, token_manager
from .devices import DeviceStore, FileDeviceStore, MemoryDeviceStore, RememberedDevice
from .drivers.account import TotpSetupFlow, VerifyAttributeFlow
from .drivers.base import FlowDriver
from .drivers.sign_in import NewPassword, SignInFlow, TotpCode
from .drivers.sign_up import ForgotPasswordFlow, ResetPassword, SignUpFlow
from .engine import CodeDelivery, Step, TotpSetup, run_with_handlers
from .errors import *  # noqa: F403
from .pool import SignUpResult, UserPool
from .srp import SrpExecutor
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
