"""`VectorStores`: the OpenAI vector stores API of one provider, over its `VectorIndex`.

Owns the store/file/batch records (`StateStore`), starts background ingestion
(`Ingestor`) and answers searches. It trusts the store ids the router gives it
(access checks and id generation are the router's); everything it raises is a
`CorralError`, so a bad request is a clear 4xx.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.apis.storage import KVStore
from corral.apis.vector_io.api import EmbeddingSpec, VectorIndex
from corral.apis.vector_io.chunks import (
    InsertChunksRequest,
    QueryChunksRequest,
    QueryChunksResponse,
)
from corral.apis.vector_io.models import (
    AttachFileRequest,
    Attributes,
    BatchFileEntry,
    ChunkingStrategyContextual,
    ContentItem,
    ContextualChunking,
    CreateFileBatchRequest,
    CreateVectorStoreRequest,
    FileBatchObject,
    FileContentPage,
    LastError,
    SearchRequest,
    SearchResult,
    SearchResultsPage,
    StaticChunking,
    UpdateVectorStoreRequest,
    VectorStoreFileDeleted,
    VectorStoreFileObject,
    VectorStoreList,
    VectorStoreObject,
    resolved_chunking,
)
from corral.apis.vector_io.paging import paginate
from corral.apis.vector_io.settings import VectorStoreSettings
from corral.errors import Conflict, InvalidParameter, InvalidRequest, NotFound
from corral.providers.vector_stores.chunks import ChunkRoutes
from corral.providers.vector_stores.filters import compile_filter
from corral.providers.vector_stores.ingest import Embedder, Ingestor
from corral.providers.vector_stores.search import ranked_hits
from corral.providers.vector_stores.state import (
    BatchRecord,
    FileRecord,
    StateStore,
    StoreRecord,
    counts,
    file_object,
)

if TYPE_CHECKING:
    from corral.core.routers.inference import InferenceRouter

DAY = 86400


class VectorStores:
    """The vector stores of one vector_io provider."""

    def __init__(
        self,
        index: VectorIndex,
        kv: KVStore,
        inference: InferenceRouter,
        files: FilesProvider | None,
        *,
        provider_id: str = "",
        ingest_concurrency: int = 2,
        settings: VectorStoreSettings | None = None,
    ) -> None:
        self.provider_id = provider_id
        self.index = index
        self.state = StateStore(kv)
        self.settings = settings or VectorStoreSettings()
        self._files = files
        self._embedder = Embedder(inference)
        self._ingestor = Ingestor(
            self.state, index, files, self._embedder, ingest_concurrency, self.settings, inference
        )
        self._chunks = ChunkRoutes(index, kv, self._embedder)

    async def start(self) -> None:
        """Load the records and resume files left ``in_progress`` by a previous run."""
        await self.state.load()
        for files in self.state.files.values():
            for record in files.values():
                if record.status == "in_progress":
                    self._ingestor.schedule(record)

    async def shutdown(self) -> None:
        """Stop ingestion, then close the index."""
        await self._ingestor.close()
        await self.index.close()

    # -- stores -------------------------------------------------------------------------

    def _store(self, store_id: str) -> StoreRecord:
        store = self.state.stores.get(store_id)
        if store is None:
            raise NotFound(f"vector store {store_id!r} not found", code="vector_store_not_found")
        return store

    def _object(self, store: StoreRecord) -> VectorStoreObject:
        files = list(self.state.files.get(store.id, {}).values())
        tally = counts(files)
        expires_at = None
        if store.expires_after is not None:
            expires_at = store.last_active_at + store.expires_after.days * DAY
        status = "in_progress" if tally.in_progress else "completed"
        if expires_at is not None and expires_at <= time.time():
            status = "expired"
        return VectorStoreObject(
            id=store.id,
            created_at=store.created_at,
            name=store.name,
            usage_bytes=sum(f.usage_bytes for f in files),
            file_counts=tally,
            status=status,  # type: ignore[arg-type]
            expires_after=store.expires_after,
            expires_at=expires_at,
            last_active_at=store.last_active_at,
            metadata={**store.metadata, **self._facts(store)},
        )

    def _facts(self, store: StoreRecord) -> dict[str, str]:
        """What Llama Stack reports in a store's metadata: its provider and embedding model."""
        return {
            "provider_id": self.provider_id,
            "embedding_model": store.embedding_model,
            "embedding_dimension": str(store.embedding_dimension),
        }

    async def create_vector_store(
        self,
        store_id: str,
        request: CreateVectorStoreRequest,
        embedding: EmbeddingSpec,
        ctx: RequestContext,
    ) -> VectorStoreObject:
        """Create the store, then attach `request.file_ids` (unknown ones become failed files)."""
        if store_id in self.state.stores:
            raise Conflict(f"vector store {store_id!r} already exists")
        if request.file_ids:
            self._require_files()
        now = int(time.time())
        store = StoreRecord(
            id=store_id,
            created_at=now,
            name=request.name or "",
            metadata=request.metadata or {},
            expires_after=request.expires_after,
            last_active_at=now,
            embedding_model=embedding.model,
            embedding_dimension=embedding.dimension,
            chunking=self._chunking(request.chunking_strategy),
            contextual=self._contextual(request.chunking_strategy),
        )
        await self.index.create_store(store_id, embedding.dimension)
        await self.state.put_store(store)
        request_files = [AttachFileRequest(file_id=f) for f in request.file_ids]
        await self._attach_all(store_id, request_files, ctx, None)
        return self._object(store)

    def _chunking(self, strategy: Any) -> StaticChunking:
        """The chunk sizes a strategy stands for; ``auto`` is the run config's ingestion default."""
        default = StaticChunking(
            max_chunk_size_tokens=self.settings.chunk_size_tokens,
            chunk_overlap_tokens=self.settings.chunk_overlap_tokens,
        )
        return resolved_chunking(strategy, default)

    def _contextual(self, strategy: Any) -> ContextualChunking | None:
        """The ``contextual`` strategy's settings, checked to have a model to ask."""
        if not isinstance(strategy, ChunkingStrategyContextual):
            return None
        contextual = strategy.contextual
        if contextual.model_id is None and self.settings.contextual_model is None:
            raise InvalidParameter(
                "chunking_strategy.contextual.model_id",
                "required: vector_stores.contextual_retrieval_params.model is not configured",
            )
        return contextual

    async def has_vector_store(self, store_id: str) -> bool:
        """True when this provider holds the store."""
        return store_id in self.state.stores

    async def get_vector_store(self, store_id: str) -> VectorStoreObject:
        """The store object with current file counts."""
        return self._object(self._store(store_id))

    async def update_vector_store(
        self, store_id: str, request: UpdateVectorStoreRequest
    ) -> VectorStoreObject:
        """Apply the fields the request sets."""
        changes: dict[str, Any] = {"last_active_at": int(time.time())}
        for name in ("name", "expires_after", "metadata"):
            if name in request.model_fields_set:
                changes[name] = getattr(request, name)
        if changes.get("metadata", {}) is None:
            changes["metadata"] = {}
        if "name" in changes and changes["name"] is None:
            del changes["name"]  # `name: null` leaves the name; a None name broke every read
        store = self._store(store_id).model_copy(update=changes)
        await self.state.put_store(store)
        return self._object(store)

    async def delete_vector_store(self, store_id: str) -> None:
        """Stop its ingestion, drop its index and records."""
        self._store(store_id)
        await self._ingestor.cancel(store_id)
        await self.index.drop_store(store_id)
        await self._chunks.drop(store_id)
        await self.state.drop_store(store_id)

    # -- files --------------------------------------------------------------------------

    def _require_files(self) -> FilesProvider:
        if self._files is None:
            raise InvalidRequest(
                "no files provider is configured; add one under providers.files",
                code="no_files_provider",
            )
        return self._files

    async def _filename(
        self, file_id: str, ctx: RequestContext, strict: bool
    ) -> tuple[str, LastError | None]:
        """The uploaded file's name, or why it cannot be attached (it does not exist)."""
        try:
            return (await self._require_files().get_file(file_id, ctx)).filename, None
        except NotFound as exc:
            if strict:
                raise
            return "", LastError(code="invalid_file", message=exc.message)

    async def attach_file(
        self,
        store_id: str,
        request: AttachFileRequest | BatchFileEntry,
        ctx: RequestContext,
        batch_id: str | None = None,
    ) -> VectorStoreFileObject:
        """Index the file in the background; wait a bounded time for it to finish.

        A small file comes back ``completed`` (``vector_stores.attach_wait_seconds``);
        a larger one ``in_progress``, finishing in the background.
        """
        record = await self._attached(store_id, request, ctx, batch_id, strict=batch_id is None)
        task = self._ingestor.tasks.get((store_id, record.id))
        if task is not None and self.settings.attach_wait_seconds > 0:
            await asyncio.wait({task}, timeout=self.settings.attach_wait_seconds)
        return file_object(self.state.file(store_id, record.id) or record)

    async def _attached(
        self,
        store_id: str,
        request: AttachFileRequest | BatchFileEntry,
        ctx: RequestContext,
        batch_id: str | None,
        gate: asyncio.Semaphore | None = None,
        *,
        strict: bool = False,
    ) -> FileRecord:
        """Record the file and schedule its ingestion.

        An unknown file is a 404 when attached alone (`strict`); among the files of a
        new store or batch it is recorded ``failed`` with the reason, as Llama Stack does.
        """
        store = self._store(store_id)
        existing = self.state.file(store_id, request.file_id)
        if existing is not None and existing.status in ("in_progress", "completed"):
            return existing
        self._require_files()
        filename, missing = await self._filename(request.file_id, ctx, strict)
        user = ctx.user
        strategy = request.chunking_strategy
        record = FileRecord(
            id=request.file_id,
            store_id=store_id,
            created_at=int(time.time()),
            filename=filename,
            chunking=self._chunking(strategy) if strategy is not None else store.chunking,
            contextual=self._contextual(strategy) if strategy is not None else store.contextual,
            attributes=request.attributes or {},
            batch_id=batch_id,
            owner_principal=user.principal if user else None,
            owner_attributes=dict(user.attributes) if user else {},
        )
        if missing is not None:
            record = record.model_copy(update={"status": "failed", "last_error": missing})
        await self.state.put_file(record)
        if missing is None:
            self._ingestor.schedule(record, gate)
        return record

    async def _attach_all(
        self,
        store_id: str,
        entries: list[AttachFileRequest] | list[BatchFileEntry],
        ctx: RequestContext,
        batch_id: str | None,
    ) -> None:
        """Attach several files; at most ``file_batch_params`` of them index at once."""
        gate = asyncio.Semaphore(self.settings.batch_concurrency)
        for entry in entries:
            await self._attached(store_id, entry, ctx, batch_id, gate)

    def _file(self, store_id: str, file_id: str) -> FileRecord:
        self._store(store_id)
        record = self.state.file(store_id, file_id)
        if record is None:
            raise NotFound(
                f"file {file_id!r} is not attached to vector store {store_id!r}",
                code="vector_store_file_not_found",
            )
        return record

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
        """A page of attached files, optionally of one status or batch."""
        self._store(store_id)
        records = [
            r
            for r in self.state.files.get(store_id, {}).values()
            if (status is None or r.status == status)
            and (batch_id is None or r.batch_id == batch_id)
        ]
        return paginate(
            records,
            file_object,
            limit=limit,
            order=order,
            after=after,
            before=before,
            key=lambda r: (r.created_at, r.seq),
        )

    async def get_file(self, store_id: str, file_id: str) -> VectorStoreFileObject:
        """One attached file."""
        return file_object(self._file(store_id, file_id))

    async def update_file(
        self, store_id: str, file_id: str, attributes: Attributes
    ) -> VectorStoreFileObject:
        """Replace the file's attributes (used by search filters)."""
        record = self._file(store_id, file_id).model_copy(update={"attributes": attributes})
        await self.state.put_file(record)
        return file_object(record)

    async def delete_file(self, store_id: str, file_id: str) -> VectorStoreFileDeleted:
        """Detach the file: stop its ingestion and remove its chunks."""
        self._file(store_id, file_id)
        await self._ingestor.cancel(store_id, file_id)
        await self.state.drop_file(store_id, file_id)
        await self.index.delete_file(store_id, file_id)
        return VectorStoreFileDeleted(id=file_id)

    async def file_content(self, store_id: str, file_id: str) -> FileContentPage:
        """The file's chunks, in order."""
        self._file(store_id, file_id)
        texts = await self.index.file_chunks(store_id, file_id)
        return FileContentPage(data=[ContentItem(text=t) for t in texts])

    # -- batches ------------------------------------------------------------------------

    async def create_file_batch(
        self, store_id: str, request: CreateFileBatchRequest, ctx: RequestContext
    ) -> FileBatchObject:
        """Attach every file of the batch (all are checked before any is attached)."""
        self._store(store_id)
        entries = request.files or [
            BatchFileEntry(
                file_id=f,
                attributes=request.attributes,
                chunking_strategy=request.chunking_strategy,
            )
            for f in request.file_ids
        ]
        self._require_files()
        batch = BatchRecord(
            id=f"vsfb_{uuid.uuid4().hex}",
            store_id=store_id,
            created_at=int(time.time()),
            file_ids=[e.file_id for e in entries],
        )
        await self.state.put_batch(batch)
        await self._attach_all(store_id, entries, ctx, batch.id)
        return self._batch_object(batch)

    def _batch(self, store_id: str, batch_id: str) -> BatchRecord:
        self._store(store_id)
        batch = self.state.batches.get(store_id, {}).get(batch_id)
        if batch is None:
            raise NotFound(f"file batch {batch_id!r} not found", code="file_batch_not_found")
        return batch

    def _batch_object(self, batch: BatchRecord) -> FileBatchObject:
        files = [r for f in batch.file_ids if (r := self.state.file(batch.store_id, f)) is not None]
        tally = counts(files)
        status = "in_progress" if tally.in_progress else "completed"
        if batch.cancelled:
            status = "cancelled"
        elif tally.failed and not tally.completed and not tally.in_progress:
            status = "failed"
        return FileBatchObject(
            id=batch.id,
            created_at=batch.created_at,
            vector_store_id=batch.store_id,
            status=status,  # type: ignore[arg-type]
            file_counts=tally,
        )

    async def get_file_batch(self, store_id: str, batch_id: str) -> FileBatchObject:
        """The batch with its current counts."""
        return self._batch_object(self._batch(store_id, batch_id))

    async def cancel_file_batch(self, store_id: str, batch_id: str) -> FileBatchObject:
        """Cancel the batch's files that are still being indexed."""
        batch = self._batch(store_id, batch_id)
        for file_id in batch.file_ids:
            record = self.state.file(store_id, file_id)
            if record is not None and record.status == "in_progress":
                await self._ingestor.cancel(store_id, file_id)
                await self.index.delete_file(store_id, file_id)
                await self.state.put_file(record.model_copy(update={"status": "cancelled"}))
        batch = batch.model_copy(update={"cancelled": True})
        await self.state.put_batch(batch)
        return self._batch_object(batch)

    # -- chunks (Llama Stack's /v1/vector-io) -------------------------------------------

    async def insert_chunks(self, store_id: str, request: InsertChunksRequest) -> None:
        """Index pre-embedded chunks."""
        await self._chunks.insert(self._store(store_id), request)

    async def query_chunks(
        self, store_id: str, request: QueryChunksRequest, ctx: RequestContext
    ) -> QueryChunksResponse:
        """The store's best chunks with their scores."""
        return await self._chunks.query(self._store(store_id), request, ctx)

    # -- search -------------------------------------------------------------------------

    async def search(
        self, store_id: str, request: SearchRequest, ctx: RequestContext
    ) -> SearchResultsPage:
        """Rank the store's chunks for the query; filters apply to file attributes."""
        store = self._store(store_id)
        files = self.state.files.get(store_id, {})
        predicate = compile_filter(request.filters) if request.filters else None
        ready = {
            f: r
            for f, r in files.items()
            if r.status == "completed" and (predicate is None or predicate(r.attributes))
        }
        queries = [request.query] if isinstance(request.query, str) else request.query
        page = SearchResultsPage(search_query=queries, data=[])
        if not ready:
            return page
        allowed = None if len(ready) == len(files) else frozenset(ready)
        text = " ".join(queries)
        hits = await ranked_hits(
            self.index, self._embedder, store, request, text, allowed, ctx, self.settings
        )
        threshold = request.ranking_options.score_threshold if request.ranking_options else 0.0
        page.data = [
            SearchResult(
                file_id=h.file_id,
                filename=ready[h.file_id].filename,
                score=h.score,
                attributes=ready[h.file_id].attributes,
                content=[ContentItem(text=h.text)],
            )
            for h in hits[: request.max_num_results]
            if h.score >= threshold and h.file_id in ready
        ]
        return page
