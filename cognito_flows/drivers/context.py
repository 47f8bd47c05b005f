"""The narrow context a flow driver runs in: :class:`FlowContext`.

Drivers, :class:`~cognito_flows.account.Account`, token refresh and the flow repository
need a handful of things from the pool, never the pool itself (as Amplify Swift's actions
get a ``UserPoolEnvironment``, not the plugin): the app client's identity, a way to call
Cognito, where SRP runs, the clock, how long a challenge session lives, the device store,
the TOTP issuer and device name, and a :class:`FlowFactory` (the pool) to build the next
flow. :class:`~cognito_flows.UserPool` builds one context and hands it to every flow; a test
can build one whose ``call`` answers from a script, in-process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from ..devices import DeviceStore
    from ..srp import SrpExecutor
    from .base import FlowDriver

__all__ = ["Caller", "FlowContext", "FlowFactory", "HasContext", "context_of"]


class Caller(Protocol):
    """Calls a Cognito operation (:meth:`cognito_flows.wire.CognitoClient.call`)."""

    def __call__(
        self, operation: str, /, *, secret_hash_for: str | None = None, **params: Any
    ) -> Awaitable[dict[str, Any]]:
        """Call ``operation``; ClientId and SECRET_HASH are added from the same request."""
        ...


class FlowFactory(Protocol):
    """What builds flows (the pool): the only place flows are created."""

    def resume(self, snapshot: Mapping[str, Any]) -> FlowDriver[Any]:
        """Rebuild a suspended flow of any type."""
        ...

    def next_flow(self, flow: FlowDriver[Any], **kwargs: Any) -> FlowDriver[Any]:
        """The flow the final state of ``flow`` names as its next flow."""
        ...

    def build(self, data: Any, **kwargs: Any) -> FlowDriver[Any]:
        """A flow of the type ``data`` belongs to, with the driver's keyword arguments."""
        ...


@attrs.frozen(eq=False, repr=False)
class FlowContext:
    """What flows, accounts and repositories use of a pool.

    Attributes:
        user_pool_id: the user pool (also the SRP pool name).
        client_id: the app client.
        call: calls Cognito, adding ClientId and SECRET_HASH.
        srp: where SRP math runs.
        clock: epoch seconds.
        session_validity: seconds a Cognito challenge session lives.
        device_store: remembered devices.
        flows: builds flows (the pool).
        totp_issuer: the issuer shown in authenticator apps.
        device_name: the name given to remembered devices.
        has_secret: whether the app client has a secret.
    """

    user_pool_id: str
    client_id: str
    call: Caller
    srp: SrpExecutor
    clock: Callable[[], float]
    session_validity: float
    device_store: DeviceStore
    flows: FlowFactory
    totp_issuer: str = "AWSCognito"
    device_name: str | None = None
    has_secret: bool = False

    def __repr__(self) -> str:
        return f"FlowContext(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r})"


class HasContext(Protocol):
    """Anything that carries a :class:`FlowContext` (a :class:`~cognito_flows.UserPool`)."""

    @property
    def context(self) -> FlowContext:
        """The context flows of this pool run in."""
        ...


def context_of(source: FlowContext | HasContext) -> FlowContext:
    """``source`` itself when it is a context, else its ``context``."""
    if isinstance(source, FlowContext):
        return source
    return source.context
