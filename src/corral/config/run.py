"""The run config: the root model of the YAML file corral serves.

Cross-section rules live here (a store reference must name a backend of the
right family, a resource must name a configured provider). Provider-specific
``config:`` blocks are validated afterwards against each provider's own model
(see `corral.config.loader`), because only the provider registry knows them.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from corral.config.base import ConfigModel
from corral.config.connectors import ConnectorEntry
from corral.config.envsubst import DISABLED
from corral.config.resources import (
    BenchmarkResource,
    DatasetResource,
    ModelResource,
    RegisteredResources,
    ScoringFunctionResource,
    ShieldResource,
    ToolGroupResource,
    VectorStoreResource,
)
from corral.config.safety import SafetyConfig
from corral.config.server import ServerConfig
from corral.config.storage import KVReference, SqlReference, StorageConfig
from corral.config.telemetry import TelemetryConfig
from corral.config.tools import ToolsConfig
from corral.config.vector_stores import VectorStoresDefaults


class ProviderEntry(ConfigModel):
    """One provider instance: an (id, type, config) triple."""

    provider_id: str
    """Any name you choose; `__disabled__` (e.g. from `${env.X:=__disabled__}`) switches the
    provider off.
    """
    provider_type: str = Field(pattern=r"^(inline|remote)::[A-Za-z0-9_.\-]+$")
    """`inline::<name>` or `remote::<name>`; `corral list-providers` shows the installed ones."""
    config: dict[str, Any] = Field(default_factory=dict)
    """The provider's own settings; see its page under docs/providers/."""
    module: str | None = None
    """An external provider's Python package (`name` or `name==version`): corral imports it and
    uses the `SPEC` and `create` it exports (see docs/providers/external.md).
    """

    def is_disabled(self) -> bool:
        """True when the provider id resolved to ``__disabled__``."""
        return self.provider_id == DISABLED


class LoggingConfig(ConfigModel):
    """``logging:``: log levels per category (Llama Stack's category names)."""

    category_levels: dict[str, str] = Field(default_factory=dict)
    """`{category: level}`, e.g. `{core: debug, inference: warning, all: info}`; see
    docs/configuration.md for the loggers each category sets.
    """

    @field_validator("category_levels")
    @classmethod
    def _known_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for category, level in value.items():
            if level.upper() not in LOG_LEVELS:
                raise ValueError(
                    f"{category}: unknown level {level!r}; use one of {', '.join(LOG_LEVELS)}"
                )
        return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class RunConfig(ConfigModel):
    """The whole run config."""

    version: int = 2
    """Run-config format version; only 2 is accepted."""
    distro_name: str | None = Field(
        None, validation_alias=AliasChoices("distro_name", "image_name")
    )
    """Name of the distribution this config describes (`image_name` is accepted too)."""
    apis: list[str] = Field(default_factory=list)
    """APIs to serve. Llama Stack APIs corral does not serve yet load with a warning."""
    providers: dict[str, list[ProviderEntry]] = Field(default_factory=dict)
    """Provider instances per API: `{api: [{provider_id, provider_type, config}]}`."""
    storage: StorageConfig = Field(default_factory=StorageConfig)
    """Named storage backends and the server's stores."""
    server: ServerConfig = Field(default_factory=ServerConfig)
    """Listening address, TLS, CORS, workers, authentication and quota."""
    registered_resources: RegisteredResources = Field(default_factory=RegisteredResources)
    """Resources to register at startup (the form newer releases write)."""
    models: list[ModelResource] = Field(default_factory=list)
    """Models to register at startup; exposed as `provider_id/provider_model_id`."""
    shields: list[ShieldResource] = Field(default_factory=list)
    """Shields to register at startup."""
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    """The default moderation shield and the shields guarding chat completions."""
    vector_stores: list[VectorStoreResource] | VectorStoresDefaults = Field(default_factory=list)
    """Vector stores to register at startup (a list), or the defaults mapping newer releases write.
    """
    connectors: list[ConnectorEntry] = Field(default_factory=list)
    """MCP servers registered at startup, usable as `{"type": "mcp", "connector_id": ...}` tools
    and listed by `GET /v1beta/connectors`; see docs/tools.md.
    """
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    """Server-side tools: the outbound URL policy, MCP timeouts and result limits."""
    tool_groups: list[ToolGroupResource] = Field(default_factory=list)
    """Tool groups to register at startup: `{toolgroup_id, provider_id}` of a tool_runtime provider
    (`builtin::websearch` is the group the Responses API's `web_search` tool uses).
    """
    datasets: list[DatasetResource] = Field(default_factory=list)
    """Datasets to register at startup (served by a datasetio provider; see docs/evaluation.md)."""
    scoring_fns: list[ScoringFunctionResource] = Field(default_factory=list)
    """Scoring functions to register at startup (served by the scoring providers)."""
    benchmarks: list[BenchmarkResource] = Field(default_factory=list)
    """Benchmarks to register at startup (run by an eval provider)."""
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    """Request ids, access log, Prometheus metrics, OpenTelemetry traces, per-client usage."""
    container_image: str | None = None
    """Informational: the image this config was built for."""
    external_providers_dir: str | None = None
    """Folder of external provider specs, `<remote|inline>/<api>/<name>.yaml`, as Llama Stack lays
    it out (see docs/providers/external.md); next to the `corral.providers` entry points.
    """
    external_apis_dir: str | None = None
    """Llama Stack's folder of external API specs; corral cannot serve an API defined outside it,
    so the APIs found there are named in a startup warning.
    """
    logging: LoggingConfig | None = None
    """Log levels per category."""

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != 2:
            raise ValueError(f"run config version {value} is not supported; use `version: 2`")
        return value

    @field_validator("providers", mode="before")
    @classmethod
    def _drop_disabled_providers(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            api: [e for e in entries if not (isinstance(e, dict) and _disabled_entry(e))]
            if isinstance(entries, list)
            else entries
            for api, entries in value.items()
        }

    @model_validator(mode="after")
    def _references_resolve(self) -> RunConfig:
        problems = list(self._reference_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reference_problems(self) -> list[str]:
        out = []
        stores = self.storage.stores
        for name in type(stores).model_fields:
            ref = getattr(stores, name)
            if isinstance(ref, KVReference | SqlReference):
                problem = self.reference_problem(ref, f"storage.stores.{name}")
                if problem:
                    out.append(problem)
        return out

    def reference_problem(self, ref: KVReference | SqlReference, where: str) -> str | None:
        """Why `ref` is not a valid reference from `where`, or None when it is."""
        family = self.storage.family_of(ref.backend)
        if family is None:
            known = ", ".join(sorted(self.storage.backends)) or "none declared"
            return (
                f"{where} references backend {ref.backend!r}, which is not declared under "
                f"storage.backends (declared: {known})"
            )
        if family != ref.family:
            return (
                f"{where} needs a {ref.family.upper()} backend but {ref.backend!r} is a "
                f"{family.upper()} backend ({self.storage.backends[ref.backend].type})"
            )
        return None

    def provider_ids(self, api: str) -> list[str]:
        """Ids of the enabled providers of `api`."""
        return [p.provider_id for p in self.providers.get(api, []) if not p.is_disabled()]

    def all_models(self) -> list[ModelResource]:
        """Top-level and registered_resources models, without disabled ones."""
        merged = self.models + self.registered_resources.models
        return [m for m in merged if not m.is_disabled()]

    def all_shields(self) -> list[ShieldResource]:
        """Top-level and registered_resources shields, without disabled ones."""
        merged = self.shields + self.registered_resources.shields
        return [s for s in merged if not s.is_disabled()]

    def enabled_connectors(self) -> list[ConnectorEntry]:
        """Connectors without the switched-off ones."""
        return [c for c in self.connectors if not c.is_disabled()]

    def all_vector_stores(self) -> list[VectorStoreResource]:
        """Top-level and registered_resources vector stores, without disabled ones."""
        top = self.vector_stores if isinstance(self.vector_stores, list) else []
        registered = self.registered_resources.vector_stores + self.registered_resources.vector_dbs
        return [v for v in top + registered if not v.is_disabled()]

    def vector_store_defaults(self) -> VectorStoresDefaults:
        """The ``vector_stores:`` mapping, or its defaults when the section is a list."""
        if isinstance(self.vector_stores, VectorStoresDefaults):
            return self.vector_stores
        return VectorStoresDefaults()


def _disabled_entry(entry: dict[str, Any]) -> bool:
    return entry.get("provider_id") == DISABLED
