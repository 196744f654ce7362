"""Wire types of ``/v1/models``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from corral.apis.resources import Resource


class RegisterModelRequest(BaseModel):
    """``POST /v1/models``: register a model served by a configured inference provider."""

    model_config = ConfigDict(extra="forbid")

    model_id: str = Field(min_length=1)
    provider_id: str | None = None
    provider_model_id: str | None = None
    model_type: Literal["llm", "embedding", "rerank"] = "llm"
    metadata: dict[str, Any] = Field(default_factory=dict)


class ModelCustomMetadata(BaseModel):
    """The Llama Stack part of a model entry: its keys, then the model's metadata spread out.

    Llama Stack 0.7 spreads the model's metadata into ``custom_metadata`` (clients read
    ``custom_metadata["embedding_dimension"]``); corral does the same and keeps the
    whole dict under ``metadata`` too, as its earlier answers had it.
    """

    model_config = ConfigDict(extra="allow")

    model_type: str
    provider_id: str
    provider_resource_id: str
    metadata: dict[str, Any]


class OpenAIModel(BaseModel):
    """One model in the OpenAI ``/v1/models`` shape, plus ``custom_metadata``."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    custom_metadata: ModelCustomMetadata


class ModelList(BaseModel):
    """``GET /v1/models``."""

    object: Literal["list"] = "list"
    data: list[OpenAIModel]


def model_payload(resource: Resource) -> dict[str, Any]:
    """The wire form of a registered model."""
    metadata = resource.data.get("metadata", {})
    custom = {
        **metadata,
        "model_type": resource.data.get("model_type", "llm"),
        "provider_id": resource.provider_id,
        "provider_resource_id": resource.provider_resource_id,
        "metadata": metadata,
    }
    return {
        "id": resource.identifier,
        "object": "model",
        "created": resource.created,
        "owned_by": resource.provider_id,
        "custom_metadata": custom,
        # The flat fields older llama-stack-client releases (0.2.x) read.
        "identifier": resource.identifier,
        "type": "model",
        "model_type": custom["model_type"],
        "provider_id": resource.provider_id,
        "provider_resource_id": resource.provider_resource_id,
        "metadata": metadata,
    }
