"""`StorageManager`: opens each declared backend once and hands out stores on it."""

from __future__ import annotations

import logging

from corral.config.storage import KVReference, SqlReference, StorageConfig
from corral.storage.api import KVStore, SqlStore

log = logging.getLogger("corral.storage")


class StorageManager:
    """Owns the backends of one stack: opened in `open`, closed in `close`."""

    def __init__(self, config: StorageConfig) -> None:
        self._config = config
        self._kv: dict[str, object] = {}
        self._sql: dict[str, object] = {}

    async def open(self) -> None:
        """Connect every declared backend; a backend that is down is a startup error."""
        for name, backend in self._config.backends.items():
            raise NotImplementedError(f"storage backend {name} ({backend.type})")

    def kv(self, ref: KVReference) -> KVStore:
        """A KV store on a declared backend, isolated by the reference's namespace."""
        raise NotImplementedError(ref.backend)

    def sql(self, ref: SqlReference) -> SqlStore:
        """A SQL store on a declared backend for the reference's table."""
        raise NotImplementedError(ref.backend)

    async def close(self) -> None:
        """Close every pool."""
