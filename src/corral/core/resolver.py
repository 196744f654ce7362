"""Instantiate the configured providers of one API, given the routers they depend on.

The `Stack` calls this API by API in the order the loader computed
(`LoadedConfig.api_order`, dependencies first), so every API a provider depends
on already has its router; the provider receives those routers (not other
providers), so a safety provider asks the inference *router* for a model like
any client would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from corral.apis.spec import (
    AccessCheck,
    Api,
    ProviderDeps,
    ProviderStorage,
    QuotaGate,
    Routers,
)
from corral.config.loader import LoadedConfig, ProviderInstanceConfig

log = logging.getLogger("corral.resolver")


@dataclass(frozen=True)
class ProviderInstance:
    """A running provider and the config it was built from."""

    api: Api
    provider_id: str
    provider_type: str
    #: Checked against the API's Protocol when its router is built.
    impl: object
    config: ProviderInstanceConfig


async def create_providers(
    loaded: LoadedConfig,
    api: Api,
    routers: Routers,
    storage: ProviderStorage,
    access: AccessCheck,
    quota: QuotaGate | None = None,
) -> list[ProviderInstance]:
    """Create every provider instance of `api`, in config order."""
    out: list[ProviderInstance] = []
    vector_stores = loaded.run.vector_store_defaults().settings()
    for inst in loaded.providers:
        if inst.api != api:
            continue
        spec = inst.provider.spec
        wanted = (*spec.api_dependencies, *spec.optional_api_dependencies)
        deps = ProviderDeps(
            provider_id=inst.entry.provider_id,
            routers=routers.only(wanted),
            storage=storage,
            access=access,
            quota=quota,
            vector_stores=vector_stores,
        )
        log.debug("creating %s provider %s (%s)", api, inst.entry.provider_id, spec.provider_type)
        impl = await inst.provider.create(inst.config, deps)
        out.append(ProviderInstance(api, inst.entry.provider_id, spec.provider_type, impl, inst))
    return out
