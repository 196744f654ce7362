"""Wire types of ``POST /v1alpha/file-processors/process`` (Llama Stack 0.7's shapes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ChunkMetadata(BaseModel):
    """Backend facts about a chunk (not shown to a model)."""

    chunk_id: str
    document_id: str
    source: str | None = None
    created_timestamp: int | None = None
    chunk_tokenizer: str = "corral-words"
    content_token_count: int
    metadata_token_count: int | None = None


class Chunk(BaseModel):
    """One chunk: its text, an id, metadata for the model and metadata for the backend."""

    content: str
    chunk_id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    chunk_metadata: ChunkMetadata


class ProcessFileResponse(BaseModel):
    """The file's chunks and facts about the run (processor, pages, timing)."""

    chunks: list[Chunk]
    metadata: dict[str, Any]


class ProcessFileForm(BaseModel):
    """The multipart form: exactly one of ``file`` and ``file_id``; JSON-encoded options."""

    file: bytes | None = None
    file_id: str | None = None
    options: str | None = None
    chunking_strategy: str | None = None
