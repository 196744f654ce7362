"""Wire types of the inference routes: the request shapes checked at the edge, and listings.

Request bodies are checked against these shapes (types, enums, ranges,
required fields) and then forwarded as the client sent them; fields the shapes
do not name pass through (`corral.apis.shapes`). Messages are in `messages.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Required

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from corral.apis.inference.messages import Message, ResponseFormat, StreamOptions, Tool
from corral.apis.shapes import (
    Count,
    OpenShape,
    Penalty,
    PositiveInt,
    Probability,
    Stop,
    Temperature,
)


class ChatCompletionRequest(TypedDict, total=False):
    """``POST /v1/chat/completions`` (OpenAI format; other fields pass through)."""

    model: Required[str]
    messages: Required[Annotated[list[Message], Field(min_length=1)]]
    stream: bool | None
    stream_options: StreamOptions | None
    temperature: Temperature | None
    top_p: Probability | None
    n: Count | None
    max_tokens: PositiveInt | None
    max_completion_tokens: PositiveInt | None
    stop: Stop | None
    presence_penalty: Penalty | None
    frequency_penalty: Penalty | None
    logit_bias: dict[str, float] | None
    logprobs: bool | None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None
    seed: int | None
    user: str | None
    tools: list[Tool] | None
    tool_choice: Literal["none", "auto", "required"] | OpenShape | None
    parallel_tool_calls: bool | None
    response_format: ResponseFormat | None
    metadata: dict[str, str] | None
    store: bool | None
    modalities: list[str] | None
    reasoning_effort: str | None
    service_tier: str | None


class CompletionRequest(TypedDict, total=False):
    """``POST /v1/completions`` (OpenAI format; other fields pass through)."""

    model: Required[str]
    prompt: Required[str | list[str] | list[int] | list[list[int]]]
    stream: bool | None
    stream_options: StreamOptions | None
    temperature: Temperature | None
    top_p: Probability | None
    n: Count | None
    best_of: Count | None
    max_tokens: Annotated[int, Field(ge=0)] | None
    stop: Stop | None
    presence_penalty: Penalty | None
    frequency_penalty: Penalty | None
    logit_bias: dict[str, float] | None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None
    echo: bool | None
    suffix: str | None
    seed: int | None
    user: str | None


class EmbeddingsRequest(TypedDict, total=False):
    """``POST /v1/embeddings`` (OpenAI format; other fields pass through)."""

    model: Required[str]
    input: Required[
        Annotated[str, Field(min_length=1)]
        | Annotated[list[str] | list[int] | list[list[int]], Field(min_length=1)]
    ]
    encoding_format: Literal["float", "base64"] | None
    dimensions: PositiveInt | None
    user: str | None


class StoredCompletionList(BaseModel):
    """``GET /v1/chat/completions``."""

    object: str = "list"
    data: list[dict[str, Any]]
    has_more: bool
    first_id: str | None
    last_id: str | None


class RerankRequest(BaseModel):
    """``POST /v1alpha/inference/rerank`` (Llama Stack 0.7)."""

    model_config = ConfigDict(extra="allow")

    model: str
    query: str | dict[str, Any]
    items: list[str | dict[str, Any]] = Field(min_length=1)
    max_num_results: int | None = Field(None, ge=1)


class RerankData(BaseModel):
    """One item's place: its index in the request and its relevance."""

    index: int
    relevance_score: float


class RerankResponse(BaseModel):
    """Items by relevance, best first."""

    data: list[RerankData]
