"""`VectorStoreSettings`: the run config's ``vector_stores:`` tuning, as providers receive it.

The config layer validates the section (`corral.config.vector_stores`) and
turns it into this value; vector_io providers read chunking, retrieval and
batch settings from it, the responses provider reads the ``file_search``
prompt templates. The defaults are Llama Stack 0.7's.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PromptTemplates:
    """What ``file_search`` hands the model: header, one block per result, footer, context."""

    header: str = (
        "file_search tool found {num_chunks} chunks:\nBEGIN of file_search tool results.\n"
    )
    footer: str = "END of file_search tool results.\n"
    chunk: str = "Result {index}\nContent: {chunk.content}\nMetadata: {metadata}\n"
    context: str = (
        'The above results were retrieved to help answer the user\'s query: "{query}". '
        "Use them as supporting information only in answering this query. "
        "{annotation_instruction}\n"
    )
    annotations: bool = True
    annotation_instruction: str = (
        "Cite sources immediately at the end of sentences before punctuation, using "
        "`<|file-id|>` format like 'This is a fact <|file-Cn3MSNn72ENTiiq11Qda4A|>.'. "
        "Do not add extra punctuation. Use only the file IDs provided, do not invent new ones."
    )
    annotated_chunk: str = "[{index}] {metadata_text} cite as <|{file_id}|>\n{chunk_text}\n"


@dataclass(frozen=True)
class VectorStoreSettings:
    """Chunking, retrieval, batch and prompt settings shared by every vector_io provider."""

    #: Chunk size and overlap of the ``auto`` strategy (and of files attached without one).
    chunk_size_tokens: int = 800
    chunk_overlap_tokens: int = 400
    #: Candidates fetched per wanted result (filters and fusion then cut them down).
    chunk_multiplier: int = 5
    #: Tokens of file_search results handed to the model at most.
    max_tokens_in_context: int = 4000
    #: Hybrid fusion when a search names none: ``rrf``, ``weighted`` or ``normalized``.
    ranker: str = "rrf"
    rrf_impact_factor: float = 60.0
    weighted_alpha: float = 0.5
    #: Files of one batch indexed at the same time.
    batch_concurrency: int = 3
    #: Seconds an attach waits for indexing to finish (0: answer ``in_progress`` at once).
    attach_wait_seconds: float = 2.0
    #: ``provider/model`` of the rerank model of ``ranker: neural`` searches.
    reranker_model: str | None = None
    #: The ``contextual`` chunking strategy's default model and limits.
    contextual_model: str | None = None
    contextual_timeout_seconds: int = 120
    contextual_concurrency: int = 3
    contextual_max_document_tokens: int = 100000
    prompts: PromptTemplates = field(default_factory=PromptTemplates)
