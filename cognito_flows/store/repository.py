"""Flows kept in a store between a host's requests: :class:`FlowRepository`.

Theory of operation::

    flows = FlowRepository(pool, RedisFlowStore("redis://127.0.0.1:6379/0"),
                           encryption_key=host_key)
    # request 1
    sign_in = pool.sign_in_flow(username, password)
    flow_id, step = await flows.start(sign_in)      # InitiateAuth ... -> SOFTWARE_TOKEN_MFA
    # request 2, maybe another worker or process
    async with flows.checkout(flow_id) as flow:      # claim: this worker alone answers
        step = await flow.answer(code)               # RespondToAuthChallenge
    # on exit: saved with compare-and-set, or deleted when the flow is done

``checkout`` claims the stored flow *before* anything is sent to Cognito, so when two
workers answer the same flow at once exactly one calls Cognito and the other gets
:class:`~cognito_flows.store.FlowBusyError` (a :class:`~cognito_flows.errors.FlowConflictError`)
at once. A stored flow lives as long as its Cognito session (``step.session_expires_at``, or
the pool's ``session_validity`` when the step has none); then its id raises
:class:`~cognito_flows.store.StoredFlowExpiredError` (a
:class:`~cognito_flows.errors.FlowExpiredError`).

What is stored is the flow's :meth:`~cognito_flows.FlowDriver.snapshot` as JSON: never a
password, an SRP secret or a device password. A finished flow is deleted (unless
``keep=True``), so the tokens of a finished sign-in are not stored either. A sign-in waiting
at ``REMEMBER_DEVICE`` has signed in already and its snapshot holds its tokens: pass
``remember_device=`` to ``sign_in_flow`` to skip that step, or give an ``encryption_key``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

import attrs

from ..drivers.base import FlowDriver
from ..drivers.context import FlowContext, HasContext, context_of
from ..errors import (
    CognitoFlowsError,
    FlowConflictError,
    FlowExpiredError,
    FlowFinishedError,
    SnapshotError,
    StoreUnavailableError,
)
from ..inputs import require_complete_snapshot
from ..steps import Step
from .base import FlowStore, StoredFlowExpiredError, new_flow_id, short_id
from .crypto import KeyMaterial, SnapshotCipher
from .memory import MemoryFlowStore

__all__ = ["DEFAULT_LEASE", "FlowCheckout", "FlowRepository", "StoredFlow"]

log = logging.getLogger("cognito_flows.store")

#: Shortest claim, in seconds. The default lease is the pool's session validity (3 minutes):
#: an answer never outlives the Cognito session it answers, so a claim that long cannot
#: expire while its worker is still talking to Cognito (one answer is up to five calls,
#: each with botocore's retries), and a crashed worker's flow is dead by then anyway.
DEFAULT_LEASE = 30.0

F = TypeVar("F", bound=FlowDriver[Any])


@attrs.frozen
class StoredFlow:
    """A stored flow, resumed, as :meth:`FlowRepository.get` returns it.

    Attributes:
        flow_id: its id.
        flow: the resumed flow (answering it directly bypasses the claim: use
            :meth:`FlowRepository.checkout` to answer).
        version: the stored version (pass it to ``checkout(version=...)`` to answer only
            this exact step).
        busy: another worker is answering it right now.
        ttl: seconds until it expires, when the store can tell.
    """

    flow_id: str = attrs.field(repr=short_id)
    flow: FlowDriver[Any]
    version: int
    busy: bool
    ttl: float | None


class FlowRepository:
    """Suspended flows of one :class:`~cognito_flows.UserPool`, kept in a :class:`FlowStore`.

    Args:
        pool: the pool the flows belong to (snapshots of other pools are refused).
        store: where flows are kept; default a new :class:`MemoryFlowStore` (one process).
        encryption_key: encrypt stored snapshots (AES-256-GCM) with this host key, or with
            the first of several keys (the others still decrypt: key rotation). With a key,
            unencrypted records are refused.
        lease: seconds a claim lasts; a crashed worker's claim ends after it (default:
            the pool's session validity, at least :data:`DEFAULT_LEASE`).
        keep_finished: keep finished flows (default: delete them at the end of
            ``checkout``); their snapshot may hold the sign-in's tokens.
    """

    def __init__(
        self,
        pool: FlowContext | HasContext,
        store: FlowStore | None = None,
        *,
        encryption_key: KeyMaterial | Sequence[KeyMaterial] | None = None,
        lease: float | None = None,
        keep_finished: bool = False,
    ) -> None:
        self.pool = pool
        self._ctx = ctx = context_of(pool)
        self.store: FlowStore = store if store is not None else MemoryFlowStore(clock=ctx.clock)
        self._cipher = SnapshotCipher(encryption_key) if encryption_key is not None else None
        self.lease = lease if lease is not None else max(DEFAULT_LEASE, float(ctx.session_validity))
        self.keep_finished = keep_finished

    def __repr__(self) -> str:
        return (
            f"FlowRepository(pool={self.pool!r}, store={self.store!r}, "
            f"encrypted={self._cipher is not None})"
        )

    @property
    def encrypted(self) -> bool:
        """Whether snapshots are stored encrypted."""
        return self._cipher is not None

    # ------------------------------------------------------------------ encoding

    def encode(self, flow_id: str, flow: FlowDriver[Any]) -> str:
        """The stored form of ``flow``: its JSON snapshot, encrypted when a key is set."""
        text = json.dumps(flow.snapshot(), separators=(",", ":"))
        if self._cipher is None:
            return text
        return self._cipher.encrypt(text.encode(), context=flow_id.encode())

    def decode(self, flow_id: str, data: str) -> FlowDriver[Any]:
        """Resume a flow from its stored form.

        Raises:
            SnapshotError: malformed, not decryptable, another pool's flow, or a finished
                flow without its result (:func:`~cognito_flows.inputs.require_complete_snapshot`).
        """
        if self._cipher is not None:
            text = self._cipher.decrypt(data, context=flow_id.encode()).decode()
        elif SnapshotCipher.is_encrypted(data):
            raise SnapshotError("the stored snapshot is encrypted and no key is configured")
        else:
            text = data
        try:
            snap = json.loads(text)
        except (ValueError, RecursionError):
            raise SnapshotError("the stored snapshot is not JSON") from None
        require_complete_snapshot(snap)
        return self._ctx.flows.resume(snap)

    def ttl(self, flow: FlowDriver[Any]) -> float:
        """Seconds ``flow`` may stay stored: until its Cognito session expires, or, for a
        flow waiting for a code without a session (sign-up, password reset...), as long as
        that code lives (``idle_lifetime`` of its type)."""
        expires = getattr(flow.data, "session_expires_at", None)
        if expires is not None:
            return float(expires) - self._ctx.clock()
        lifetime = type(flow).idle_lifetime
        return float(self._ctx.session_validity if lifetime is None else lifetime)

    # ------------------------------------------------------------------ API

    async def add(self, flow: FlowDriver[Any]) -> str:
        """Store a suspended flow; returns its new unguessable id.

        Raises:
            FlowFinishedError: the flow has ended (there is nothing to resume).
            StoredFlowExpiredError: its Cognito session has expired already.
        """
        if flow.done:
            raise FlowFinishedError(f"the flow has ended in {flow.state}; nothing to store")
        flow_id = new_flow_id()
        ttl = self.ttl(flow)
        if ttl <= 0:
            raise StoredFlowExpiredError(flow_id, "the flow's Cognito session has expired")
        await self.store.create(flow_id, self.encode(flow_id, flow), ttl=ttl)
        log.debug("stored flow %s in %s (ttl %.0f s)", short_id(flow_id), flow.state, ttl)
        return flow_id

    async def start(self, flow: FlowDriver[Any]) -> tuple[str | None, Step]:
        """Start ``flow`` and store it if it waits for the host.

        Returns:
            ``(flow_id, step)``; ``flow_id`` is ``None`` when the flow ended at once
            (signed in without a challenge, or failed).
        """
        step = await flow.start()
        if step.done:
            return None, step
        return await self.add(flow), step

    async def get(self, flow_id: str) -> StoredFlow:
        """The stored flow, resumed, without claiming it.

        Raises:
            StoredFlowExpiredError: unknown or expired id.
            SnapshotError: the record cannot be resumed.
        """
        record = await self.store.get(flow_id)
        return StoredFlow(
            flow_id=flow_id,
            flow=self.decode(flow_id, record.data),
            version=record.version,
            busy=record.busy,
            ttl=record.ttl,
        )

    async def get_step(self, flow_id: str) -> Step:
        """The current step of a stored flow (what to ask the user), without claiming it.

        Raises:
            StoredFlowExpiredError: unknown or expired id.
        """
        return (await self.get(flow_id)).flow.step

    @overload
    def checkout(
        self, flow_id: str, *, version: int | None = None, keep: bool | None = None
    ) -> FlowCheckout[FlowDriver[Any]]: ...

    @overload
    def checkout(
        self, flow_id: str, kind: type[F], *, version: int | None = None, keep: bool | None = None
    ) -> FlowCheckout[F]: ...

    def checkout(
        self,
        flow_id: str,
        kind: type[Any] | None = None,
        *,
        version: int | None = None,
        keep: bool | None = None,
    ) -> FlowCheckout[Any]:
        """Claim a stored flow to answer it: ``async with flows.checkout(id) as flow:``.

        On entry the flow is claimed (before anything reaches Cognito) and resumed; on exit
        it is saved with compare-and-set, or deleted when it has ended (unless ``keep``).
        It is saved even when the block raises: the flow's data always reflects what
        Cognito answered.

        Args:
            flow_id: the id from :meth:`add`.
            kind: the expected flow class (``SignInFlow``), for typing; another type
                raises :class:`~cognito_flows.errors.SnapshotError`.
            version: answer only if the stored flow is still at this version (as shown
                to the user); otherwise :class:`~cognito_flows.store.StaleFlowError`.
            keep: keep the flow once it has ended (default: the repository's setting).

        Raises (on entry):
            StoredFlowExpiredError: unknown or expired id.
            FlowBusyError: another worker is answering it.
            StaleFlowError: ``version`` is not the stored version.
        """
        return FlowCheckout(
            self,
            flow_id,
            kind=kind,
            version=version,
            keep=self.keep_finished if keep is None else keep,
        )

    async def answer(self, flow_id: str, value: Any = None, *, version: int | None = None) -> Step:
        """Claim, answer and save a stored flow in one call; returns the next step.

        Raises:
            StoredFlowExpiredError, FlowBusyError, StaleFlowError: see :meth:`checkout`.
        """
        async with self.checkout(flow_id, version=version) as flow:
            return await flow.answer(value)

    async def discard(self, flow_id: str) -> bool:
        """Forget a stored flow (the user cancelled); whether it existed."""
        return await self.store.delete(flow_id)

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.aclose()


class FlowCheckout(Generic[F]):
    """The claim on one stored flow; see :meth:`FlowRepository.checkout`.

    Attributes:
        flow_id: the id.
        flow: the resumed flow (after entry).
        version: the claimed version inside the block; after it, the saved version, or
            ``None`` when the flow was deleted.
        deleted: whether the flow was deleted on exit (it ended).
        save_error: why the flow could not be saved or deleted on exit, when it could not
            (a :class:`~cognito_flows.errors.StoreUnavailableError` or a
            :class:`~cognito_flows.errors.FlowConflictError`). A flow that ended (DONE with
            its tokens, or FAILED) is returned all the same, with this set and a warning
            logged: Cognito's answer is never lost to a store failure. A flow still waiting
            for the host raises the error instead: its stored snapshot is stale.
    """

    def __init__(
        self,
        repo: FlowRepository,
        flow_id: str,
        *,
        kind: type[Any] | None,
        version: int | None,
        keep: bool,
    ) -> None:
        self.repo = repo
        self.flow_id = flow_id
        self._kind = kind
        self._expected = version
        self._keep = keep
        self.flow: F | None = None
        self.version: int | None = None
        self.deleted = False
        self.save_error: CognitoFlowsError | None = None

    def __repr__(self) -> str:
        return (
            f"FlowCheckout(flow_id={short_id(self.flow_id)!r}, version={self.version!r}, "
            f"flow={self.flow!r})"
        )

    async def __aenter__(self) -> F:
        repo = self.repo
        record = await repo.store.claim(
            self.flow_id, lease=repo.lease, expected_version=self._expected
        )
        self.version = record.version
        try:
            flow = repo.decode(self.flow_id, record.data)
            if self._kind is not None and not isinstance(flow, self._kind):
                raise SnapshotError(
                    f"the stored flow is a {type(flow).__name__}, not a {self._kind.__name__}"
                )
        except BaseException:
            try:
                await repo.store.release(self.flow_id, version=record.version)
            except Exception as err:  # the claim ends with its lease; keep the first error
                log.warning(
                    "could not release flow %s: %s", short_id(self.flow_id), type(err).__name__
                )
            raise
        log.debug("claimed flow %s v%d in %s", short_id(self.flow_id), record.version, flow.state)
        self.flow = flow  # type: ignore[assignment]
        return flow  # type: ignore[return-value]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        flow, version = self.flow, self.version
        if flow is None or version is None:  # pragma: no cover - entry failed
            return
        repo = self.repo
        try:
            ttl = repo.ttl(flow)
            if (flow.done and not self._keep) or ttl <= 0:
                await repo.store.delete(self.flow_id, version=version)
                self.deleted = True
                self.version = None
                log.debug("flow %s ended in %s; deleted", short_id(self.flow_id), flow.state)
            else:
                self.version = await repo.store.save(
                    self.flow_id, repo.encode(self.flow_id, flow), version=version, ttl=ttl
                )
                log.debug(
                    "saved flow %s v%d in %s", short_id(self.flow_id), self.version, flow.state
                )
        except Exception as err:
            # FlowConflictError / FlowExpiredError (another worker took over after the
            # lease), StoreUnavailableError (Redis down), or a host store's own failure.
            failure = (
                err
                if isinstance(err, (FlowConflictError, FlowExpiredError, StoreUnavailableError))
                else StoreUnavailableError("save", type(err).__name__)
            )
            self.save_error = failure
            if exc is not None:
                # The block's own exception (a CancelledError too) goes on unchanged.
                log.warning(
                    "could not save flow %s after an error: %s",
                    short_id(self.flow_id),
                    type(err).__name__,
                )
                return
            if flow.done:
                log.warning(
                    "flow %s ended in %s but the store failed (%s); its result is returned "
                    "and the stored record expires by itself",
                    short_id(self.flow_id),
                    flow.state,
                    type(err).__name__,
                )
                return
            if failure is err:
                raise
            raise failure from None
