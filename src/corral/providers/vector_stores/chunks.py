"""Chunk-level insert and query (Llama Stack's ``/v1/vector-io`` routes) over a store's index.

Inserted chunks come with their embeddings: each is normalised and indexed as
a chunk of a pseudo-file named after its document (``vector-io:<document_id>``),
and the chunk as sent (content, metadata, embedding) is kept in the provider's
KV store so a query returns it unchanged. A query embeds its text with the
store's model and answers chunks with scores, best first; chunks of attached
files come back too, described by their file.
"""

from __future__ import annotations

import math
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.storage import KVStore
from corral.apis.vector_io.api import ChunkHit, IndexedChunk, VectorIndex
from corral.apis.vector_io.chunks import (
    EmbeddedChunk,
    InsertChunksRequest,
    QueryChunksRequest,
    QueryChunksResponse,
    content_text,
)
from corral.errors import InvalidParameter
from corral.providers.vector_stores.filters import compile_filter
from corral.providers.vector_stores.ingest import Embedder, normalise
from corral.providers.vector_stores.state import StoreRecord

PREFIX = "vector-io:"
#: Candidates fetched per wanted chunk when a filter may drop some.
FILTER_FETCH = 10
_KEY = "chunk:"


class ChunkRoutes:
    """Insert and query for the stores of one provider."""

    def __init__(self, index: VectorIndex, kv: KVStore, embedder: Embedder) -> None:
        self._index = index
        self._kv = kv
        self._embedder = embedder

    async def insert(self, store: StoreRecord, request: InsertChunksRequest) -> None:
        """Index the chunks (a chunk id inserted again replaces the earlier one)."""
        indexed = []
        for position, chunk in enumerate(request.chunks):
            vector = [float(x) for x in chunk.embedding]
            if len(vector) != store.embedding_dimension or not all(map(math.isfinite, vector)):
                raise InvalidParameter(
                    f"chunks[{position}].embedding",
                    f"needs {store.embedding_dimension} finite numbers (the store's dimension)",
                )
            document = chunk.metadata.get("document_id") or chunk.chunk_metadata.document_id
            file_id = PREFIX + str(document or "chunks")
            text = content_text(chunk.content)
            indexed.append(
                IndexedChunk(_id(chunk.chunk_id), file_id, position, text, normalise(vector))
            )
            await self._kv.set(_key(store.id, chunk.chunk_id), chunk.model_dump_json())
        await self._index.add_chunks(store.id, indexed)

    async def query(
        self, store: StoreRecord, request: QueryChunksRequest, ctx: RequestContext
    ) -> QueryChunksResponse:
        """The store's best chunks for the query text."""
        params = request.params or {}
        k = _int(params, "max_chunks", 3)
        # corral's vector scores are cosines (-1..1): only a threshold the client sets applies
        threshold = params.get("score_threshold")
        filters = params.get("filters")
        predicate = compile_filter(filters, "params.filters") if filters else None
        text = content_text(request.query)
        if not text.strip():
            raise InvalidParameter("query", "a non-empty text is required")
        fetch = k * FILTER_FETCH if predicate is not None else k
        if (params.get("mode") or "vector") == "keyword":
            hits = await self._index.query_keyword(store.id, text, fetch, None)
        else:
            [vector] = await self._embedder.embed(
                store.embedding_model, [text], store.embedding_dimension, ctx
            )
            hits = await self._index.query_vector(store.id, vector, fetch, None)
        chunks, scores = [], []
        for hit in hits:
            if threshold is not None and hit.score < float(threshold):
                continue
            chunk = await self._chunk(store, hit)
            if predicate is not None and not predicate(_attributes(chunk)):
                continue
            chunks.append(chunk)
            scores.append(hit.score)
            if len(chunks) == k:
                break
        return QueryChunksResponse(chunks=chunks, scores=scores)

    async def _chunk(self, store: StoreRecord, hit: ChunkHit) -> EmbeddedChunk:
        if hit.file_id.startswith(PREFIX):
            raw = await self._kv.get(_key(store.id, hit.chunk_id.removeprefix("ins:")))
            if raw is not None:
                return EmbeddedChunk.model_validate_json(raw)
        return EmbeddedChunk(  # a chunk of an attached file
            content=hit.text,
            chunk_id=hit.chunk_id,
            metadata={"document_id": hit.file_id, "file_id": hit.file_id},
            embedding_model=store.embedding_model,
            embedding_dimension=store.embedding_dimension,
        )

    async def drop(self, store_id: str) -> None:
        """Forget the store's inserted chunks."""
        for key, _ in await self._kv.items_with_prefix(f"{_KEY}{store_id}:"):
            await self._kv.delete(key)


def _attributes(chunk: EmbeddedChunk) -> dict[str, Any]:
    """What a filter sees: the chunk's metadata (scalar values only)."""
    return {k: v for k, v in chunk.metadata.items() if isinstance(v, str | int | float | bool)}


def _id(chunk_id: str) -> str:
    return f"ins:{chunk_id}"


def _key(store_id: str, chunk_id: str) -> str:
    return f"{_KEY}{store_id}:{chunk_id}"


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or not 1 <= value <= 1000:
        raise InvalidParameter(f"params.{name}", "must be an integer from 1 to 1000")
    return value
