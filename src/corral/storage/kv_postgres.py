"""Key-value store in one PostgreSQL table, through one asyncpg pool per backend.

Namespaces are part of the primary key. The table name comes from validated
config (an identifier pattern), so it is the only non-parameter in the SQL;
every value is a bind parameter. The counter increment is one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, shared by the
increments that queued meanwhile (storage/counters.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from corral.errors import ServiceUnavailable
from corral.storage.counters import CoalescingCounter, Counted, Increment

_MAX_KEY = "\U0010ffff"


class PostgresKVBackend:
    """One asyncpg pool and one table for every namespace of a ``kv_postgres`` backend."""

    def __init__(self, name: str, *, dsn: dict[str, Any], table: str, pool_size: int) -> None:
        self.name = name
        self._dsn = dsn
        self._pool_size = pool_size
        self.address = f"{dsn['host']}:{dsn['port']}/{dsn['database']}"
        self._pool: Any = None
        t = table  # validated identifier (config pattern)
        self.sql = {
            "create": (
                f"CREATE TABLE IF NOT EXISTS {t} (namespace TEXT NOT NULL, "
                'key TEXT COLLATE "C" NOT NULL, '
                "value TEXT NOT NULL, expires_at DOUBLE PRECISION, PRIMARY KEY (namespace, key))"
            ),
            "get": f"SELECT value FROM {t} WHERE namespace = $1 AND key = $2 "  # noqa: S608
            "AND (expires_at IS NULL OR expires_at > $3)",
            "set": f"INSERT INTO {t} (namespace, key, value, expires_at) VALUES ($1, $2, $3, $4) "  # noqa: S608
            "ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, "
            "expires_at = EXCLUDED.expires_at",
            "delete": f"DELETE FROM {t} WHERE namespace = $1 AND key = $2",  # noqa: S608
            "range": f"SELECT key, value FROM {t} WHERE namespace = $1 AND key >= $2 "  # noqa: S608
            "AND key <= $3 AND (expires_at IS NULL OR expires_at > $4) ORDER BY key",
            "purge": f"DELETE FROM {t} WHERE namespace = $1 AND expires_at <= $2",  # noqa: S608
            # a batch of counters (storage/counters.py): key i gains n_i, one atomic statement
            "incr": f"INSERT INTO {t} AS kv (namespace, key, value, expires_at) "  # noqa: S608
            "SELECT $1, u.k, u.n, u.e FROM unnest($2::text[], $3::text[], $4::float8[]) "
            "AS u(k, n, e) ON CONFLICT (namespace, key) DO UPDATE SET "
            "value = CASE WHEN kv.expires_at IS NOT NULL AND kv.expires_at <= $5 "
            "THEN EXCLUDED.value ELSE (kv.value::bigint + EXCLUDED.value::bigint)::text END, "
            "expires_at = CASE WHEN kv.expires_at IS NULL OR kv.expires_at <= $5 "
            "THEN EXCLUDED.expires_at ELSE kv.expires_at END RETURNING key, value, expires_at",
        }

    async def open(self) -> None:
        """Create the pool and the table."""
        import asyncpg

        self._pool = await asyncpg.create_pool(
            min_size=1, max_size=self._pool_size, command_timeout=30, timeout=10, **self._dsn
        )
        # Replicas and workers start together: serialise the CREATE (concurrent
        # CREATE TABLE IF NOT EXISTS can collide in Postgres's catalog).
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.sql["create"])
            await conn.execute(self.sql["create"])

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def store(self, namespace: str | None) -> PostgresKVStore:
        """A store for one namespace."""
        return PostgresKVStore(self, namespace or "")

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """Rows of a query; connection failures become 503s."""
        if self._pool is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        errors: tuple[type[Exception], ...] = (OSError, *_pg_errors())
        try:
            return list(await self._pool.fetch(sql, *args))
        except errors as exc:
            raise ServiceUnavailable(
                f"storage backend {self.name!r} (postgres {self.address}) is unavailable: {exc}"
            ) from exc

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement."""
        await self.fetch(sql, *args)


def _pg_errors() -> tuple[type[Exception], ...]:
    import asyncpg

    return (asyncpg.PostgresError, asyncpg.InterfaceError)


class PostgresKVStore:
    """One namespace of a `PostgresKVBackend`."""

    def __init__(self, backend: PostgresKVBackend, namespace: str) -> None:
        self._b = backend
        self._ns = namespace
        self._counter = CoalescingCounter(self._add_many)

    async def get(self, key: str) -> str | None:
        """The live value or None."""
        rows = await self._b.fetch(self._b.sql["get"], self._ns, key, time.time())
        return str(rows[0]["value"]) if rows else None

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        """Insert or replace."""
        expires_at = time.time() + expires_in if expires_in is not None else None
        await self._b.execute(self._b.sql["set"], self._ns, key, value, expires_at)

    async def delete(self, key: str) -> None:
        """Remove the key."""
        await self._b.execute(self._b.sql["delete"], self._ns, key)

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Live pairs whose key starts with `prefix`."""
        pairs = await self.items_in_range(prefix, prefix + _MAX_KEY)
        return [(k, v) for k, v in pairs if k.startswith(prefix)]

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """Live pairs with start <= key <= end (byte order, via COLLATE "C" semantics)."""
        now = time.time()
        rows = await self._b.fetch(self._b.sql["range"], self._ns, start, end, now)
        await self._b.execute(self._b.sql["purge"], self._ns, now)
        pairs = [(str(r["key"]), str(r["value"])) for r in rows]
        return sorted(p for p in pairs if start <= p[0] <= end)

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomic fixed-window counter (concurrent callers share one statement)."""
        return await self._counter.incr(key, expires_in)

    async def _add_many(self, items: Sequence[Increment]) -> list[Counted]:
        now = time.time()
        keys = [key for key, _, _ in items]
        counts = [str(n) for _, n, _ in items]
        expiries = [now + exp for _, _, exp in items]
        rows = await self._b.fetch(self._b.sql["incr"], self._ns, keys, counts, expiries, now)
        found = {str(r["key"]): (int(r["value"]), float(r["expires_at"])) for r in rows}
        return [(found[k][0], max(0.0, found[k][1] - now)) for k in keys]
