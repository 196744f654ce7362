"""Resources pre-registered by the run config: models, shields, vector stores, ...

They may stand at the top level (``models:``, ``shields:``, ...) as the
reference documents, or under ``registered_resources:`` as newer Llama Stack
releases write them; both are merged. A resource whose id resolves to
``__disabled__`` (or to nothing) is not registered.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field

from corral.config.base import ConfigModel
from corral.config.envsubst import DISABLED


class ModelResource(ConfigModel):
    """A model: exposed as ``provider_id/provider_model_id``."""

    model_id: str
    provider_id: str | None = None
    provider_model_id: str | None = None
    model_type: Literal["llm", "embedding", "rerank"] = "llm"
    metadata: dict[str, Any] = Field(default_factory=dict)

    def is_disabled(self) -> bool:
        """True when the config switched this model off."""
        return DISABLED in (self.model_id, self.provider_model_id, self.provider_id)


class ShieldResource(ConfigModel):
    """A shield served by a safety provider."""

    shield_id: str
    provider_id: str | None = None
    provider_shield_id: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    def is_disabled(self) -> bool:
        """True when the config switched this shield off."""
        return DISABLED in (self.shield_id, self.provider_shield_id, self.provider_id)


class VectorStoreResource(ConfigModel):
    """A vector store served by a vector_io provider."""

    vector_store_id: str = Field(validation_alias=AliasChoices("vector_store_id", "vector_db_id"))
    embedding_model: str | None = None
    embedding_dimension: int | None = None
    provider_id: str | None = None
    provider_vector_store_id: str | None = None
    vector_store_name: str | None = None

    def is_disabled(self) -> bool:
        """True when the config switched this store off."""
        return DISABLED in (self.vector_store_id, self.provider_id)


class ToolGroupResource(ConfigModel):
    """A tool group (served only once a tool_runtime API exists)."""

    toolgroup_id: str
    provider_id: str
    args: dict[str, Any] | None = None
    mcp_endpoint: dict[str, Any] | None = None

    def is_disabled(self) -> bool:
        """True when the config switched this group off."""
        return DISABLED in (self.toolgroup_id, self.provider_id)


class DatasetResource(ConfigModel):
    """A dataset (accepted for compatibility; no corral API serves datasets yet)."""

    dataset_id: str
    provider_id: str | None = None
    purpose: str | None = None
    source: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ScoringFunctionResource(ConfigModel):
    """A scoring function (accepted for compatibility; not served yet)."""

    scoring_fn_id: str
    provider_id: str | None = None
    provider_scoring_fn_id: str | None = None
    description: str | None = None
    params: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class BenchmarkResource(ConfigModel):
    """A benchmark (accepted for compatibility; not served yet)."""

    benchmark_id: str
    dataset_id: str | None = None
    scoring_functions: list[str] = Field(default_factory=list)
    provider_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RegisteredResources(ConfigModel):
    """``registered_resources:`` (and the same lists at the top level)."""

    models: list[ModelResource] = Field(default_factory=list)
    shields: list[ShieldResource] = Field(default_factory=list)
    vector_stores: list[VectorStoreResource] = Field(default_factory=list)
    tool_groups: list[ToolGroupResource] = Field(default_factory=list)
    datasets: list[DatasetResource] = Field(default_factory=list)
    scoring_fns: list[ScoringFunctionResource] = Field(default_factory=list)
    benchmarks: list[BenchmarkResource] = Field(default_factory=list)
