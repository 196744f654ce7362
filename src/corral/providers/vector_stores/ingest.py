"""Background ingestion of attached files: read → extract → chunk → embed → index.

Each attached file gets an asyncio task; a semaphore bounds how many run at
once. Extraction and chunking run in worker threads, embeddings go through
the inference router (remote calls, or an inline model that runs off the loop
itself), and the index does its own blocking work off the loop. The file's
record moves from ``in_progress`` to ``completed``, or to ``failed`` with a
``last_error`` saying why. Work runs as the user who attached the file.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext, User
from corral.apis.files.api import FilesProvider
from corral.apis.vector_io.api import IndexedChunk, VectorIndex
from corral.apis.vector_io.models import LastError
from corral.apis.vector_io.settings import VectorStoreSettings
from corral.errors import CorralError, NotFound
from corral.providers.vector_stores.chunking import chunk_text
from corral.providers.vector_stores.contextual import contextualise
from corral.providers.vector_stores.extract import InvalidFile, UnsupportedFile, extract_text
from corral.providers.vector_stores.state import FileRecord, StateStore

if TYPE_CHECKING:
    from corral.core.routers.inference import InferenceRouter

log = logging.getLogger("corral.vector_io")

EMBED_BATCH = 32


class EmbeddingFailed(Exception):
    """The embedding model's answer cannot be used (wrong dimension, malformed)."""


class Embedder:
    """Embeds texts through the inference router; the vectors come back unit-length."""

    def __init__(self, inference: InferenceRouter) -> None:
        self._inference = inference

    async def embed(
        self, model: str, texts: Sequence[str], dimension: int, ctx: RequestContext
    ) -> list[list[float]]:
        """One normalised vector per text, in order."""
        out: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])
            body = {"model": model, "input": batch, "encoding_format": "float"}
            response = await self._inference.embeddings(body, ctx)
            out += _vectors(response, len(batch), dimension)
        return out


def _vectors(response: Any, count: int, dimension: int) -> list[list[float]]:
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise EmbeddingFailed(f"the embedding model returned {len(data or [])} vectors for {count}")
    vectors = []
    for item in sorted(data, key=lambda d: int(d.get("index", 0))):
        raw = item.get("embedding")
        if isinstance(raw, str):
            packed = base64.b64decode(raw)
            raw = list(struct.unpack(f"<{len(packed) // 4}f", packed))
        if not isinstance(raw, list) or len(raw) != dimension:
            got = len(raw) if isinstance(raw, list) else "no"
            raise EmbeddingFailed(
                f"the embedding model returned {got} dimensions; the store expects {dimension}"
            )
        vectors.append(normalise([float(x) for x in raw]))
    return vectors


def normalise(vector: list[float]) -> list[float]:
    """The vector scaled to unit length (a zero vector stays zero)."""
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


def owner_context(record: FileRecord) -> RequestContext:
    """The context of the user who attached the file."""
    if record.owner_principal is None:
        return RequestContext()
    return RequestContext(user=User(record.owner_principal, record.owner_attributes))


class Ingestor:
    """Runs and tracks the ingestion tasks of one provider."""

    def __init__(
        self,
        state: StateStore,
        index: VectorIndex,
        files: FilesProvider | None,
        embedder: Embedder,
        concurrency: int,
        settings: VectorStoreSettings | None = None,
        inference: InferenceRouter | None = None,
    ) -> None:
        self._state = state
        self._index = index
        self._files = files
        self._embedder = embedder
        self._settings = settings or VectorStoreSettings()
        self._inference = inference
        self._slots = asyncio.Semaphore(concurrency)
        #: The running ingestion of each (store, file).
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    def schedule(self, record: FileRecord, gate: asyncio.Semaphore | None = None) -> None:
        """Start ingesting `record` in the background (`gate`: its batch's concurrency bound)."""
        key = (record.store_id, record.id)
        work = self._run(record) if gate is None else self._gated(record, gate)
        task = asyncio.create_task(work, name=f"ingest {record.store_id}/{record.id}")
        self.tasks[key] = task
        task.add_done_callback(lambda _: self.tasks.pop(key, None))

    async def _gated(self, record: FileRecord, gate: asyncio.Semaphore) -> None:
        async with gate:
            await self._run(record)

    async def cancel(self, store_id: str, file_id: str | None = None) -> None:
        """Stop the tasks of one file, or of every file of a store."""
        victims = [t for (s, f), t in self.tasks.items() if s == store_id and file_id in (None, f)]
        for task in victims:
            task.cancel()
        await asyncio.gather(*victims, return_exceptions=True)

    async def close(self) -> None:
        """Cancel everything (files stay ``in_progress`` and resume at the next start)."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, record: FileRecord) -> None:
        async with self._slots:
            try:
                usage = await self._ingest(record)
            except (UnsupportedFile, InvalidFile, EmbeddingFailed, CorralError) as exc:
                await self._fail(record, _last_error(exc))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("indexing %s into %s failed", record.id, record.store_id)
                message = f"internal error while indexing ({type(exc).__name__})"
                await self._fail(record, LastError(code="server_error", message=message))
                return
        current = self._state.file(record.store_id, record.id)
        if current is None or current.status != "in_progress":
            await self._index.delete_file(record.store_id, record.id)  # detached meanwhile
            return
        await self._state.put_file(
            current.model_copy(update={"status": "completed", "usage_bytes": usage})
        )

    async def _ingest(self, record: FileRecord) -> int:
        if self._files is None:
            raise InvalidFile("no files provider is configured")
        store = self._state.stores[record.store_id]
        ctx = owner_context(record)
        try:
            content = await self._files.read_file(record.id, ctx)
        except NotFound:
            raise InvalidFile(f"file {record.id!r} no longer exists") from None
        text = await asyncio.to_thread(extract_text, content.data, content.file.filename)
        pieces = await asyncio.to_thread(chunk_text, text, record.chunking)
        if not pieces:
            raise InvalidFile(f"{content.file.filename!r} contains no text")
        if record.contextual is not None and self._inference is not None:
            pieces = await contextualise(
                self._inference, text, pieces, record.contextual, self._settings, ctx
            )
        vectors = await self._embedder.embed(
            store.embedding_model, pieces, store.embedding_dimension, ctx
        )
        chunks = [
            IndexedChunk(f"{record.id}:{i}", record.id, i, text, vector)
            for i, (text, vector) in enumerate(zip(pieces, vectors, strict=True))
        ]
        await self._index.delete_file(record.store_id, record.id)  # a resumed run starts clean
        await self._index.add_chunks(record.store_id, chunks)
        return sum(len(p.encode()) for p in pieces)

    async def _fail(self, record: FileRecord, error: LastError) -> None:
        current = self._state.file(record.store_id, record.id)
        if current is not None and current.status == "in_progress":
            await self._state.put_file(
                current.model_copy(update={"status": "failed", "last_error": error})
            )


def _last_error(exc: Exception) -> LastError:
    if isinstance(exc, UnsupportedFile):
        return LastError(code="unsupported_file", message=str(exc))
    if isinstance(exc, InvalidFile):
        return LastError(code="invalid_file", message=str(exc))
    if isinstance(exc, CorralError):
        return LastError(code="server_error", message=exc.message)
    return LastError(code="server_error", message=str(exc))
