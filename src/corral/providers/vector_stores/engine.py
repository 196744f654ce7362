"""`VectorStores`: the OpenAI vector stores API of one provider, over its `VectorIndex`.

Owns the store/file/batch records (`StateStore`), starts background ingestion
(`Ingestor`) and answers searches. It trusts the store ids the router gives it
(access checks and id generation are the router's); everything it raises is a
`CorralError`, so a bad request is a clear 4xx.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext
from corral.apis.files.api import FilesProvider
from corral.apis.storage import KVStore
from corral.apis.vector_io.api import EmbeddingSpec, VectorIndex
from corral.apis.vector_io.models import (
    AttachFileRequest,
    Attributes,
    BatchFileEntry,
    ContentItem,
    CreateFileBatchRequest,
    CreateVectorStoreRequest,
    FileBatchObject,
    FileContentPage,
    SearchRequest,
    SearchResult,
    SearchResultsPage,
    UpdateVectorStoreRequest,
    VectorStoreFileDeleted,
    VectorStoreFileObject,
    VectorStoreList,
    VectorStoreObject,
    resolved_chunking,
)
from corral.apis.vector_io.paging import paginate
from corral.errors import Conflict, InvalidRequest, NotFound
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
    ) -> None:
        self.provider_id = provider_id
        self.index = index
        self.state = StateStore(kv)
        self._files = files
        self._embedder = Embedder(inference)
        self._ingestor = Ingestor(self.state, index, files, self._embedder, ingest_concurrency)

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
        """Create the store, then attach `request.file_ids` (each checked first)."""
        if store_id in self.state.stores:
            raise Conflict(f"vector store {store_id!r} already exists")
        for file_id in request.file_ids:
            await self._uploaded(file_id, ctx)
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
            chunking=resolved_chunking(request.chunking_strategy),
        )
        await self.index.create_store(store_id, embedding.dimension)
        await self.state.put_store(store)
        for file_id in request.file_ids:
            await self.attach_file(store_id, AttachFileRequest(file_id=file_id), ctx)
        return self._object(store)

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
        await self.state.drop_store(store_id)

    # -- files --------------------------------------------------------------------------

    async def _uploaded(self, file_id: str, ctx: RequestContext) -> str:
        if self._files is None:
            raise InvalidRequest(
                "no files provider is configured; add one under providers.files",
                code="no_files_provider",
            )
        return (await self._files.get_file(file_id, ctx)).filename

    async def attach_file(
        self,
        store_id: str,
        request: AttachFileRequest | BatchFileEntry,
        ctx: RequestContext,
        batch_id: str | None = None,
    ) -> VectorStoreFileObject:
        """Record the file as ``in_progress`` and index it in the background."""
        store = self._store(store_id)
        existing = self.state.file(store_id, request.file_id)
        if existing is not None and existing.status in ("in_progress", "completed"):
            return file_object(existing)
        filename = await self._uploaded(request.file_id, ctx)
        user = ctx.user
        record = FileRecord(
            id=request.file_id,
            store_id=store_id,
            created_at=int(time.time()),
            filename=filename,
            chunking=resolved_chunking(request.chunking_strategy)
            if request.chunking_strategy is not None
            else store.chunking,
            attributes=request.attributes or {},
            batch_id=batch_id,
            owner_principal=user.principal if user else None,
            owner_attributes=dict(user.attributes) if user else {},
        )
        await self.state.put_file(record)
        self._ingestor.schedule(record)
        return file_object(record)

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
        for entry in entries:
            await self._uploaded(entry.file_id, ctx)
        batch = BatchRecord(
            id=f"vsfb_{uuid.uuid4().hex}",
            store_id=store_id,
            created_at=int(time.time()),
            file_ids=[e.file_id for e in entries],
        )
        await self.state.put_batch(batch)
        for entry in entries:
            await self.attach_file(store_id, entry, ctx, batch_id=batch.id)
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
        page = SearchResultsPage(search_query=request.query, data=[])
        if not ready:
            return page
        allowed = None if len(ready) == len(files) else frozenset(ready)
        text = request.query if isinstance(request.query, str) else " ".join(request.query)
        hits = await ranked_hits(self.index, self._embedder, store, request, text, allowed, ctx)
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
