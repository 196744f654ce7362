"""Key-value store in one SQLite file.

One connection per backend (WAL mode, bounded busy timeout) shared by every
namespace on it; namespaces are a column of the primary key, so a prefix or
range query can never reach another namespace's keys. The counter increment is
a single ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, atomic
across processes because SQLite serialises writers.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from corral.errors import ServiceUnavailable
from corral.storage.counters import CoalescingCounter, Counted, Increment
from corral.storage.sqlite_wal import enable_wal
from corral.storage.worker_thread import WorkerThread

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")
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

# Adds excluded.value (the batch's count, see storage/counters.py) in one atomic statement.
_INCR = """
INSERT INTO kvstore (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (namespace, key) DO UPDATE SET
    value = CASE WHEN kvstore.expires_at IS NOT NULL AND kvstore.expires_at <= ?
                 THEN excluded.value
                 ELSE CAST(CAST(kvstore.value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)
            END,
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
    """One SQLite file holding every namespace of one ``kv_sqlite`` backend.

    The connection lives on one dedicated thread; each operation is a single
    hop to it (statement, fetch and autocommit together), which keeps a counter
    increment around a tenth of a millisecond.
    """

    def __init__(self, name: str, db_path: str) -> None:
        self.name = name
        self.db_path = db_path
        self._conn: sqlite3.Connection | None = None
        self._thread: WorkerThread | None = None
        self._pending: list[tuple[str, tuple[Any, ...], asyncio.Future[list[Any]]]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        """Where the data lives, for error messages."""
        return str(Path(self.db_path).expanduser())

    async def open(self) -> None:
        """Open the file, switch to WAL and create the table."""
        self._thread = WorkerThread(f"kv-{self.name}")
        try:
            self._conn = await self._in_thread(self._connect)
        except BaseException:
            thread, self._thread = self._thread, None
            await thread.stop()
            raise

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            sqlite_path(self.db_path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit: every statement is its own transaction
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            enable_wal(conn.execute)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        assert self._thread is not None
        return await self._thread.run(fn)

    async def close(self) -> None:
        """Finish queued statements, then close the connection and its thread."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._in_thread(conn.close)
        if self._thread is not None:
            thread, self._thread = self._thread, None
            await thread.stop()

    def store(self, namespace: str | None) -> SqliteKVStore:
        """A store for one namespace."""
        return SqliteKVStore(self, namespace or "")

    async def run(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Execute one statement and return its rows; failures become 503s.

        Statements that arrive while the connection thread is busy are sent
        together in its next hop, so under load the per-hop cost is shared.
        """
        if self._conn is None or self._thread is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        if not self._flushing:
            return await self._run_alone(sql, params)
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((sql, params, future))
        return await future

    async def run_all(self, ops: list[tuple[str, tuple[Any, ...]]]) -> list[list[Any]]:
        """Execute several statements in one hop; any failure becomes a 503."""
        if self._conn is None or self._thread is None:
            raise ServiceUnavailable(f"storage backend {self.name!r} is closed")
        results = await self._in_thread(functools.partial(self._execute_all, ops))
        for result in results:
            if isinstance(result, BaseException):
                raise self._unavailable(result)
        return results

    async def _run_alone(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """The idle case: one hop for one statement; what queues meanwhile follows as a batch."""
        self._flushing = True
        try:
            (result,) = await self._in_thread(functools.partial(self._execute_all, [(sql, params)]))
        finally:
            if self._pending:
                self._flusher = asyncio.get_running_loop().create_task(self._flush())
            else:
                self._flushing = False
        if isinstance(result, BaseException):
            raise self._unavailable(result)
        return result  # type: ignore[no-any-return]

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                ops = [(sql, params) for sql, params, _ in batch]
                try:
                    results = await self._in_thread(functools.partial(self._execute_all, ops))
                except Exception as exc:  # the executor itself failed (closed)
                    results = [exc] * len(batch)
                for (_, _, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(self._unavailable(result))
                    else:
                        future.set_result(result)
        finally:
            self._flushing = False

    def _execute_all(self, ops: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        conn = self._conn
        out: list[Any] = []
        for sql, params in ops:
            try:
                if conn is None:
                    raise sqlite3.ProgrammingError("the connection is closed")
                out.append(conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                out.append(exc)
        return out

    def _unavailable(self, exc: BaseException) -> ServiceUnavailable:
        return ServiceUnavailable(f"storage backend {self.name!r} ({self.address}) failed: {exc}")


class SqliteKVStore:
    """One namespace of a `SqliteKVBackend`."""

    def __init__(self, backend: SqliteKVBackend, namespace: str) -> None:
        self._b = backend
        self._ns = namespace
        self._counter = CoalescingCounter(self._add_many)

    async def get(self, key: str) -> str | None:
        """The live value or None."""
        rows = await self._b.run(
            "SELECT value FROM kvstore WHERE namespace = ? AND key = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (self._ns, key, time.time()),
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
        )

    async def delete(self, key: str) -> None:
        """Remove the key."""
        await self._b.run("DELETE FROM kvstore WHERE namespace = ? AND key = ?", (self._ns, key))

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Live pairs whose key starts with `prefix`."""
        return await self._range(prefix, prefix + _MAX_KEY, inclusive_end=False)

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """Live pairs with start <= key <= end."""
        return await self._range(start, end, inclusive_end=True)

    async def _range(self, start: str, end: str, *, inclusive_end: bool) -> list[tuple[str, str]]:
        now = time.time()
        sql = _RANGE_INCLUSIVE if inclusive_end else _RANGE_EXCLUSIVE
        rows = await self._b.run(sql, (self._ns, start, end, now))
        await self._purge_expired(now)
        return [(str(k), str(v)) for k, v in rows]

    async def _purge_expired(self, now: float) -> None:
        await self._b.run(
            "DELETE FROM kvstore WHERE namespace = ? AND expires_at <= ?", (self._ns, now)
        )

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomic fixed-window counter (concurrent callers share one hop, see counters.py)."""
        return await self._counter.incr(key, expires_in)

    async def _add_many(self, items: Sequence[Increment]) -> list[Counted]:
        now = time.time()
        ops = [(_INCR, (self._ns, key, str(n), now + exp, now, now)) for key, n, exp in items]
        out = []
        for rows in await self._b.run_all(ops):
            value, expires_at = rows[0]
            out.append((int(value), max(0.0, float(expires_at) - now)))
        return out
