"""`Stack`: everything one running server owns, started and stopped as a unit.

Start order: storage backends → resource registry → providers (API dependency
order, each API's router built right after its providers) → resources from the
run config. Stop runs in reverse. Nothing is created at import time.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from corral.apis.health import ReportsHealth
from corral.auth.access_policy import AccessPolicy
from corral.auth.providers.base import AuthProvider
from corral.auth.providers.factory import build_auth_provider
from corral.auth.quota import QuotaPolicy
from corral.auth.route_policy import RoutePolicy
from corral.config.auth import AuthConfig
from corral.config.loader import LoadedConfig
from corral.config.quota import QuotaConfig
from corral.config.storage import KVReference
from corral.core.resolver import ProviderInstance, api_order, create_providers
from corral.core.resources import ResourceRegistry
from corral.core.routers import ROUTER_FACTORIES
from corral.core.services import start_builtin_services
from corral.core.spec import BUILTIN_APIS, Api
from corral.storage.api import KVStore
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
        self.routers: dict[Api, Any] = {}
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
        self.routers.update(await start_builtin_services(self))
        for api in api_order(self.loaded.providers, self.loaded.source):
            instances = await create_providers(
                self.loaded, api, self.routers, self.storage, self.access
            )
            self.providers[api] = instances
            factory = ROUTER_FACTORIES.get(api)
            if factory is not None:
                self.routers[api] = await factory(self, instances)
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
        for api in reversed(list(self.routers)):
            await _maybe_call(self.routers[api], "shutdown")
        for instances in reversed(list(self.providers.values())):
            for inst in instances:
                await _maybe_call(inst.impl, "shutdown")
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


async def _maybe_call(obj: Any, name: str) -> None:
    method = getattr(obj, name, None)
    if method is None:
        return
    try:
        await method()
    except Exception:
        log.exception("error during %s of %r", name, obj)
