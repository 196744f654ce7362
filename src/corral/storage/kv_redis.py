r"""Key-value store in Redis.

Keys are ``<namespace>\\x1f<key>`` (the unit separator cannot appear in a
namespace), so listing one namespace never returns another's keys. The counter
increment is one Lua script: INCRBY, set the expiry only when the key is new,
read the remaining time — a single atomic round trip, shared by the increments
that queued meanwhile (storage/counters.py), on a lean connection of its own
(storage/redis_counter.py; redis-py for TLS and unix sockets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from corral.errors import ServiceUnavailable
from corral.storage.counters import CoalescingCounter, Counted, Increment
from corral.storage.redis_counter import Endpoint, RedisReplyError, RedisScriptConnection

_SEP = "\x1f"
POOL_SIZE = 64
# One call adds a batch of counts (see storage/counters.py): for key i, INCRBY n_i, set the
# expiry only when the key is new, read the remaining time - atomic, one round trip.
_INCR_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('INCRBY', key, ARGV[2 * i - 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    ttl = tonumber(ARGV[2 * i])
  end
  out[2 * i - 1] = v
  out[2 * i] = ttl
end
return out
"""


class RedisKVBackend:
    """One connection pool to one Redis database."""

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        db: int,
        password: str | None,
        url: str | None,
        key_prefix: str = "",
    ) -> None:
        self.name = name
        self._host, self._port, self._db, self._password = host, port, db, password
        self._url = url
        self._prefix = key_prefix
        self.address = url.split("@")[-1] if url else f"{host}:{port}/{db}"
        self._client: Any = None
        self._incr: Any = None
        self.counter: RedisScriptConnection | None = None

    async def open(self) -> None:
        """Create the pool and check the server answers."""
        from redis import asyncio as aioredis

        pool: Any
        if self._url:
            pool = aioredis.BlockingConnectionPool.from_url(
                self._url, max_connections=POOL_SIZE, timeout=10, decode_responses=True
            )
        else:
            pool = aioredis.BlockingConnectionPool(
                host=self._host,
                port=self._port,
                db=self._db,
                password=self._password,
                socket_connect_timeout=5,
                socket_timeout=10,
                max_connections=POOL_SIZE,
                timeout=10,
                decode_responses=True,
            )
        client = aioredis.Redis(connection_pool=pool)
        try:
            await client.ping()
        except Exception:
            await client.aclose(close_connection_pool=True)
            raise
        self._client = client
        self._incr = client.register_script(_INCR_SCRIPT)
        self.counter = _lean_counter(pool)

    async def close(self) -> None:
        """Close the pool."""
        if self.counter is not None:
            self.counter.close()
            self.counter = None
        if self._client is not None:
            await self._client.aclose(close_connection_pool=True)
            self._client = None

    def store(self, namespace: str | None) -> RedisKVStore:
        """A store for one namespace."""
        return RedisKVStore(self, f"{self._prefix}{namespace or ''}{_SEP}")

    def client(self) -> Any:
        """The pooled client (raises 503 when closed)."""
        if self._client is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        return self._client

    def unavailable(self, exc: Exception) -> ServiceUnavailable:
        """The 503 for a failed operation."""
        return ServiceUnavailable(
            f"storage backend {self.name!r} (redis {self.address}) is unavailable: {exc}"
        )

    @property
    def incr_script(self) -> Any:
        """The registered increment script."""
        return self._incr


def _redis_errors() -> tuple[type[Exception], ...]:
    from redis.exceptions import RedisError

    return (RedisError, RedisReplyError, OSError)


def _lean_counter(pool: Any) -> RedisScriptConnection | None:
    """The counter's own connection, for plain TCP (TLS and unix sockets stay on redis-py)."""
    from redis.asyncio.connection import Connection

    if pool.connection_class is not Connection:
        return None
    kw = pool.connection_kwargs
    endpoint = Endpoint(
        host=kw.get("host", "localhost"),
        port=int(kw.get("port", 6379)),
        db=int(kw.get("db", 0) or 0),
        username=kw.get("username"),
        password=kw.get("password"),
    )
    return RedisScriptConnection(endpoint, _INCR_SCRIPT)


class RedisKVStore:
    """One namespace of a `RedisKVBackend`."""

    def __init__(self, backend: RedisKVBackend, prefix: str) -> None:
        self._b = backend
        self._p = prefix
        self._errors = _redis_errors()
        self._counter = CoalescingCounter(self._add_many)

    async def get(self, key: str) -> str | None:
        """The live value or None."""
        try:
            value = await self._b.client().get(self._p + key)
        except self._errors as exc:
            raise self._b.unavailable(exc) from exc
        return None if value is None else str(value)

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        """Store, with an optional expiry."""
        px = max(1, int(expires_in * 1000)) if expires_in is not None else None
        try:
            await self._b.client().set(self._p + key, value, px=px)
        except self._errors as exc:
            raise self._b.unavailable(exc) from exc

    async def delete(self, key: str) -> None:
        """Remove the key."""
        try:
            await self._b.client().delete(self._p + key)
        except self._errors as exc:
            raise self._b.unavailable(exc) from exc

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Live pairs whose key starts with `prefix`."""
        return [(k, v) for k, v in await self._all() if k.startswith(prefix)]

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """Live pairs with start <= key <= end."""
        return [(k, v) for k, v in await self._all() if start <= k <= end]

    async def _all(self) -> list[tuple[str, str]]:
        client = self._b.client()
        pattern = _glob_escape(self._p) + "*"
        try:
            keys = [k async for k in client.scan_iter(match=pattern, count=500)]
            values = await client.mget(keys) if keys else []
        except self._errors as exc:
            raise self._b.unavailable(exc) from exc
        cut = len(self._p)
        pairs = [(k[cut:], v) for k, v in zip(keys, values, strict=True) if v is not None]
        return sorted(pairs)

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomic fixed-window counter (concurrent callers share one round trip)."""
        return await self._counter.incr(key, expires_in)

    async def _add_many(self, items: Sequence[Increment]) -> list[Counted]:
        keys = [self._p + key for key, _, _ in items]
        args: list[int] = []
        for _, n, expires_in in items:
            args += [n, max(1, int(expires_in * 1000))]
        try:
            if self._b.counter is not None:
                flat = await self._b.counter.call(keys, args)
            else:
                flat = await self._b.incr_script(keys=keys, args=args)
        except self._errors as exc:
            raise self._b.unavailable(exc) from exc
        return [(int(flat[i]), max(0.0, int(flat[i + 1]) / 1000)) for i in range(0, len(flat), 2)]


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
