"""What a vector_io provider implements, in two layers.

`VectorIndex` is the storage-specific part every backend writes (sqlite-vec,
faiss, pgvector): per-store tables of chunks with their normalised embeddings,
nearest-neighbour and keyword queries. `VectorIOProvider` is the
OpenAI-compatible vector stores API the router calls; the built-in providers
all get it by composing the shared `corral.providers.vector_stores.VectorStores`
with their index, and a plugin may do the same or implement it itself.

Access checks happen in the router (vector stores are registry resources);
providers trust the store ids they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from corral.apis.context import RequestContext
from corral.apis.vector_io.chunks import (
    InsertChunksRequest,
    QueryChunksRequest,
    QueryChunksResponse,
)
from corral.apis.vector_io.models import (
    AttachFileRequest,
    Attributes,
    CreateFileBatchRequest,
    CreateVectorStoreRequest,
    FileBatchObject,
    FileContentPage,
    SearchRequest,
    SearchResultsPage,
    UpdateVectorStoreRequest,
    VectorStoreFileDeleted,
    VectorStoreFileObject,
    VectorStoreList,
    VectorStoreObject,
)


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk to store: its text and its unit-length embedding."""

    chunk_id: str
    file_id: str
    position: int
    text: str
    embedding: Sequence[float]


@dataclass(frozen=True)
class ChunkHit:
    """A chunk a query found, with the backend's score (higher is better)."""

    chunk_id: str
    file_id: str
    position: int
    text: str
    score: float


class VectorIndex(Protocol):
    """Chunk storage of one provider, partitioned by vector store id.

    Vector scores are cosine similarities (embeddings arrive normalised);
    keyword scores are the backend's full-text relevance, any positive scale.
    `file_ids`, when given, restricts a query to chunks of those files.
    """

    async def create_store(self, store_id: str, dimension: int) -> None:
        """Create the store's tables/index (no-op when it exists)."""
        ...

    async def drop_store(self, store_id: str) -> None:
        """Remove the store and every chunk in it."""
        ...

    async def add_chunks(self, store_id: str, chunks: Sequence[IndexedChunk]) -> None:
        """Store chunks (one file's, usually) durably."""
        ...

    async def delete_file(self, store_id: str, file_id: str) -> None:
        """Remove every chunk of one file."""
        ...

    async def file_chunks(self, store_id: str, file_id: str) -> list[str]:
        """One file's chunk texts in order."""
        ...

    async def query_vector(
        self, store_id: str, embedding: Sequence[float], k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """The `k` nearest chunks by cosine similarity."""
        ...

    async def query_keyword(
        self, store_id: str, text: str, k: int, file_ids: frozenset[str] | None
    ) -> list[ChunkHit]:
        """The `k` best full-text matches of `text` (any word may match)."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


@dataclass(frozen=True)
class EmbeddingSpec:
    """The embedding model of a store, validated by the router at creation."""

    model: str
    dimension: int


@runtime_checkable
class VectorIOProvider(Protocol):
    """The OpenAI vector stores API, for stores the router has already resolved."""

    async def create_vector_store(
        self,
        store_id: str,
        request: CreateVectorStoreRequest,
        embedding: EmbeddingSpec,
        ctx: RequestContext,
    ) -> VectorStoreObject:
        """Create a store (and attach `request.file_ids`)."""
        ...

    async def has_vector_store(self, store_id: str) -> bool:
        """True when the provider holds the store."""
        ...

    async def get_vector_store(self, store_id: str) -> VectorStoreObject:
        """The store object."""
        ...

    async def update_vector_store(
        self, store_id: str, request: UpdateVectorStoreRequest
    ) -> VectorStoreObject:
        """Change name, expiry or metadata."""
        ...

    async def delete_vector_store(self, store_id: str) -> None:
        """Delete the store with its files and chunks."""
        ...

    async def attach_file(
        self, store_id: str, request: AttachFileRequest, ctx: RequestContext
    ) -> VectorStoreFileObject:
        """Attach an uploaded file; it is indexed in the background (status ``in_progress``)."""
        ...

    async def list_files(
        self,
        store_id: str,
        *,
        limit: int,
        order: str,
        after: str | None,
        before: str | None,
        status: str | None,
        batch_id: str | None = None,
    ) -> VectorStoreList:
        """A page of the store's files (or of one batch's)."""
        ...

    async def get_file(self, store_id: str, file_id: str) -> VectorStoreFileObject:
        """One attached file."""
        ...

    async def update_file(
        self, store_id: str, file_id: str, attributes: Attributes
    ) -> VectorStoreFileObject:
        """Replace a file's attributes."""
        ...

    async def delete_file(self, store_id: str, file_id: str) -> VectorStoreFileDeleted:
        """Detach a file and remove its chunks (the uploaded file stays)."""
        ...

    async def file_content(self, store_id: str, file_id: str) -> FileContentPage:
        """The file's chunks as text."""
        ...

    async def create_file_batch(
        self, store_id: str, request: CreateFileBatchRequest, ctx: RequestContext
    ) -> FileBatchObject:
        """Attach several files at once."""
        ...

    async def get_file_batch(self, store_id: str, batch_id: str) -> FileBatchObject:
        """A batch with its current counts."""
        ...

    async def cancel_file_batch(self, store_id: str, batch_id: str) -> FileBatchObject:
        """Stop indexing a batch's files that are still in progress."""
        ...

    async def search(
        self, store_id: str, request: SearchRequest, ctx: RequestContext
    ) -> SearchResultsPage:
        """Vector, keyword or hybrid search with attribute filters."""
        ...

    async def insert_chunks(self, store_id: str, request: InsertChunksRequest) -> None:
        """Index pre-embedded chunks (``POST /v1/vector-io/insert``)."""
        ...

    async def query_chunks(
        self, store_id: str, request: QueryChunksRequest, ctx: RequestContext
    ) -> QueryChunksResponse:
        """Chunks and scores for a query (``POST /v1/vector-io/query``)."""
        ...

    async def shutdown(self) -> None:
        """Stop background work and release the index."""
        ...
