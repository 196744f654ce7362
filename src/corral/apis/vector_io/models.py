"""Wire types of ``/v1/vector_stores`` (the OpenAI shapes, with Llama Stack's extensions).

Request models accept unknown fields (clients send ``extra_body`` keys at the
top level) and ignore them; the Llama Stack extensions corral reads are named
here: ``embedding_model``, ``embedding_dimension``, ``provider_id``,
``provider_vector_store_id`` on create and ``search_mode`` on search.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_CHUNK_TOKENS = 800
DEFAULT_OVERLAP_TOKENS = 400

FileStatus = Literal["in_progress", "completed", "cancelled", "failed"]
AttributeValue = str | float | bool
Attributes = dict[str, AttributeValue]


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")


class StaticChunking(BaseModel):
    """Fixed-size chunks with an overlap, counted in tokens."""

    max_chunk_size_tokens: int = Field(DEFAULT_CHUNK_TOKENS, ge=100, le=4096)
    chunk_overlap_tokens: int = Field(DEFAULT_OVERLAP_TOKENS, ge=0)

    @model_validator(mode="after")
    def _overlap_at_most_half(self) -> StaticChunking:
        if self.chunk_overlap_tokens > self.max_chunk_size_tokens // 2:
            raise ValueError("chunk_overlap_tokens must not exceed half of max_chunk_size_tokens")
        return self


DEFAULT_CONTEXT_PROMPT = (
    "<document>\n{{WHOLE_DOCUMENT}}\n</document>\n"
    "Here is the chunk we want to situate within the whole document\n"
    "<chunk>\n{{CHUNK_CONTENT}}\n</chunk>\n"
    "Please give a short succinct description to situate this chunk of text within the overall "
    "document for the purposes of improving search retrieval of the chunk. "
    "Answer only with the succinct description and nothing else."
)


class ContextualChunking(BaseModel):
    """Static chunks, each prefixed with context a chat model writes from the whole document."""

    model_id: str | None = Field(None, min_length=1)
    context_prompt: str = DEFAULT_CONTEXT_PROMPT
    max_chunk_size_tokens: int = Field(700, ge=100, le=4096)
    chunk_overlap_tokens: int = Field(400, ge=0)
    timeout_seconds: int | None = Field(None, ge=1)
    max_concurrency: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _valid(self) -> ContextualChunking:
        if self.chunk_overlap_tokens >= self.max_chunk_size_tokens:
            raise ValueError("chunk_overlap_tokens must be less than max_chunk_size_tokens")
        prompt = self.context_prompt
        if "{{WHOLE_DOCUMENT}}" not in prompt or "{{CHUNK_CONTENT}}" not in prompt:
            raise ValueError("context_prompt must contain {{WHOLE_DOCUMENT}} and {{CHUNK_CONTENT}}")
        if prompt.index("{{WHOLE_DOCUMENT}}") > prompt.index("{{CHUNK_CONTENT}}"):
            raise ValueError("context_prompt must have {{WHOLE_DOCUMENT}} before {{CHUNK_CONTENT}}")
        return self

    def static(self) -> StaticChunking:
        """The chunk sizes alone (overlap capped at half, as static chunking requires)."""
        overlap = min(self.chunk_overlap_tokens, self.max_chunk_size_tokens // 2)
        return StaticChunking(
            max_chunk_size_tokens=self.max_chunk_size_tokens, chunk_overlap_tokens=overlap
        )


class ChunkingStrategyAuto(BaseModel):
    """``{"type": "auto"}``: the default (the run config's ingestion sizes)."""

    type: Literal["auto"] = "auto"


class ChunkingStrategyStatic(BaseModel):
    """``{"type": "static", "static": {...}}``."""

    type: Literal["static"] = "static"
    static: StaticChunking


class ChunkingStrategyContextual(BaseModel):
    """``{"type": "contextual", "contextual": {...}}`` (Llama Stack's extension)."""

    type: Literal["contextual"] = "contextual"
    contextual: ContextualChunking


ChunkingStrategy = Annotated[
    ChunkingStrategyAuto | ChunkingStrategyStatic | ChunkingStrategyContextual,
    Field(discriminator="type"),
]


def resolved_chunking(
    strategy: ChunkingStrategyAuto | ChunkingStrategyStatic | ChunkingStrategyContextual | None,
    default: StaticChunking | None = None,
) -> StaticChunking:
    """The chunk sizes a strategy stands for (``auto`` and none are `default`)."""
    if isinstance(strategy, ChunkingStrategyStatic):
        return strategy.static
    if isinstance(strategy, ChunkingStrategyContextual):
        return strategy.contextual.static()
    return default or StaticChunking()


class ExpiresAfter(BaseModel):
    """Expiry of a vector store after its last activity."""

    anchor: Literal["last_active_at"]
    days: int = Field(ge=1, le=365)


class FileCounts(BaseModel):
    """Files of a store (or batch) by status."""

    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


class VectorStoreObject(BaseModel):
    """A vector store."""

    id: str
    object: Literal["vector_store"] = "vector_store"
    created_at: int
    name: str = ""
    usage_bytes: int = 0
    file_counts: FileCounts
    status: Literal["expired", "in_progress", "completed"]
    expires_after: ExpiresAfter | None = None
    expires_at: int | None = None
    last_active_at: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class CreateVectorStoreRequest(_Request):
    """``POST /v1/vector_stores``."""

    name: str | None = None
    file_ids: list[str] = Field(default_factory=list)
    expires_after: ExpiresAfter | None = None
    chunking_strategy: ChunkingStrategy | None = None
    metadata: dict[str, Any] | None = None
    embedding_model: str | None = None
    embedding_dimension: int | None = Field(None, ge=1)
    provider_id: str | None = None
    provider_vector_store_id: str | None = None


class UpdateVectorStoreRequest(_Request):
    """``POST /v1/vector_stores/{id}``."""

    name: str | None = None
    expires_after: ExpiresAfter | None = None
    metadata: dict[str, Any] | None = None


class VectorStoreList(BaseModel):
    """A page of vector stores (or of vector store files)."""

    object: Literal["list"] = "list"
    data: list[Any]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class VectorStoreDeleted(BaseModel):
    """``DELETE /v1/vector_stores/{id}``."""

    id: str
    object: Literal["vector_store.deleted"] = "vector_store.deleted"
    deleted: bool = True


class LastError(BaseModel):
    """Why a file could not be indexed."""

    code: Literal["server_error", "unsupported_file", "invalid_file"]
    message: str


class VectorStoreFileObject(BaseModel):
    """A file attached to a vector store."""

    id: str
    object: Literal["vector_store.file"] = "vector_store.file"
    usage_bytes: int = 0
    created_at: int
    vector_store_id: str
    status: FileStatus
    last_error: LastError | None = None
    chunking_strategy: ChunkingStrategyStatic | ChunkingStrategyContextual
    attributes: Attributes = Field(default_factory=dict)


class AttachFileRequest(_Request):
    """``POST /v1/vector_stores/{id}/files``."""

    file_id: str
    attributes: Attributes | None = None
    chunking_strategy: ChunkingStrategy | None = None


class UpdateFileRequest(_Request):
    """``POST /v1/vector_stores/{id}/files/{file_id}``."""

    attributes: Attributes


class VectorStoreFileDeleted(BaseModel):
    """``DELETE /v1/vector_stores/{id}/files/{file_id}``."""

    id: str
    object: Literal["vector_store.file.deleted"] = "vector_store.file.deleted"
    deleted: bool = True


class ContentItem(BaseModel):
    """One piece of text (a chunk)."""

    type: Literal["text"] = "text"
    text: str


class FileContentPage(BaseModel):
    """``GET /v1/vector_stores/{id}/files/{file_id}/content``: the file's chunks in order."""

    object: Literal["vector_store.file_content.page"] = "vector_store.file_content.page"
    data: list[ContentItem]
    has_more: bool = False
    next_page: str | None = None


class BatchFileEntry(BaseModel):
    """One file of a batch with its own options."""

    file_id: str
    attributes: Attributes | None = None
    chunking_strategy: ChunkingStrategy | None = None


class CreateFileBatchRequest(_Request):
    """``POST /v1/vector_stores/{id}/file_batches``: `file_ids` or `files`."""

    file_ids: list[str] = Field(default_factory=list)
    files: list[BatchFileEntry] | None = None
    attributes: Attributes | None = None
    chunking_strategy: ChunkingStrategy | None = None

    @model_validator(mode="after")
    def _one_form(self) -> CreateFileBatchRequest:
        if bool(self.file_ids) == bool(self.files):
            raise ValueError("give either file_ids or files (one of them, not empty)")
        return self


class FileBatchObject(BaseModel):
    """A batch of files attached together."""

    id: str
    object: Literal["vector_store.files_batch"] = "vector_store.files_batch"
    created_at: int
    vector_store_id: str
    status: FileStatus
    file_counts: FileCounts


class RankingOptions(BaseModel):
    """How results are ranked and cut."""

    model_config = ConfigDict(extra="allow")

    ranker: str | None = None
    score_threshold: float = 0.0
    alpha: float | None = Field(None, ge=0.0, le=1.0)
    impact_factor: float | None = Field(None, gt=0.0)


class SearchRequest(_Request):
    """``POST /v1/vector_stores/{id}/search``."""

    query: str | list[str]
    filters: dict[str, Any] | None = None
    max_num_results: int = Field(10, ge=1, le=50)
    ranking_options: RankingOptions | None = None
    rewrite_query: bool = False
    search_mode: Literal["vector", "keyword", "hybrid"] = "vector"

    @field_validator("query")
    @classmethod
    def _non_empty(cls, query: str | list[str]) -> str | list[str]:
        texts = [query] if isinstance(query, str) else query
        if not any(t.strip() for t in texts):
            raise ValueError("a non-empty string or list of strings is required")
        return query


class SearchResult(BaseModel):
    """One matching chunk."""

    file_id: str
    filename: str
    score: float
    attributes: Attributes = Field(default_factory=dict)
    content: list[ContentItem]


class SearchResultsPage(BaseModel):
    """The search response."""

    object: Literal["vector_store.search_results.page"] = "vector_store.search_results.page"
    #: The query as a list of strings, as OpenAI's schema has it (a string query is one item).
    search_query: list[str]
    data: list[SearchResult]
    has_more: bool = False
    next_page: str | None = None
