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
    states -> steps
    handlers -> errors, steps, states
    flows -> errors, steps, passkeys
    drivers -> flows, steps, states, srp, tokens, devices, errors
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
and ``local`` are compatibility aliases. ``tokens`` is a package, one layer here; the table
of its own modules is in its docstring.)
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from . import errors
from .errors import *  # noqa: F403

if _typing.TYPE_CHECKING:
    from .account import Account, AuthFactors, DeviceInfo, UserInfo, refresh_tokens, token_manager
    from .devices import DeviceStore, FileDeviceStore, MemoryDeviceStore, RememberedDevice
    from .drivers.account import TotpSetupFlow, VerifyAttributeFlow
    from .drivers.base import FlowDriver
    from .drivers.sign_in import SignInFlow
    from .drivers.sign_up import ForgotPasswordFlow, SignUpFlow
    from .handlers import (
        ForgotPasswordHandlers,
        SignInHandlerMap,
        SignInHandlers,
        SignUpHandlers,
        TotpSetupHandlers,
        VerifyAttributeHandlers,
        run_with_handlers,
    )
    from .pool import SignUpResult, UserPool
    from .srp import SrpExecutor
    from .states import (
        ForgotPasswordState,
        ForgotPasswordStep,
        SignInState,
        SignInStep,
        SignUpState,
        SignUpStep,
        TotpSetupState,
        TotpSetupStep,
        VerifyAttributeState,
        VerifyAttributeStep,
    )
    from .steps import CodeDelivery, NewPassword, ResetPassword, Step, TotpCode, TotpSetup
    from .store import FlowRepository, FlowStore, MemoryFlowStore
    from .tokens import TokenManager, TokenSet, TokenVerifier
    from .wire import ClientConfig, CognitoClient

#: Where each lazily imported public name lives (PEP 562): ``import cognito_flows`` loads
#: neither botocore nor aiobotocore, jwt, cryptography or the emulator; the first use of a
#: name imports its module.
_LAZY: dict[str, str] = {
    "Account": "account",
    "AuthFactors": "account",
    "DeviceInfo": "account",
    "UserInfo": "account",
    "refresh_tokens": "account",
    "token_manager": "account",
    "DeviceStore": "devices",
    "FileDeviceStore": "devices",
    "MemoryDeviceStore": "devices",
    "RememberedDevice": "devices",
    "TotpSetupFlow": "drivers.account",
    "VerifyAttributeFlow": "drivers.account",
    "FlowDriver": "drivers.base",
    "SignInFlow": "drivers.sign_in",
    "ForgotPasswordFlow": "drivers.sign_up",
    "SignUpFlow": "drivers.sign_up",
    "run_with_handlers": "handlers",
    "ForgotPasswordHandlers": "handlers",
    "SignInHandlerMap": "handlers",
    "SignInHandlers": "handlers",
    "SignUpHandlers": "handlers",
    "TotpSetupHandlers": "handlers",
    "VerifyAttributeHandlers": "handlers",
    "ForgotPasswordState": "states",
    "ForgotPasswordStep": "states",
    "SignInState": "states",
    "SignInStep": "states",
    "SignUpState": "states",
    "SignUpStep": "states",
    "TotpSetupState": "states",
    "TotpSetupStep": "states",
    "VerifyAttributeState": "states",
    "VerifyAttributeStep": "states",
    "SignUpResult": "pool",
    "UserPool": "pool",
    "SrpExecutor": "srp",
    "CodeDelivery": "steps",
    "NewPassword": "steps",
    "ResetPassword": "steps",
    "Step": "steps",
    "TotpCode": "steps",
    "TotpSetup": "steps",
    "FlowRepository": "store",
    "FlowStore": "store",
    "MemoryFlowStore": "store",
    "TokenManager": "tokens",
    "TokenSet": "tokens",
    "TokenVerifier": "tokens",
    "ClientConfig": "wire",
    "CognitoClient": "wire",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [
    "ForgotPasswordHandlers",
    "ForgotPasswordState",
    "ForgotPasswordStep",
    "SignInHandlerMap",
    "SignInHandlers",
    "SignInState",
    "SignInStep",
    "SignUpHandlers",
    "SignUpState",
    "SignUpStep",
    "TotpSetupHandlers",
    "TotpSetupState",
    "TotpSetupStep",
    "VerifyAttributeHandlers",
    "VerifyAttributeState",
    "VerifyAttributeStep",
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
