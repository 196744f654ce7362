"""What a provider declares about itself, and what it is given when created.

Every provider package exports ``SPEC: ProviderSpec`` and
``async def create(config, deps) -> implementation``; built-in providers and
third-party ones (entry-point group ``corral.providers``) use the same two
names, so nothing is discovered by reflection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from corral.config.base import ConfigModel

if TYPE_CHECKING:
    from corral.auth.access_policy import AccessPolicy
    from corral.storage.manager import StorageManager


class Api(StrEnum):
    """The APIs corral serves through providers."""

    inference = "inference"
    safety = "safety"
    vector_io = "vector_io"
    files = "files"
    responses = "responses"
    conversations = "conversations"
    prompts = "prompts"


#: Routing-table API → the provider API it routes (the "auto-routed pairs").
ROUTING_TABLES: Mapping[str, Api] = {
    "models": Api.inference,
    "shields": Api.safety,
    "vector_stores": Api.vector_io,
}

#: Older API names read as today's (``providers.agents`` is ``providers.responses``).
API_ALIASES: Mapping[str, Api] = {"agents": Api.responses}

#: Older provider types read as today's, per API.
PROVIDER_TYPE_ALIASES: Mapping[tuple[Api, str], str] = {
    (Api.responses, "inline::meta-reference"): "inline::builtin",
}

#: APIs served by corral itself, without a provider (their stores come from ``storage``).
BUILTIN_APIS = frozenset({Api.conversations, Api.prompts})

#: Llama Stack APIs that corral does not serve (yet); a config naming them still loads.
UNSERVED_APIS = frozenset(
    {
        "telemetry",
        "eval",
        "datasetio",
        "scoring",
        "post_training",
        "tool_runtime",
        "batches",
        "datasets",
        "scoring_functions",
        "benchmarks",
        "tool_groups",
        "memory",
    }
)


@dataclass(frozen=True)
class ProviderDeps:
    """Everything a provider factory receives besides its own config."""

    provider_id: str
    apis: Mapping[Api, Any]
    storage: StorageManager
    #: The server's access_policy, for providers that store owner-stamped records (files).
    access: AccessPolicy | None = None


ProviderFactory = Callable[[Any, ProviderDeps], Awaitable[Any]]


class ProviderStartupError(Exception):
    """A provider cannot start for a reason the operator must fix.

    Raised by a factory for a missing optional package or model file; the
    server reports the message as one line (no traceback) and exits.
    """


@dataclass(frozen=True)
class ProviderSpec:
    """A provider kind: which API it serves, its config model and its needs."""

    api: Api
    provider_type: str
    config: type[ConfigModel]
    description: str
    api_dependencies: tuple[Api, ...] = ()
    optional_api_dependencies: tuple[Api, ...] = ()
    extras: tuple[str, ...] = field(default=())

    @property
    def is_remote(self) -> bool:
        """True for adapters of an external service."""
        return self.provider_type.startswith("remote::")
