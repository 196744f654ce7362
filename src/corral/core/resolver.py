"""Instantiate the configured providers in dependency order and build each API's router.

An API's providers are created only after every API they depend on has its
router, and each provider receives those routers (not other providers), so a
safety provider asks the inference *router* for a model like any client would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from corral.auth.access_policy import AccessPolicy
from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, ProviderInstanceConfig
from corral.core.spec import Api, ProviderDeps
from corral.storage.manager import StorageManager

log = logging.getLogger("corral.resolver")


@dataclass(frozen=True)
class ProviderInstance:
    """A running provider and the config it was built from."""

    api: Api
    provider_id: str
    provider_type: str
    impl: Any
    config: ProviderInstanceConfig


def api_order(instances: Iterable[ProviderInstanceConfig], source: str) -> list[Api]:
    """APIs with providers, sorted so that dependencies come first."""
    needs: dict[Api, set[Api]] = {}
    for inst in instances:
        deps = needs.setdefault(inst.api, set())
        deps.update(inst.provider.spec.api_dependencies)
        deps.update(a for a in inst.provider.spec.optional_api_dependencies if a in needs)
    ordered: list[Api] = []
    visiting: set[Api] = set()

    def visit(api: Api) -> None:
        if api in ordered:
            return
        if api in visiting:
            raise ConfigError.single(source, f"provider dependency cycle through {api}", "")
        visiting.add(api)
        for dep in sorted(needs.get(api, ())):
            if dep not in needs:
                raise ConfigError.single(
                    source,
                    f"the {api} providers need the {dep} API, which has no provider",
                    f"add a provider under providers.{dep}",
                    ("providers", str(api)),
                )
            visit(dep)
        visiting.discard(api)
        ordered.append(api)

    for api in sorted(needs):
        visit(api)
    return ordered


async def create_providers(
    loaded: LoadedConfig,
    api: Api,
    routers: dict[Api, Any],
    storage: StorageManager,
    access: AccessPolicy | None = None,
) -> list[ProviderInstance]:
    """Create every provider instance of `api`, in config order."""
    out: list[ProviderInstance] = []
    for inst in loaded.providers:
        if inst.api != api:
            continue
        spec = inst.provider.spec
        wanted = (*spec.api_dependencies, *spec.optional_api_dependencies)
        deps = ProviderDeps(
            provider_id=inst.entry.provider_id,
            apis={a: routers[a] for a in wanted if a in routers},
            storage=storage,
            access=access,
        )
        log.debug("creating %s provider %s (%s)", api, inst.entry.provider_id, spec.provider_type)
        impl = await inst.provider.create(inst.config, deps)
        out.append(ProviderInstance(api, inst.entry.provider_id, spec.provider_type, impl, inst))
    return out
