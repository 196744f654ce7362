"""Wire types of ``/v1/batches`` (OpenAI's shapes, as the ``openai`` SDK reads them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: The endpoints a batch may target.
ENDPOINTS: tuple[str, ...] = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")

BatchStatus = Literal[
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
]

#: Statuses in which a batch still has work for some server to do.
UNFINISHED: tuple[str, ...] = ("validating", "in_progress", "finalizing", "cancelling")


class CreateBatchRequest(BaseModel):
    """``POST /v1/batches``."""

    input_file_id: str = Field(description="A Files API file (purpose `batch`) of JSONL requests.")
    endpoint: Literal["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] = Field(
        description="The endpoint every line calls."
    )
    completion_window: Literal["24h"] = Field(description="Only `24h`.")
    metadata: dict[str, str] | None = Field(None, description="Up to 16 string pairs.")
    idempotency_key: str | None = Field(
        None,
        description="Llama Stack's extension: the same key with the same parameters returns "
        "the batch created first (a different request under the same key is a 409).",
    )


class BatchError(BaseModel):
    """One problem with the input (a line that does not fit, a missing file)."""

    code: str
    message: str
    param: str | None = None
    line: int | None = None


class BatchErrors(BaseModel):
    """The ``errors`` of a batch that failed validation."""

    object: Literal["list"] = "list"
    data: list[BatchError]


class RequestCounts(BaseModel):
    """Progress: lines in the input, lines answered, lines that failed."""

    total: int = 0
    completed: int = 0
    failed: int = 0


class BatchObject(BaseModel):
    """A batch, as ``GET /v1/batches/{id}`` returns it."""

    id: str
    object: Literal["batch"] = "batch"
    endpoint: str
    errors: BatchErrors | None = None
    input_file_id: str
    completion_window: str
    status: BatchStatus
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: RequestCounts = Field(default_factory=RequestCounts)
    metadata: dict[str, Any] | None = None
    #: The model every line named (None when they name several).
    model: str | None = None
    #: Tokens summed over the answered lines (from each answer's ``usage``).
    usage: dict[str, Any] | None = None


class BatchList(BaseModel):
    """``GET /v1/batches``: one page, newest first."""

    object: Literal["list"] = "list"
    data: list[BatchObject]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
