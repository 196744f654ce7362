"""Resources pre-registered by the run config: models, shields, vector stores, ...

They may stand at the top level (``models:``, ``shields:``, ...) as the
reference documents, or under ``registered_resources:`` as newer Llama Stack
releases write them; both are merged. A resource whose id resolves to
``__disabled__`` (or to nothing) is not registered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator

from corral.config.base import ConfigModel
from corral.config.envsubst import DISABLED


class ModelResource(ConfigModel):
    """A model: exposed as ``provider_id/provider_model_id``."""

    model_id: str
    """Your name for the model; also the default of `provider_model_id`. `__disabled__` skips the
    entry.
    """
    provider_id: str | None = None
    """The inference provider serving it; optional when exactly one is configured."""
    provider_model_id: str | None = None
    """The id in the provider's catalogue (defaults to `model_id`)."""
    model_type: Literal["llm", "embedding", "rerank"] = "llm"
    """`llm` for chat/completions, `embedding` for embeddings."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form metadata (e.g. `embedding_dimension`), returned in `custom_metadata`."""
    input_shields: list[str] = Field(default_factory=list)
    """Shields run on this model's chat completion requests, after those of `safety.input_shields`.
    """
    output_shields: list[str] = Field(default_factory=list)
    """Shields run on this model's chat completion answers, after those of
    `safety.output_shields`.
    """

    def is_disabled(self) -> bool:
        """True when the config switched this model off."""
        return DISABLED in (self.model_id, self.provider_model_id, self.provider_id)


class ShieldResource(ConfigModel):
    """A shield served by a safety provider."""

    shield_id: str
    """The shield's id (defaults to `provider_shield_id`); `__disabled__` skips the entry."""
    provider_id: str | None = None
    """The safety provider serving it; optional when exactly one is configured."""
    provider_shield_id: str | None = None
    """The id inside the provider (defaults to `shield_id`)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific parameters (e.g. Bedrock's `guardrailVersion`)."""

    @model_validator(mode="before")
    @classmethod
    def _id_from_provider_shield_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("shield_id"):
            if not data.get("provider_shield_id"):
                raise ValueError("set shield_id (or provider_shield_id, which it defaults to)")
            return {**data, "shield_id": data["provider_shield_id"]}
        return data

    def is_disabled(self) -> bool:
        """True when the config switched this shield off."""
        return DISABLED in (self.shield_id, self.provider_shield_id, self.provider_id)


class VectorStoreResource(ConfigModel):
    """A vector store served by a vector_io provider."""

    vector_store_id: str = Field(validation_alias=AliasChoices("vector_store_id", "vector_db_id"))
    """The store's id (`vector_db_id` is accepted too)."""
    embedding_model: str | None = None
    """Model id used to embed the store's content."""
    embedding_dimension: int | None = None
    """Dimension of that model's vectors."""
    provider_id: str | None = None
    """The vector_io provider serving it."""
    provider_vector_store_id: str | None = Field(
        None, validation_alias=AliasChoices("provider_vector_store_id", "provider_vector_db_id")
    )
    """The id inside the provider (`provider_vector_db_id` is accepted too)."""
    vector_store_name: str | None = None
    """Human-readable name."""

    def is_disabled(self) -> bool:
        """True when the config switched this store off."""
        return DISABLED in (self.vector_store_id, self.provider_id)


class ToolGroupResource(ConfigModel):
    """A tool group served by a tool_runtime provider (listed by `GET /v1/tools`)."""

    toolgroup_id: str
    """The group's id."""
    provider_id: str
    """The tool runtime provider serving it."""
    args: dict[str, Any] | None = None
    """Provider-specific arguments."""
    mcp_endpoint: dict[str, Any] | None = None
    """`{uri}` of an MCP server, for MCP tool groups."""

    def is_disabled(self) -> bool:
        """True when the config switched this group off."""
        return DISABLED in (self.toolgroup_id, self.provider_id)


class DatasetResource(ConfigModel):
    """A dataset registered at startup (its rows are read by the datasetio provider)."""

    dataset_id: str
    """The dataset's id."""
    provider_id: str | None = None
    """The datasetio provider."""
    purpose: str | None = None
    """What the dataset is for."""
    source: dict[str, Any] | None = None
    """Where the rows come from."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form metadata."""


class ScoringFunctionResource(ConfigModel):
    """A scoring function registered at startup (see docs/evaluation.md)."""

    scoring_fn_id: str
    """The function's id."""
    provider_id: str | None = None
    """The scoring provider."""
    provider_scoring_fn_id: str | None = None
    """The id inside the provider."""
    description: str | None = None
    """What it measures."""
    params: dict[str, Any] | None = None
    """Parameters."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form metadata."""


class BenchmarkResource(ConfigModel):
    """A benchmark registered at startup: a dataset and the scoring functions for it."""

    benchmark_id: str
    """The benchmark's id."""
    dataset_id: str | None = None
    """Dataset it runs on."""
    scoring_functions: list[str] = Field(default_factory=list)
    """Scoring function ids."""
    provider_id: str | None = None
    """The eval provider."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form metadata."""


class RegisteredResources(ConfigModel):
    """``registered_resources:`` (and the same lists at the top level)."""

    models: list[ModelResource] = Field(default_factory=list)
    """Models, as in the top-level `models` list."""
    shields: list[ShieldResource] = Field(default_factory=list)
    """Shields, as in the top-level `shields` list."""
    vector_stores: list[VectorStoreResource] = Field(default_factory=list)
    """Vector stores."""
    vector_dbs: list[VectorStoreResource] = Field(default_factory=list)
    """The older name of `vector_stores`, read as it (`corral config migrate` rewrites it)."""
    tool_groups: list[ToolGroupResource] = Field(default_factory=list)
    """Tool groups."""
    datasets: list[DatasetResource] = Field(default_factory=list)
    """Datasets."""
    scoring_fns: list[ScoringFunctionResource] = Field(default_factory=list)
    """Scoring functions."""
    benchmarks: list[BenchmarkResource] = Field(default_factory=list)
    """Benchmarks."""
