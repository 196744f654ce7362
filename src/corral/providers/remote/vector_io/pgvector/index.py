"""`PGVectorIndex`: chunks of every store in one PostgreSQL table with a pgvector column.

``CREATE EXTENSION IF NOT EXISTS vector`` and the tables are created at startup
under an advisory lock (replicas start together). The ``embedding`` column is
an untyped ``vector`` so stores of different dimensions share the table;
search is exact (``ORDER BY embedding <=> $q``). Keyword search uses a
generated ``tsvector`` column with a GIN index. Every value is a bind
parameter; the text search configuration comes from validated config
(a ``[a-z_]+`` pattern) and is passed as a ``regconfig`` parameter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from corral.apis.storage import KVStore
from corral.apis.vector_io.api import ChunkHit, IndexedChunk
from corral.errors import ServiceUnavailable

CHUNKS = "corral_vector_chunks"
_SCHEMA = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE TABLE IF NOT EXISTS corral_vector_chunks (store_id TEXT NOT NULL, "
    "chunk_id TEXT NOT NULL, file_id TEXT NOT NULL, position INTEGER NOT NULL, "
    "text TEXT NOT NULL, embedding vector NOT NULL, tsv tsvector NOT NULL, "
    "PRIMARY KEY (store_id, chunk_id))",
    "CREATE INDEX IF NOT EXISTS corral_vector_chunks_file "
    "ON corral_vector_chunks (store_id, file_id)",
    "CREATE INDEX IF NOT EXISTS corral_vector_chunks_tsv ON corral_vector_chunks USING GIN (tsv)",
)
_INSERT = (
    "INSERT INTO corral_vector_chunks (store_id, chunk_id, file_id, position, text, embedding, "
    "tsv) VALUES ($1, $2, $3, $4, $5, $6::vector, to_tsvector($7::regconfig, $5)) "
    "ON CONFLICT (store_id, chunk_id) DO UPDATE SET text = EXCLUDED.text, "
    "embedding = EXCLUDED.embedding, tsv = EXCLUDED.tsv, position = EXCLUDED.position"
)
_KNN = (
    "SELECT chunk_id, file_id, position, text, 1 - (embedding <=> $2::vector) AS score "
    "FROM corral_vector_chunks WHERE store_id = $1 "
    "AND ($4::text[] IS NULL OR file_id = ANY($4::text[])) "
    "ORDER BY embedding <=> $2::vector LIMIT $3"
)
_KEYWORD = (
    "SELECT chunk_id, file_id, position, text, ts_rank(tsv, q) AS score "
    "FROM corral_vector_chunks, to_tsquery($5::regconfig, $2) q "
    "WHERE store_id = $1 AND tsv @@ q AND ($4::text[] IS NULL OR file_id = ANY($4::text[])) "
    "ORDER BY score DESC, chunk_id LIMIT $3"
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def tsquery(text: str) -> str | None:
    """A tsquery matching any word of `text`, or None without words."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(text))
    return " | ".join(words) or None


def _vector(values: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _hits(rows: list[Any]) -> list[ChunkHit]:
    return [
        ChunkHit(r["chunk_id"], r["file_id"], int(r["position"]), r["text"], float(r["score"]))
        for r in rows
    ]


class PGVectorIndex:
    """A `VectorIndex` on PostgreSQL + pgvector, through one asyncpg pool."""

    def __init__(self, dsn: dict[str, Any], pool_size: int, text_config: str) -> None:
        self._dsn = dsn
        self._pool_size = pool_size
        self._text_config = text_config
        self._pool: Any = None
        self._kv_backend: Any = None
        self.address = f"{dsn['host']}:{dsn['port']}/{dsn['database']}"

    async def open(self) -> None:
        """Create the pool, the extension and the table."""
        import asyncpg

        try:
            self._pool = await asyncpg.create_pool(
                min_size=1, max_size=self._pool_size, command_timeout=60, timeout=10, **self._dsn
            )
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", CHUNKS)
                for statement in _SCHEMA:
                    await conn.execute(statement)
        except (OSError, asyncpg.PostgresError) as exc:
            await self.close()
            raise ServiceUnavailable(
                f"pgvector at {self.address} cannot be used: {exc} (is the pgvector extension "
                "installed? scripts/install-pgvector installs it)"
            ) from exc

    async def open_kv(self, namespace: str) -> KVStore:
        """A KV store for the provider's records in a table of the same database."""
        from corral.storage.kv_postgres import PostgresKVBackend

        self._kv_backend = PostgresKVBackend(
            "pgvector", dsn=self._dsn, table="corral_vector_kv", pool_size=2
        )
        await self._kv_backend.open()
        store: KVStore = self._kv_backend.store(namespace)
        return store

    async def close(self) -> None:
        """Close the pools."""
        if self._kv_backend is not None:
            await self._kv_backend.close()
            self._kv_backend = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        import asyncpg

        if self._pool is None:
            raise ServiceUnavailable("the pgvector index is closed")
        try:
            return list(await self._pool.fetch(sql, *args))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise ServiceUnavailable(f"pgvector at {self.address} is unavailable: {exc}") from exc

    async def create_store(self, store_id: str, dimension: int) -> None:
        """Nothing to create: every store shares the chunks table."""

    async def drop_store(self, store_id: str) -> None:
        """Delete the store's chunks."""
        await self._fetch("DELETE FROM corral_vector_chunks WHERE store_id = $1", store_id)

    async def add_chunks(self, store_id: str, chunks: Sequence[IndexedChunk]) -> None:
        """Insert the chunks in one transaction."""
        rows = [
            (store_id, c.chunk_id, c.file_id, c.position, c.text, _vector(c.embedding),
             self._text_config)
            for c in chunks
        ]  # fmt: skip
        if self._pool is None:
            raise ServiceUnavailable("the pgvector index is closed")
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(_INSERT, rows)

    async def delete_file(self, store_id: str, file_id: str) -> None:
        """Delete one file's chunks."""
        await self._fetch(
            "DELETE FROM corral_vector_chunks WHERE store_id = $1 AND file_id = $2",
            store_id,
            file_id,
        )

    async def file_chunks(self, store_id: str, file_id: str) -> list[str]:
        """One file's chunk texts in order."""
        rows = await self._fetch(
            "SELECT text FROM corral_vector_chunks WHERE store_id = $1 AND file_id = $2 "
            "ORDER BY position",
            store_id,
            file_id,
        )
        return [r["text"] for r in rows]

    async def query_vector(
        self, store_id: str, embedding: Sequence[float], k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """Exact cosine KNN."""
        allowed = sorted(file_ids) if file_ids is not None else None
        return _hits(await self._fetch(_KNN, store_id, _vector(embedding), k, allowed))

    async def query_keyword(
        self, store_id: str, text: str, k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """Full-text search ranked by ``ts_rank`` (any word matches)."""
        query = tsquery(text)
        if query is None:
            return []
        allowed = sorted(file_ids) if file_ids is not None else None
        rows = await self._fetch(_KEYWORD, store_id, query, k, allowed, self._text_config)
        return _hits(rows)
