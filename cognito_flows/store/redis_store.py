"""The Redis flow store: suspended flows shared by every worker (``pip install
cognito-flows[redis]``).

Each flow is a hash ``{prefix}{<flow_id>}`` with fields ``d`` (data) and ``v`` (version) and
a Redis TTL equal to the flow's Cognito session lifetime (a claim extends it to at least
the lease, so that the claim's holder can always save or delete the record). A claim is a
separate key ``{prefix}{<flow_id>}:lease`` set with ``PX`` so that a crashed worker's lease
ends by itself. Both keys share a hash tag, so the store works on Redis Cluster. Every operation is
one Lua script: compare-and-set and claim are atomic on the server.

While Redis is down or answers an error, every method raises
:class:`~cognito_flows.errors.StoreUnavailableError` (never a raw ``redis`` exception).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ..errors import FlowConflictError, StoreUnavailableError
from .base import FlowBusyError, FlowRecord, StaleFlowError, StoredFlowExpiredError, short_id

__all__ = ["RedisFlowStore", "connect", "redis_call"]

T = TypeVar("T")


async def redis_call(operation: str, call: Awaitable[T]) -> T:
    """Await a Redis command; a Redis failure becomes :class:`StoreUnavailableError`.

    Only the exception's class is kept: a Redis error message can quote the command.
    """
    try:
        return await call
    except (RedisError, OSError) as exc:
        raise StoreUnavailableError(operation, type(exc).__name__) from None


_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
"""

_GET = """
local rec = redis.call('HMGET', KEYS[1], 'v', 'd')
if not rec[1] then return {-1} end
return {tonumber(rec[1]), rec[2], redis.call('PTTL', KEYS[1]), redis.call('EXISTS', KEYS[2])}
"""

_CLAIM = """
local rec = redis.call('HMGET', KEYS[1], 'v', 'd')
if not rec[1] then return {-1} end
local v = tonumber(rec[1])
if redis.call('EXISTS', KEYS[2]) == 1 then return {-2, v} end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= v then return {-3, v} end
v = v + 1
redis.call('HSET', KEYS[1], 'v', v)
redis.call('SET', KEYS[2], v, 'PX', ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and ttl < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {v, rec[2], ttl}
"""

_SAVE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1} end
v = tonumber(v)
if v ~= tonumber(ARGV[2]) then return {-3, v} end
v = v + 1
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', v)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
return {v}
"""

_RELEASE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1} end
v = tonumber(v)
if v ~= tonumber(ARGV[1]) then return {-3, v} end
v = v + 1
redis.call('HSET', KEYS[1], 'v', v)
redis.call('DEL', KEYS[2])
return {v}
"""

_DELETE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {0} end
if ARGV[1] ~= '' and tonumber(v) ~= tonumber(ARGV[1]) then return {-3, tonumber(v)} end
redis.call('DEL', KEYS[1], KEYS[2])
return {1}
"""


def connect(url: str, max_connections: int = 50, timeout: float = 20.0) -> aioredis.Redis:
    """A Redis client for ``url`` whose pool waits (up to ``timeout`` s) for a free
    connection instead of failing when ``max_connections`` are busy."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout
    )
    return aioredis.Redis.from_pool(pool)


def client_for(client: aioredis.Redis | str, max_connections: int) -> tuple[aioredis.Redis, bool]:
    """``(client, owned)``: a new :func:`connect` client for a URL (owned: close it), or
    the host's own client as it is."""
    if isinstance(client, str):
        return connect(client, max_connections), True
    return client, False


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisFlowStore:
    """Suspended flows in Redis, shared by every worker and process.

    Args:
        client: a ``redis.asyncio.Redis`` client (the host owns it and closes it) or a URL
            such as ``redis://127.0.0.1:6379/0`` (the store opens and closes the client).
        prefix: the key prefix.
        max_connections: with a URL, the connection pool's size; callers beyond it wait
            for a free connection (a host-made client keeps its own pool settings; note
            that redis-py's default pool raises past 100 concurrent commands).
    """

    def __init__(
        self,
        client: aioredis.Redis | str,
        *,
        prefix: str = "cognito_flows:flow:",
        max_connections: int = 50,
    ) -> None:
        self._redis, self._owned = client_for(client, max_connections)
        self.prefix = prefix
        self._create = self._redis.register_script(_CREATE)
        self._get = self._redis.register_script(_GET)
        self._claim = self._redis.register_script(_CLAIM)
        self._save = self._redis.register_script(_SAVE)
        self._release = self._redis.register_script(_RELEASE)
        self._delete = self._redis.register_script(_DELETE)

    def __repr__(self) -> str:
        return f"RedisFlowStore(prefix={self.prefix!r})"

    @property
    def redis(self) -> aioredis.Redis:
        """The Redis client."""
        return self._redis

    def key(self, flow_id: str) -> str:
        """The Redis key of a flow's record."""
        return f"{self.prefix}{{{flow_id}}}"

    def _keys(self, flow_id: str) -> list[str]:
        key = self.key(flow_id)
        return [key, f"{key}:lease"]

    @staticmethod
    def _ttl(pttl: Any) -> float | None:
        ms = int(pttl)
        return ms / 1000 if ms >= 0 else None

    def _fail(self, flow_id: str, result: list[Any], expected: int) -> None:
        status = int(result[0])
        if status == -1:
            raise StoredFlowExpiredError(flow_id)
        if status == -2:
            raise FlowBusyError(flow_id)
        if status == -3:
            raise StaleFlowError(flow_id, expected, int(result[1]))

    async def create(self, flow_id: str, data: str, *, ttl: float) -> FlowRecord:
        """Store a new record at version 1 (see :meth:`FlowStore.create`)."""
        created = await redis_call(
            "create", self._create(keys=self._keys(flow_id), args=[data, _ms(ttl)])
        )
        if not int(created):
            raise FlowConflictError(f"a flow with id {short_id(flow_id)} exists")
        return FlowRecord(flow_id=flow_id, data=data, version=1, ttl=ttl)

    async def get(self, flow_id: str) -> FlowRecord:
        """The record, without claiming it (see :meth:`FlowStore.get`)."""
        result = await redis_call("get", self._get(keys=self._keys(flow_id)))
        self._fail(flow_id, result, 0)
        return FlowRecord(
            flow_id=flow_id,
            data=_text(result[1]),
            version=int(result[0]),
            busy=bool(int(result[3])),
            ttl=self._ttl(result[2]),
        )

    async def claim(
        self, flow_id: str, *, lease: float, expected_version: int | None = None
    ) -> FlowRecord:
        """Lease the record and bump its version (see :meth:`FlowStore.claim`)."""
        expected = "" if expected_version is None else str(expected_version)
        result = await redis_call(
            "claim", self._claim(keys=self._keys(flow_id), args=[_ms(lease), expected])
        )
        self._fail(flow_id, result, expected_version or 0)
        return FlowRecord(
            flow_id=flow_id,
            data=_text(result[1]),
            version=int(result[0]),
            busy=True,
            ttl=self._ttl(result[2]),
        )

    async def save(self, flow_id: str, data: str, *, version: int, ttl: float) -> int:
        """Compare-and-set the data; release the lease (see :meth:`FlowStore.save`)."""
        result = await redis_call(
            "save", self._save(keys=self._keys(flow_id), args=[data, version, _ms(ttl)])
        )
        self._fail(flow_id, result, version)
        return int(result[0])

    async def release(self, flow_id: str, *, version: int) -> int:
        """Give up a claim (see :meth:`FlowStore.release`)."""
        result = await redis_call(
            "release", self._release(keys=self._keys(flow_id), args=[version])
        )
        self._fail(flow_id, result, version)
        return int(result[0])

    async def delete(self, flow_id: str, *, version: int | None = None) -> bool:
        """Remove the record (see :meth:`FlowStore.delete`)."""
        expected = "" if version is None else str(version)
        result = await redis_call("delete", self._delete(keys=self._keys(flow_id), args=[expected]))
        self._fail(flow_id, result, version or 0)
        return bool(int(result[0]))

    async def aclose(self) -> None:
        """Close the client if the store opened it from a URL."""
        if self._owned:
            await redis_call("close", self._redis.aclose())
