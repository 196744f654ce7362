"""What an inference provider implements.

Request bodies travel as the parsed OpenAI JSON object the client sent (so
unknown fields pass through untouched); the router has already resolved the
model and checked access. Streaming results are an async iterator of chunk
payloads, each one JSON object already serialised (no SSE framing): remote
providers pass upstream bytes through without re-serialising, inline providers
serialise their own chunks once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from corral.apis.context import RequestContext

ModelType = Literal["llm", "embedding", "rerank"]


@dataclass(frozen=True)
class ModelTarget:
    """The model a call is for, as the provider needs to see it."""

    #: Public id clients use, e.g. ``ollama/llama3.2:3b``; answers carry this id.
    identifier: str
    #: The id inside the provider's catalogue, e.g. ``llama3.2:3b``.
    provider_model_id: str
    model_type: ModelType = "llm"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InferenceCall:
    """One inference request routed to a provider."""

    model: ModelTarget
    body: dict[str, Any]
    ctx: RequestContext


@dataclass(frozen=True)
class DiscoveredModel:
    """A model a provider reports its upstream serves (``refresh_models``)."""

    provider_model_id: str
    model_type: ModelType = "llm"
    metadata: dict[str, Any] = field(default_factory=dict)


ChunkStream = AsyncIterator[bytes]


@runtime_checkable
class InferenceProvider(Protocol):
    """An inference backend: remote adapter or in-process model."""

    async def chat_completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """A chat completion: a response object, or a chunk stream when ``body["stream"]``."""
        ...

    async def completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """A legacy text completion, same conventions as `chat_completion`."""
        ...

    async def embeddings(self, call: InferenceCall) -> dict[str, Any]:
        """An OpenAI embeddings response object."""
        ...

    async def list_models(self) -> list[DiscoveredModel]:
        """Models the upstream serves now (empty when the provider cannot tell)."""
        ...

    async def shutdown(self) -> None:
        """Release pools, threads and models."""
        ...


@runtime_checkable
class Reranks(Protocol):
    """The optional rerank capability (checked per call: a provider without it answers 400)."""

    async def rerank(self, call: InferenceCall) -> dict[str, Any]:
        """``{"data": [{"index", "relevance_score"}]}``, best first (Llama Stack's shape)."""
        ...
