"""The provider registry: built-in provider modules plus the ``corral.providers`` entry points.

Built-ins and plugins register the same way: a module exporting ``SPEC`` and
``create``. Loading happens once, at startup, owned by whoever calls
`load_provider_registry` (never at import). A module that fails to import or a
provider type declared twice is an error that names its source.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points
from types import ModuleType

from corral.apis.spec import Api, ProviderSpec, RegisteredProvider
from corral.config.base import ConfigModel

log = logging.getLogger("corral.registry")

BUILTIN_PROVIDER_MODULES: tuple[str, ...] = (
    "corral.providers.remote.inference.openai",
    "corral.providers.remote.inference.openai_compatible",
    "corral.providers.remote.inference.vllm",
    "corral.providers.remote.inference.ollama",
    "corral.providers.remote.inference.together",
    "corral.providers.remote.inference.fireworks",
    "corral.providers.remote.inference.groq",
    "corral.providers.inline.inference.sentence_transformers",
    "corral.providers.inline.inference.llama_cpp",
    "corral.providers.inline.safety.llama_guard",
    "corral.providers.inline.safety.rules",
    "corral.providers.remote.safety.bedrock",
    "corral.providers.inline.files.localfs",
    "corral.providers.inline.vector_io.sqlite_vec",
    "corral.providers.inline.vector_io.faiss",
    "corral.providers.remote.vector_io.pgvector",
    "corral.providers.inline.responses.builtin",
    "corral.providers.inline.batches.reference",
    "corral.providers.inline.datasetio.localfs",
    "corral.providers.remote.datasetio.huggingface",
    "corral.providers.inline.scoring.basic",
    "corral.providers.inline.scoring.llm_as_judge",
    "corral.providers.inline.eval.builtin",
    "corral.providers.remote.tool_runtime.tavily_search",
    "corral.providers.remote.tool_runtime.brave_search",
    "corral.providers.remote.tool_runtime.bing_search",
)

ENTRY_POINT_GROUP = "corral.providers"


class ProviderRegistryError(Exception):
    """A provider module could not be loaded or clashes with another."""


class ProviderRegistry:
    """Provider kinds by (api, provider_type); the `ProviderCatalogue` the loader reads."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[Api, str], RegisteredProvider] = {}

    def add_module(self, module: ModuleType, source: str) -> None:
        """Register the provider a module declares; duplicates are errors."""
        spec = getattr(module, "SPEC", None)
        create = getattr(module, "create", None)
        if not isinstance(spec, ProviderSpec) or not callable(create):
            raise ProviderRegistryError(
                f"{source}: module {module.__name__} must export SPEC (a ProviderSpec) "
                "and an async create(config, deps)"
            )
        if not (isinstance(spec.config, type) and issubclass(spec.config, ConfigModel)):
            raise ProviderRegistryError(
                f"{source}: {spec.provider_type}'s SPEC.config must be a ConfigModel subclass"
            )
        key = (spec.api, spec.provider_type)
        existing = self._by_key.get(key)
        if existing is not None:
            raise ProviderRegistryError(
                f"provider {spec.api}/{spec.provider_type} is declared twice: by "
                f"{existing.source} and by {source}"
            )
        self._by_key[key] = RegisteredProvider(spec, create, source)
        log.debug("registered %s %s from %s", spec.api, spec.provider_type, source)

    def get(self, api: Api, provider_type: str) -> RegisteredProvider | None:
        """The provider kind, or None."""
        return self._by_key.get((api, provider_type))

    def types_for(self, api: Api) -> list[str]:
        """Provider types that serve `api`, sorted."""
        return sorted(t for (a, t) in self._by_key if a == api)

    def all(self) -> list[RegisteredProvider]:
        """Every registered provider kind, sorted by api then type."""
        return [self._by_key[k] for k in sorted(self._by_key)]


def load_provider_registry(
    builtin_modules: tuple[str, ...] | None = None, *, plugins: bool = True
) -> ProviderRegistry:
    """Import the built-in provider modules and the installed plugins."""
    registry = ProviderRegistry()
    modules = BUILTIN_PROVIDER_MODULES if builtin_modules is None else builtin_modules
    for name in modules:
        registry.add_module(_import(name, f"built-in {name}"), f"built-in {name}")
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else "?"
            source = f"entry point {ep.name!r} of package {dist!r}"
            registry.add_module(_import(ep.value, source), source)
    return registry


def _import(name: str, source: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ProviderRegistryError(f"{source}: cannot import {name}: {exc!r}") from exc
