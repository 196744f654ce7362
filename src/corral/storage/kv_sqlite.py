"""Key-value store in one SQLite file.

One connection per backend (WAL mode, bounded busy timeout) shared by every
namespace on it; namespaces are a column of the primary key, so a prefix or
range query can never reach another namespace's keys. The counter increment is
a single ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, atomic
across processes because SQLite serialises writers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiosqlite

from corral.errors import ServiceUnavailable

BUSY_TIMEOUT_MS = 5000
_MAX_KEY = "\U0010ffff"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kvstore (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
)
"""

_RANGE_INCLUSIVE = (
    "SELECT key, value FROM kvstore WHERE namespace = ? AND key >= ? AND key <= ? "
    "AND (expires_at IS NULL OR expires_at > ?) ORDER BY key"
)
_RANGE_EXCLUSIVE = (
    "SELECT key, value FROM kvstore WHERE namespace = ? AND key >= ? AND key < ? "
    "AND (expires_at IS NULL OR expires_at > ?) ORDER BY key"
)

_INCR = """
INSERT INTO kvstore (namespace, key, value, expires_at) VALUES (?, ?, '1', ?)
ON CONFLICT (namespace, key) DO UPDATE SET
    value = CASE WHEN kvstore.expires_at IS NOT NULL AND kvstore.expires_at <= ?
                 THEN '1' ELSE CAST(CAST(kvstore.value AS INTEGER) + 1 AS TEXT) END,
    expires_at = CASE WHEN kvstore.expires_at IS NULL OR kvstore.expires_at <= ?
                      THEN excluded.expires_at ELSE kvstore.expires_at END
RETURNING value, expires_at
"""


def sqlite_path(db_path: str) -> Path:
    """Expand `~` and create the parent folder."""
    path = Path(db_path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class SqliteKVBackend:
    """One SQLite file holding every namespace of one ``kv_sqlite`` backend."""

    def __init__(self, name: str, db_path: str) -> None:
        self.name = name
        self.db_path = db_path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str:
        """Where the data lives, for error messages."""
        return str(Path(self.db_path).expanduser())

    async def open(self) -> None:
        """Open the file, switch to WAL and create the table."""
        conn = await aiosqlite.connect(sqlite_path(self.db_path), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute(_SCHEMA)
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def store(self, namespace: str | None) -> SqliteKVStore:
        """A store for one namespace."""
        return SqliteKVStore(self, namespace or "")

    async def run(self, sql: str, params: tuple[Any, ...], *, write: bool) -> list[Any]:
        """Execute one statement and return its rows; failures become 503s."""
        if self._conn is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        try:
            async with self._lock:
                cursor = await self._conn.execute(sql, params)
                rows = list(await cursor.fetchall())
                await cursor.close()
                if write:
                    await self._conn.commit()
                return rows
        except sqlite3.Error as exc:
            raise ServiceUnavailable(
                f"storage backend {self.name!r} ({self.address}) failed: {exc}"
            ) from exc


class SqliteKVStore:
    """One namespace of a `SqliteKVBackend`."""

    def __init__(self, backend: SqliteKVBackend, namespace: str) -> None:
        self._b = backend
        self._ns = namespace

    async def get(self, key: str) -> str | None:
        """The live value or None."""
        rows = await self._b.run(
            "SELECT value FROM kvstore WHERE namespace = ? AND key = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (self._ns, key, time.time()),
            write=False,
        )
        return str(rows[0][0]) if rows else None

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        """Insert or replace."""
        expires_at = time.time() + expires_in if expires_in is not None else None
        await self._b.run(
            "INSERT INTO kvstore (namespace, key, value, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
            "expires_at = excluded.expires_at",
            (self._ns, key, value, expires_at),
            write=True,
        )

    async def delete(self, key: str) -> None:
        """Remove the key."""
        await self._b.run(
            "DELETE FROM kvstore WHERE namespace = ? AND key = ?", (self._ns, key), write=True
        )

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Live pairs whose key starts with `prefix`."""
        return await self._range(prefix, prefix + _MAX_KEY, inclusive_end=False)

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """Live pairs with start <= key <= end."""
        return await self._range(start, end, inclusive_end=True)

    async def _range(self, start: str, end: str, *, inclusive_end: bool) -> list[tuple[str, str]]:
        now = time.time()
        sql = _RANGE_INCLUSIVE if inclusive_end else _RANGE_EXCLUSIVE
        rows = await self._b.run(sql, (self._ns, start, end, now), write=False)
        await self._purge_expired(now)
        return [(str(k), str(v)) for k, v in rows]

    async def _purge_expired(self, now: float) -> None:
        await self._b.run(
            "DELETE FROM kvstore WHERE namespace = ? AND expires_at <= ?",
            (self._ns, now),
            write=True,
        )

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomic fixed-window counter."""
        now = time.time()
        rows = await self._b.run(_INCR, (self._ns, key, now + expires_in, now, now), write=True)
        value, expires_at = rows[0]
        return int(value), max(0.0, float(expires_at) - now)
