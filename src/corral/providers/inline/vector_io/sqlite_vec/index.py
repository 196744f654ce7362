"""`SqliteVecIndex`: chunks, vectors (sqlite-vec ``vec0``) and an FTS5 index in one SQLite file.

Python's built-in ``sqlite3`` here cannot load extensions, so the connection is
opened with ``sqlean.py`` (a drop-in sqlite3 with extension loading) and the
``sqlite-vec`` extension is loaded into it. Each vector store gets three tables
named by an integer tag from the ``vec_stores`` table (``chunks_<n>``,
``vec_<n>`` with a cosine ``float[dim]`` column and ``file_id`` metadata for
filtered KNN, ``fts_<n>``); table names are built only from that integer.
All work happens on one dedicated thread that owns the connection.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlean
import sqlite_vec

from corral.apis.vector_io.api import ChunkHit, IndexedChunk
from corral.errors import ServiceUnavailable
from corral.storage.sqlite_wal import enable_wal

T = TypeVar("T")

_REGISTRY = (
    "CREATE TABLE IF NOT EXISTS vec_stores (tag INTEGER PRIMARY KEY AUTOINCREMENT, "
    "store_id TEXT UNIQUE NOT NULL, dimension INTEGER NOT NULL)"
)
_CREATE = (
    "CREATE TABLE IF NOT EXISTS chunks_{n} (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, "
    "file_id TEXT NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS chunks_{n}_file ON chunks_{n} (file_id, position)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS vec_{n} USING vec0("
    "embedding float[{dim}] distance_metric=cosine, file_id text)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS fts_{n} USING fts5(text)",
)
_DROP = ("DROP TABLE IF EXISTS vec_{n}", "DROP TABLE IF EXISTS fts_{n}",
         "DROP TABLE IF EXISTS chunks_{n}")  # fmt: skip
_ALLOWED = " AND file_id IN (SELECT value FROM json_each(?))"
_KNN = (
    "SELECT c.chunk_id, c.file_id, c.position, c.text, v.distance FROM (SELECT rowid, distance "
    "FROM vec_{n} WHERE embedding MATCH ? AND k = ?{allowed}) v "
    "JOIN chunks_{n} c ON c.rowid = v.rowid ORDER BY v.distance"
)
_KEYWORD = (
    "SELECT c.chunk_id, c.file_id, c.position, c.text, -bm25(fts_{n}) FROM fts_{n} "
    "JOIN chunks_{n} c ON c.rowid = fts_{n}.rowid WHERE fts_{n} MATCH ?{allowed} "
    "ORDER BY bm25(fts_{n}) LIMIT ?"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _sql(template: str, tag: int, **parts: str | int) -> str:
    """A statement for one store's tables; only integers and fixed fragments are spliced in."""
    return template.format(n=int(tag), **parts)


def fts_query(text: str) -> str | None:
    """An FTS5 query matching any word of `text` (each quoted), or None without words."""
    words = _WORD.findall(text.lower())
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words)) or None


class SqliteVecIndex:
    """A `VectorIndex` on sqlite-vec + FTS5."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(db_path).expanduser()
        self._conn: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._tags: dict[str, int] = {}

    async def open(self) -> None:
        """Open the file on the index thread, load sqlite-vec, read the store registry."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-vec")
        await self._run(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlean.connect(str(self.path), isolation_level=None, check_same_thread=False)
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.enable_load_extension(False)
        conn.execute("PRAGMA busy_timeout = 5000")
        enable_wal(conn.execute)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(_REGISTRY)
        self._tags = {s: t for t, s in conn.execute("SELECT tag, store_id FROM vec_stores")}
        self._conn = conn

    async def _run(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise ServiceUnavailable("the sqlite-vec index is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _tag(self, store_id: str) -> int:
        tag = self._tags.get(store_id)
        if tag is None:
            raise ServiceUnavailable(f"vector store {store_id!r} has no sqlite-vec tables")
        return tag

    async def close(self) -> None:
        """Close the connection and its thread."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._run(conn.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def create_store(self, store_id: str, dimension: int) -> None:
        """Create the store's three tables (idempotent)."""

        def work() -> None:
            conn = self._conn
            conn.execute(
                "INSERT OR IGNORE INTO vec_stores (store_id, dimension) VALUES (?, ?)",
                (store_id, int(dimension)),
            )
            tag = conn.execute(
                "SELECT tag FROM vec_stores WHERE store_id = ?", (store_id,)
            ).fetchone()[0]
            for template in _CREATE:
                conn.execute(_sql(template, tag, dim=int(dimension)))
            self._tags[store_id] = tag

        await self._run(work)

    async def drop_store(self, store_id: str) -> None:
        """Drop the store's tables."""
        tag = self._tags.pop(store_id, None)
        if tag is None:
            return

        def work() -> None:
            for template in _DROP:
                self._conn.execute(_sql(template, tag))
            self._conn.execute("DELETE FROM vec_stores WHERE tag = ?", (tag,))

        await self._run(work)

    async def add_chunks(self, store_id: str, chunks: Sequence[IndexedChunk]) -> None:
        """Insert chunks, vectors and full-text rows in one transaction."""
        tag = self._tag(store_id)

        def work() -> None:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                for chunk in chunks:
                    cursor = conn.execute(
                        _sql("INSERT INTO chunks_{n} (chunk_id, file_id, position, text) "
                             "VALUES (?, ?, ?, ?)", tag),
                        (chunk.chunk_id, chunk.file_id, chunk.position, chunk.text),
                    )  # fmt: skip
                    rowid = cursor.lastrowid
                    vector = sqlite_vec.serialize_float32(list(chunk.embedding))
                    conn.execute(
                        _sql(
                            "INSERT INTO vec_{n} (rowid, embedding, file_id) VALUES (?, ?, ?)", tag
                        ),
                        (rowid, vector, chunk.file_id),
                    )
                    conn.execute(
                        _sql("INSERT INTO fts_{n} (rowid, text) VALUES (?, ?)", tag),
                        (rowid, chunk.text),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        await self._run(work)

    async def delete_file(self, store_id: str, file_id: str) -> None:
        """Remove one file's rows from the three tables."""
        tag = self._tags.get(store_id)
        if tag is None:
            return

        def work() -> None:
            conn = self._conn
            conn.execute("BEGIN")
            conn.execute(_sql("DELETE FROM vec_{n} WHERE file_id = ?", tag), (file_id,))
            conn.execute(
                _sql("DELETE FROM fts_{n} WHERE rowid IN "
                     "(SELECT rowid FROM chunks_{n} WHERE file_id = ?)", tag),
                (file_id,),
            )  # fmt: skip
            conn.execute(_sql("DELETE FROM chunks_{n} WHERE file_id = ?", tag), (file_id,))
            conn.execute("COMMIT")

        await self._run(work)

    async def file_chunks(self, store_id: str, file_id: str) -> list[str]:
        """One file's chunk texts in order."""
        tag = self._tag(store_id)
        statement = _sql("SELECT text FROM chunks_{n} WHERE file_id = ? ORDER BY position", tag)
        rows = await self._run(lambda: self._conn.execute(statement, (file_id,)).fetchall())
        return [r[0] for r in rows]

    async def query_vector(
        self, store_id: str, embedding: Sequence[float], k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """Exact KNN by cosine distance (vec0), restricted to `file_ids` when given."""
        tag = self._tag(store_id)
        statement = _sql(_KNN, tag, allowed=_ALLOWED if file_ids is not None else "")
        params: list[Any] = [sqlite_vec.serialize_float32(list(embedding)), int(k)]
        if file_ids is not None:
            params.append(json.dumps(sorted(file_ids)))
        rows = await self._run(lambda: self._conn.execute(statement, params).fetchall())
        return [ChunkHit(r[0], r[1], r[2], r[3], 1.0 - float(r[4])) for r in rows]

    async def query_keyword(
        self, store_id: str, text: str, k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """FTS5 BM25 ranking of chunks containing any word of `text`."""
        tag = self._tag(store_id)
        match = fts_query(text)
        if match is None:
            return []
        allowed = " AND c.file_id IN (SELECT value FROM json_each(?))"
        statement = _sql(_KEYWORD, tag, allowed=allowed if file_ids is not None else "")
        params: list[Any] = [match]
        if file_ids is not None:
            params.append(json.dumps(sorted(file_ids)))
        params.append(int(k))
        rows = await self._run(lambda: self._conn.execute(statement, params).fetchall())
        return [ChunkHit(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]
