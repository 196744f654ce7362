"""Wire types of the inference routes, for the OpenAPI document and the SDKs.

The routes do not validate bodies against these models (bodies pass through to
providers untouched); they describe the accepted shape. Unknown fields are allowed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChatCompletionRequest(_Open):
    """``POST /v1/chat/completions`` (OpenAI format)."""

    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None


class CompletionRequest(_Open):
    """``POST /v1/completions`` (OpenAI format)."""

    model: str
    prompt: str | list[Any]
    stream: bool = False
    max_tokens: int | None = None


class EmbeddingsRequest(_Open):
    """``POST /v1/embeddings`` (OpenAI format)."""

    model: str
    input: str | list[Any]
    encoding_format: str | None = None
    dimensions: int | None = None


class StoredCompletionList(BaseModel):
    """``GET /v1/chat/completions``."""

    object: str = "list"
    data: list[dict[str, Any]]
    has_more: bool
    first_id: str | None
    last_id: str | None
