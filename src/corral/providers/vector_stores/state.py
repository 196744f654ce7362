"""Records of stores, attached files and batches, persisted in the provider's KV store.

Every record is JSON under one key (``store:<id>``, ``file:<store>:<file>``,
``batch:<store>:<batch>``) and cached in memory: reads never touch the KV
store, writes go to it first. The cache is per process (like the resource
registry), so vector stores are served by one worker.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from corral.apis.storage import KVStore
from corral.apis.vector_io.models import (
    Attributes,
    ChunkingStrategyContextual,
    ChunkingStrategyStatic,
    ContextualChunking,
    ExpiresAfter,
    FileCounts,
    FileStatus,
    LastError,
    StaticChunking,
    VectorStoreFileObject,
)

_STORE, _FILE, _BATCH = "store:", "file:", "batch:"


class StoreRecord(BaseModel):
    """A vector store as the provider keeps it."""

    id: str
    created_at: int
    name: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    expires_after: ExpiresAfter | None = None
    last_active_at: int
    embedding_model: str
    embedding_dimension: int
    chunking: StaticChunking = Field(default_factory=StaticChunking)
    #: Set for the ``contextual`` strategy (`chunking` then holds its chunk sizes).
    contextual: ContextualChunking | None = None


class FileRecord(BaseModel):
    """A file attached to a store, with what background ingestion needs."""

    id: str
    store_id: str
    created_at: int
    filename: str = ""
    status: FileStatus = "in_progress"
    last_error: LastError | None = None
    usage_bytes: int = 0
    chunking: StaticChunking
    #: Set for the ``contextual`` strategy (`chunking` then holds its chunk sizes).
    contextual: ContextualChunking | None = None
    attributes: Attributes = Field(default_factory=dict)
    batch_id: str | None = None
    #: Attachment time in nanoseconds: orders files attached within the same second.
    seq: int = Field(default_factory=time.time_ns)
    owner_principal: str | None = None
    owner_attributes: dict[str, list[str]] = Field(default_factory=dict)


class BatchRecord(BaseModel):
    """A file batch: which files it attached."""

    id: str
    store_id: str
    created_at: int
    file_ids: list[str]
    cancelled: bool = False


class StateStore:
    """The records of one provider: KV-backed, cached in memory."""

    def __init__(self, kv: KVStore) -> None:
        self._kv = kv
        self.stores: dict[str, StoreRecord] = {}
        self.files: dict[str, dict[str, FileRecord]] = {}
        self.batches: dict[str, dict[str, BatchRecord]] = {}

    async def load(self) -> None:
        """Read every record into memory."""
        for _, value in await self._kv.items_with_prefix(_STORE):
            store = StoreRecord.model_validate_json(value)
            self.stores[store.id] = store
            self.files.setdefault(store.id, {})
            self.batches.setdefault(store.id, {})
        for _, value in await self._kv.items_with_prefix(_FILE):
            record = FileRecord.model_validate_json(value)
            if record.store_id in self.stores:
                self.files[record.store_id][record.id] = record
        for _, value in await self._kv.items_with_prefix(_BATCH):
            batch = BatchRecord.model_validate_json(value)
            if batch.store_id in self.stores:
                self.batches[batch.store_id][batch.id] = batch

    async def put_store(self, store: StoreRecord) -> None:
        """Create or replace a store record."""
        await self._kv.set(_STORE + store.id, store.model_dump_json())
        self.stores[store.id] = store
        self.files.setdefault(store.id, {})
        self.batches.setdefault(store.id, {})

    async def drop_store(self, store_id: str) -> None:
        """Forget a store and all its file and batch records."""
        for file_id in list(self.files.get(store_id, {})):
            await self._kv.delete(f"{_FILE}{store_id}:{file_id}")
        for batch_id in list(self.batches.get(store_id, {})):
            await self._kv.delete(f"{_BATCH}{store_id}:{batch_id}")
        await self._kv.delete(_STORE + store_id)
        self.stores.pop(store_id, None)
        self.files.pop(store_id, None)
        self.batches.pop(store_id, None)

    async def put_file(self, record: FileRecord) -> None:
        """Create or replace a file record (ignored when its store is gone)."""
        if record.store_id not in self.stores:
            return
        await self._kv.set(f"{_FILE}{record.store_id}:{record.id}", record.model_dump_json())
        self.files[record.store_id][record.id] = record

    async def drop_file(self, store_id: str, file_id: str) -> None:
        """Forget a file record."""
        await self._kv.delete(f"{_FILE}{store_id}:{file_id}")
        self.files.get(store_id, {}).pop(file_id, None)

    async def put_batch(self, batch: BatchRecord) -> None:
        """Create or replace a batch record."""
        await self._kv.set(f"{_BATCH}{batch.store_id}:{batch.id}", batch.model_dump_json())
        self.batches[batch.store_id][batch.id] = batch

    def file(self, store_id: str, file_id: str) -> FileRecord | None:
        """A cached file record, or None."""
        return self.files.get(store_id, {}).get(file_id)


def counts(files: Sequence[FileRecord]) -> FileCounts:
    """Files by status."""
    counts = FileCounts(total=len(files))
    for record in files:
        setattr(counts, record.status, getattr(counts, record.status) + 1)
    return counts


def file_object(record: FileRecord) -> VectorStoreFileObject:
    """The wire object of an attached file."""
    return VectorStoreFileObject(
        id=record.id,
        usage_bytes=record.usage_bytes,
        created_at=record.created_at,
        vector_store_id=record.store_id,
        status=record.status,
        last_error=record.last_error,
        chunking_strategy=ChunkingStrategyContextual(contextual=record.contextual)
        if record.contextual is not None
        else ChunkingStrategyStatic(static=record.chunking),
        attributes=record.attributes,
    )
