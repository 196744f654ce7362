"""`Stack`: everything one running server owns, started and stopped as a unit.

Start order: storage backends → resource registry → phase 1, API by API in
dependency order: the API's providers (given the routers of the APIs they
depend on), then its router (which registers the config's resources) → phase
2: each router's connect step, once every router exists (the chat guard gets
the safety router). Stop runs in reverse. Nothing is created at import time.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Awaitable

from corral.apis.health import ReportsHealth
from corral.apis.spec import BUILTIN_APIS, Api, Routers
from corral.apis.storage import KVStore
from corral.auth.access_policy import AccessPolicy
from corral.auth.providers.base import AuthProvider
from corral.auth.providers.factory import build_auth_provider
from corral.auth.quota import QuotaPolicy
from corral.auth.route_policy import RoutePolicy
from corral.config.auth import AuthConfig
from corral.config.loader import LoadedConfig
from corral.config.quota import QuotaConfig
from corral.config.storage import KVReference
from corral.core.resolver import ProviderInstance, create_providers
from corral.core.resources import ResourceRegistry
from corral.core.routers import BUILTIN_ROUTERS, ROUTERS
from corral.core.routers.spec import RouterContext, Stoppable
from corral.storage.manager import StorageManager

log = logging.getLogger("corral.stack")


class Stack:
    """The runtime of one corral server."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.run = loaded.run
        self.storage = StorageManager(loaded.run.storage)
        self.resources = ResourceRegistry(None)
        auth = loaded.run.server.auth or AuthConfig()
        self.auth_provider: AuthProvider | None = (
            build_auth_provider(auth.provider_config) if auth.provider_config else None
        )
        self.access = AccessPolicy(auth.access_policy)
        self.route_policy = RoutePolicy(
            auth.route_policy, auth_enabled=self.auth_provider is not None
        )
        quota = loaded.run.server.quota
        self.quota = QuotaPolicy(quota, self.auth_provider is not None) if quota else None
        self.providers: dict[Api, list[ProviderInstance]] = {}
        #: Read with the router specs, e.g. ``stack.routers.get(INFERENCE)``.
        self.routers = Routers()
        self.started_at: float | None = None
        self._health_reporting: dict[str, ReportsHealth] = {}

    async def start(self) -> None:
        """Open storage, create providers and routers, register config resources."""
        t0 = time.perf_counter()
        for warning in self.loaded.warnings:
            log.warning("%s", warning)
        await self.storage.open()
        if self.quota is not None:
            self.quota.store = await self._quota_store(self.quota.config)
        metadata = self.run.storage.stores.metadata
        if metadata is not None:
            self.resources = ResourceRegistry(self.storage.kv(metadata))
        else:
            log.warning(
                "no storage.stores.metadata configured: registered resources live in memory"
            )
        await self.resources.load()
        ctx = RouterContext(self.loaded, self.resources, self.access, self.storage, self.routers)
        for builtin in BUILTIN_ROUTERS:  # served by corral itself; providers may use them
            await builtin.start(ctx, [])
        specs = {spec.api: spec for spec in ROUTERS}
        for api in self.loaded.api_order:
            instances = await create_providers(
                self.loaded, api, self.routers, self.storage, self.access, self.quota
            )
            self.providers[api] = instances
            await specs[api].start(ctx, instances)
        for spec in ROUTERS:
            spec.link(ctx)
        self._health_reporting = {
            inst.provider_id: inst.impl
            for inst in self.provider_instances()
            if isinstance(inst.impl, ReportsHealth)
        }
        self.started_at = time.time()
        # Everything built so far lives as long as the server: keep it out of the
        # collector's scans so request garbage is collected without long pauses.
        gc.collect()
        gc.freeze()
        log.info("stack started in %.2fs", time.perf_counter() - t0)

    async def stop(self) -> None:
        """Shut routers and providers down, then close storage."""
        specs = {spec.api: spec for spec in (*BUILTIN_ROUTERS, *ROUTERS)}
        for api in reversed(self.routers.apis()):
            await _logged(f"shutdown of the {api} router", specs[api].stop(self.routers))
        for instances in reversed(list(self.providers.values())):
            for inst in instances:
                if isinstance(inst.impl, Stoppable):
                    await _logged(f"shutdown of provider {inst.provider_id}", inst.impl.shutdown())
        await self.storage.close()
        if self.auth_provider is not None:
            await self.auth_provider.close()

    async def _quota_store(self, config: QuotaConfig) -> KVStore:
        store = config.kvstore
        if isinstance(store, KVReference):
            return self.storage.kv(store)
        return await self.storage.inline_sqlite_kv(store.db_path, store.namespace or "quota")

    def provider_instances(self) -> list[ProviderInstance]:
        """Every running provider instance, in start order."""
        return [inst for group in self.providers.values() for inst in group]

    def health_reporting(self) -> dict[str, ReportsHealth]:
        """Providers whose readiness can change after startup, by provider id."""
        return self._health_reporting

    def serves(self, api: Api) -> bool:
        """True for a built-in API, or when at least one provider of `api` is configured."""
        return api in BUILTIN_APIS or any(inst.api == api for inst in self.loaded.providers)


async def _logged(what: str, step: Awaitable[None]) -> None:
    """Run one shutdown step; a failure is logged and the next step still runs."""
    try:
        await step
    except Exception:
        log.exception("error during %s", what)
