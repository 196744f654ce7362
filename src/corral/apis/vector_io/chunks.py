"""Wire types of Llama Stack's chunk-level routes ``/v1/vector-io/insert`` and ``/query``.

Older clients (and Llama Stack's own RAG tooling) write pre-embedded chunks
straight into a vector store and query it for chunks with their scores.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChunkMetadata(BaseModel):
    """Backend facts about a chunk, returned as given."""

    model_config = ConfigDict(extra="allow")

    chunk_id: str | None = None
    document_id: str | None = None
    source: str | None = None
    created_timestamp: int | None = None
    updated_timestamp: int | None = None
    chunk_window: str | None = None
    chunk_tokenizer: str | None = None
    content_token_count: int | None = None
    metadata_token_count: int | None = None


class EmbeddedChunk(BaseModel):
    """A chunk with its embedding (the insert input, and each query answer)."""

    model_config = ConfigDict(extra="allow")

    content: Any
    chunk_id: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    chunk_metadata: ChunkMetadata = Field(default_factory=ChunkMetadata)
    embedding: list[float] = Field(default_factory=list)
    embedding_model: str = ""
    embedding_dimension: int = 0


class InsertChunksRequest(BaseModel):
    """``POST /v1/vector-io/insert``."""

    model_config = ConfigDict(extra="allow")

    vector_store_id: str
    chunks: list[EmbeddedChunk] = Field(min_length=1)
    ttl_seconds: int | None = None


class QueryChunksRequest(BaseModel):
    """``POST /v1/vector-io/query``: ``params`` may set max_chunks, mode, score_threshold."""

    model_config = ConfigDict(extra="allow")

    vector_store_id: str
    query: Any
    params: dict[str, Any] | None = None


class QueryChunksResponse(BaseModel):
    """The best chunks and their scores, best first."""

    chunks: list[EmbeddedChunk]
    scores: list[float]


def content_text(content: Any) -> str:
    """The text of interleaved content: a string, a text part, or a list of them."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list):
        return " ".join(content_text(part) for part in content)
    return ""
