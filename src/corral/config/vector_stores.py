"""``vector_stores:`` as a mapping: defaults and the tuning groups Llama Stack 0.7 writes.

Every group has a meaning in corral (see docs/vector_stores.md): the ingestion
group sizes chunks, the retrieval group sizes searches and hybrid fusion, the
three prompt groups write what ``file_search`` hands the model in the
Responses API, the batch group bounds concurrent indexing, and the contextual
group drives the ``contextual`` chunking strategy. `settings()` turns the
section into the contract value providers receive (`VectorStoreSettings`).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from corral.apis.vector_io.models import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS
from corral.apis.vector_io.settings import PromptTemplates, VectorStoreSettings
from corral.config.base import ConfigModel


class QualifiedModel(ConfigModel):
    """A model named by its provider and its id in that provider."""

    provider_id: str | None = None
    """The provider serving the model (optional when the model id is unique)."""
    model_id: str
    """The model's id in that provider."""
    embedding_dimensions: int | None = None
    """Vector size, for an embedding model whose metadata does not say."""

    def qualified(self) -> str:
        """``provider_id/model_id``, the id corral lists the model under."""
        return f"{self.provider_id}/{self.model_id}" if self.provider_id else self.model_id


class RewriteQueryParams(ConfigModel):
    """Query expansion by a chat model before a vector search (accepted; not applied)."""

    model: QualifiedModel | None = None
    """Chat model that rewrites the query."""
    prompt: str = "Expand this query with relevant synonyms and related terms. Return only the improved query, no explanations:\n\n{query}\n\nImproved query:"  # noqa: E501
    """Prompt; `{query}` is the user's query."""
    max_tokens: int = Field(100, gt=0, le=4096)
    """Token budget of the rewrite."""
    temperature: float = Field(0.3, ge=0.0, le=2.0)
    """Sampling temperature of the rewrite."""


def _must_contain(value: str, *placeholders: str) -> str:
    missing = [p for p in placeholders if p not in value]
    if missing:
        raise ValueError(f"the template must contain {', '.join(missing)}")
    return value


class FileSearchParams(ConfigModel):
    """The text around ``file_search`` results in the Responses API."""

    header_template: str = PromptTemplates.header
    """Before the results; `{num_chunks}` is the number of results."""
    footer_template: str = PromptTemplates.footer
    """After the results."""

    @field_validator("header_template")
    @classmethod
    def _header(cls, value: str) -> str:
        return _must_contain(value, "{num_chunks}")


class ContextPromptParams(ConfigModel):
    """How each result and the closing instruction of ``file_search`` are written."""

    chunk_annotation_template: str = PromptTemplates.chunk
    """One result (annotations off): `{index}`, `{chunk.content}`, `{metadata}`."""
    context_template: str = PromptTemplates.context
    """After the results: `{query}`, `{num_chunks}`, `{annotation_instruction}`."""

    @field_validator("chunk_annotation_template")
    @classmethod
    def _chunk(cls, value: str) -> str:
        return _must_contain(value, "{index}", "{chunk.content}")

    @field_validator("context_template")
    @classmethod
    def _context(cls, value: str) -> str:
        return _must_contain(value, "{query}")


class AnnotationPromptParams(ConfigModel):
    """File citations: results carry their file id and the model is asked to cite it."""

    enable_annotations: bool = True
    """Write results with their file id and ask the model to cite them."""
    annotation_instruction_template: str = PromptTemplates.annotation_instruction
    """The citation instruction (fills `{annotation_instruction}` of the context template)."""
    chunk_annotation_template: str = PromptTemplates.annotated_chunk
    """One result (annotations on): `{index}`, `{metadata_text}`, `{file_id}`, `{chunk_text}`."""

    @field_validator("chunk_annotation_template")
    @classmethod
    def _chunk(cls, value: str) -> str:
        return _must_contain(value, "{index}", "{chunk_text}", "{file_id}")


class FileIngestionParams(ConfigModel):
    """Chunk sizes of files attached without a chunking strategy."""

    default_chunk_size_tokens: int = Field(DEFAULT_CHUNK_TOKENS, ge=100, le=4096)
    """Tokens per chunk of the `auto` strategy (OpenAI's 800; Llama Stack's layouts write 512)."""
    default_chunk_overlap_tokens: int = Field(DEFAULT_OVERLAP_TOKENS, ge=0)
    """Tokens shared by neighbouring chunks (at most half the chunk size is used)."""


class ChunkRetrievalParams(ConfigModel):
    """How many candidates a search considers and how hybrid rankings are fused."""

    chunk_multiplier: int = Field(5, ge=1, le=50)
    """Candidates fetched per wanted result before filtering and fusion."""
    max_tokens_in_context: int = Field(4000, ge=1)
    """Tokens of `file_search` results given to the model at most (later results are dropped)."""
    default_reranker_strategy: str = "rrf"
    """Fusion of hybrid search when the request names none: `rrf`, `weighted` or `normalized`."""
    rrf_impact_factor: float = Field(60.0, gt=0)
    """k of reciprocal rank fusion."""
    weighted_search_alpha: float = Field(0.5, ge=0.0, le=1.0)
    """Weight of the vector score in weighted fusion."""

    @field_validator("default_reranker_strategy")
    @classmethod
    def _strategy(cls, value: str) -> str:
        if value not in ("rrf", "weighted", "normalized"):
            raise ValueError("use 'rrf', 'weighted' or 'normalized'")
        return value


class FileBatchParams(ConfigModel):
    """File batches: how many of a batch's files index at once."""

    max_concurrent_files_per_batch: int = Field(3, ge=1)
    """Files of one batch indexed at the same time."""
    file_batch_chunk_size: int = Field(10, ge=1)
    """Files of a batch scheduled per round."""
    cleanup_interval_seconds: int = Field(86400, ge=1)
    """Accepted for compatibility: corral keeps batch records as long as their store."""


class ContextualRetrievalParams(ConfigModel):
    """The `contextual` chunking strategy: a chat model situates each chunk in its document."""

    model: QualifiedModel | None = None
    """Chat model used when a strategy names none."""
    default_timeout_seconds: int = Field(120, ge=10)
    """Seconds per model call."""
    default_max_concurrency: int = Field(3, ge=1)
    """Model calls at the same time, per file."""
    max_document_tokens: int = Field(100000, ge=1000)
    """Larger documents fail instead of being sent to the model."""


class VectorStoresDefaults(ConfigModel):
    """Newer releases' ``vector_stores:`` mapping of defaults and tuning groups."""

    default_provider_id: str | None = None
    """vector_io provider used when a request names none."""
    default_embedding_model: QualifiedModel | None = None
    """`{provider_id, model_id}` of the default embedding model."""
    default_reranker_model: QualifiedModel | None = None
    """`{provider_id, model_id}` of the rerank model used by `ranker: neural` searches."""
    rewrite_query_params: RewriteQueryParams | None = None
    """Query rewriting (accepted; corral does not rewrite queries and says so at startup)."""
    file_search_params: FileSearchParams = Field(default_factory=FileSearchParams)
    """Header and footer of `file_search` results."""
    context_prompt_params: ContextPromptParams = Field(default_factory=ContextPromptParams)
    """How `file_search` results are written for the model."""
    annotation_prompt_params: AnnotationPromptParams = Field(default_factory=AnnotationPromptParams)
    """File citations in `file_search` results."""
    file_ingestion_params: FileIngestionParams = Field(default_factory=FileIngestionParams)
    """Default chunk sizes."""
    chunk_retrieval_params: ChunkRetrievalParams = Field(default_factory=ChunkRetrievalParams)
    """Search candidate counts, fusion and the context budget."""
    file_batch_params: FileBatchParams = Field(default_factory=FileBatchParams)
    """File batch concurrency."""
    contextual_retrieval_params: ContextualRetrievalParams = Field(
        default_factory=ContextualRetrievalParams
    )
    """The `contextual` chunking strategy."""
    attach_wait_seconds: float = Field(2.0, ge=0.0, le=60.0)
    """corral's own: how long attaching a file waits for its indexing to finish, so a small
    file comes back `completed` (0 returns `in_progress` at once, as OpenAI does)."""

    def settings(self) -> VectorStoreSettings:
        """The value vector_io and responses providers receive."""
        ingest, retrieval = self.file_ingestion_params, self.chunk_retrieval_params
        ctx, notes = self.context_prompt_params, self.annotation_prompt_params
        contextual = self.contextual_retrieval_params
        return VectorStoreSettings(
            chunk_size_tokens=ingest.default_chunk_size_tokens,
            chunk_overlap_tokens=min(
                ingest.default_chunk_overlap_tokens, ingest.default_chunk_size_tokens // 2
            ),
            chunk_multiplier=retrieval.chunk_multiplier,
            max_tokens_in_context=retrieval.max_tokens_in_context,
            ranker=retrieval.default_reranker_strategy,
            rrf_impact_factor=retrieval.rrf_impact_factor,
            weighted_alpha=retrieval.weighted_search_alpha,
            batch_concurrency=self.file_batch_params.max_concurrent_files_per_batch,
            attach_wait_seconds=self.attach_wait_seconds,
            reranker_model=self.default_reranker_model.qualified()
            if self.default_reranker_model
            else None,
            contextual_model=contextual.model.qualified() if contextual.model else None,
            contextual_timeout_seconds=contextual.default_timeout_seconds,
            contextual_concurrency=contextual.default_max_concurrency,
            contextual_max_document_tokens=contextual.max_document_tokens,
            prompts=PromptTemplates(
                header=self.file_search_params.header_template,
                footer=self.file_search_params.footer_template,
                chunk=ctx.chunk_annotation_template,
                context=ctx.context_template,
                annotations=notes.enable_annotations,
                annotation_instruction=notes.annotation_instruction_template,
                annotated_chunk=notes.chunk_annotation_template,
            ),
        )
