"""The resource registry: every registered model, shield, vector store, ... by type and id.

Reads are served from memory (they are on the request path); writes go to the
``metadata`` KV store first, then to memory, so a resource registered over the
API survives a restart. Resources from the run config are re-applied at
startup without duplicating the stored copies.
"""

from __future__ import annotations

import logging

from corral.apis.resources import Resource
from corral.apis.storage import KVStore
from corral.errors import Conflict, NotFound

log = logging.getLogger("corral.resources")

_KEY_PREFIX = "resource:"


class ResourceRegistry:
    """Resources by (type, identifier), backed by an optional KV store."""

    def __init__(self, store: KVStore | None) -> None:
        self._store = store
        self._by_type: dict[str, dict[str, Resource]] = {}

    @property
    def persistent(self) -> bool:
        """False when no metadata store is configured (resources live in memory only)."""
        return self._store is not None

    async def load(self) -> None:
        """Read every stored resource into memory."""
        if self._store is None:
            return
        for key, value in await self._store.items_with_prefix(_KEY_PREFIX):
            try:
                res = Resource.model_validate_json(value)
            except ValueError:
                log.warning("skipping unreadable registry entry %s", key)
                continue
            self._by_type.setdefault(res.type, {})[res.identifier] = res

    def get(self, type_: str, identifier: str) -> Resource | None:
        """The resource, or None."""
        return self._by_type.get(type_, {}).get(identifier)

    def require(self, type_: str, identifier: str) -> Resource:
        """The resource, or `NotFound` naming it."""
        found = self.get(type_, identifier)
        if found is None:
            raise NotFound(f"{type_} {identifier!r} not found", code=f"{type_}_not_found")
        return found

    def list(self, type_: str) -> list[Resource]:
        """All resources of a type, in registration order."""
        return list(self._by_type.get(type_, {}).values())

    async def add(self, resource: Resource, *, replace: bool = False) -> Resource:
        """Register `resource`; an existing id is a `Conflict` unless `replace`."""
        existing = self.get(resource.type, resource.identifier)
        if existing is not None and not replace:
            raise Conflict(f"{resource.type} {resource.identifier!r} is already registered")
        if self._store is not None:
            await self._store.set(_key(resource), resource.model_dump_json())
        self._by_type.setdefault(resource.type, {})[resource.identifier] = resource
        return resource

    async def remove(self, type_: str, identifier: str) -> Resource:
        """Unregister and return the resource, or raise `NotFound`."""
        found = self.require(type_, identifier)
        if self._store is not None:
            await self._store.delete(_key(found))
        del self._by_type[type_][identifier]
        return found


def _key(resource: Resource) -> str:
    return f"{_KEY_PREFIX}{resource.type}:{resource.identifier}"
