"""`StorageManager`: opens each declared backend once and hands out stores on it.

Every store and provider that references a backend shares its one connection
(pool). A backend that cannot be opened at startup is a `StorageStartupError`
naming the backend and its address; later failures surface per operation as
503s (`ServiceUnavailable`) and pools reconnect by themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from corral.apis.spec import KVRef, SqlRef
from corral.apis.storage import KVStore, SqlStore
from corral.config.storage import (
    KV_TYPES,
    SQL_TYPES,
    KVMongoDBBackend,
    KVPostgresBackend,
    KVRedisBackend,
    KVSqliteBackend,
    SqlPostgresBackend,
    SqlSqliteBackend,
    StorageConfig,
)
from corral.storage.files import StoreFiles
from corral.storage.kv_sqlite import SqliteKVBackend, sqlite_path
from corral.storage.sql_store import SqlBackend

log = logging.getLogger("corral.storage")


@dataclass(frozen=True)
class _SqlRef:
    backend: str
    table_name: str


@dataclass(frozen=True)
class _KVRef:
    backend: str
    namespace: str | None


class StorageStartupError(Exception):
    """A declared backend could not be opened when the server started."""


class _Backend(Protocol):
    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class StorageManager:
    """Owns the backends of one stack: opened in `open`, closed in `close`."""

    def __init__(self, config: StorageConfig, *, redis_key_prefix: str = "") -> None:
        self._config = config
        self._redis_prefix = redis_key_prefix
        self._backends: dict[str, Any] = {}
        self._extra: list[Any] = []
        #: The SQLite files opened, checked again by the health route.
        self.files = StoreFiles()

    async def open(self) -> None:
        """Connect every declared backend; a backend that is down is a startup error."""
        for name, config in self._config.backends.items():
            backend = self._make(name, config)
            await _open_or_explain(backend, config.type)
            self._backends[name] = backend
            self._watch(name, backend)

    def _watch(self, name: str, backend: Any) -> None:
        if isinstance(backend, SqliteKVBackend):
            self.files.add(name, backend.address)
        elif isinstance(backend, SqlBackend) and backend.dialect == "sqlite":
            self.files.add(name, backend.address)

    def _make(self, name: str, config: Any) -> Any:
        if isinstance(config, KVSqliteBackend):
            return SqliteKVBackend(name, config.db_path)
        if isinstance(config, KVRedisBackend):
            return _redis_backend(name, config, self._redis_prefix)
        if isinstance(config, KVPostgresBackend):
            return _postgres_kv_backend(name, config)
        if isinstance(config, KVMongoDBBackend):
            from corral.storage.kv_mongodb import MongoKVBackend

            return MongoKVBackend(name, config)
        if isinstance(config, SqlSqliteBackend):
            path = sqlite_path(config.db_path)
            url = sa.URL.create("sqlite+aiosqlite", database=str(path))
            return SqlBackend(name, url, str(path), None)
        if isinstance(config, SqlPostgresBackend):
            url = sa.URL.create(
                "postgresql+asyncpg",
                username=config.user,
                password=config.password,
                host=config.host,
                port=config.port,
                database=config.db,
            )
            return SqlBackend(
                name, url, f"{config.host}:{config.port}/{config.db}", config.pool_size
            )
        raise StorageStartupError(f"backend {name!r}: unsupported type {config.type!r}")

    def kv(self, ref: KVRef) -> KVStore:
        """A KV store on a declared backend, isolated by the reference's namespace."""
        backend = self._backends.get(ref.backend)
        if backend is None or not hasattr(backend, "store") or isinstance(backend, SqlBackend):
            raise StorageStartupError(f"{ref.backend!r} is not an open KV backend")
        store: KVStore = backend.store(ref.namespace)
        return store

    def sql(self, ref: SqlRef) -> SqlStore:
        """A SQL store on a declared backend for the reference's table."""
        backend = self._backends.get(ref.backend)
        if not isinstance(backend, SqlBackend):
            raise StorageStartupError(f"{ref.backend!r} is not an open SQL backend")
        return backend.store(ref.table_name)

    async def inline_sqlite_kv(self, db_path: str, namespace: str | None) -> KVStore:
        """A KV store in its own SQLite file (the documented inline ``{type: sqlite}`` form)."""
        backend = SqliteKVBackend(f"inline:{db_path}", db_path)
        await _open_or_explain(backend, "sqlite")
        self._extra.append(backend)
        self._watch(backend.name, backend)
        return backend.store(namespace)

    async def inline_sqlite_sql(self, db_path: str, table: str) -> SqlStore:
        """A SQL store in its own SQLite file (the older inline ``{type: sqlite}`` form)."""
        path = sqlite_path(db_path)
        url = sa.URL.create("sqlite+aiosqlite", database=str(path))
        backend = SqlBackend(f"inline:{db_path}", url, str(path), None)
        await _open_or_explain(backend, "sqlite")
        self._extra.append(backend)
        self._watch(backend.name, backend)
        return backend.store(table)

    async def sql_or_default(
        self, ref: SqlRef | None, store: str, table: str
    ) -> tuple[SqlStore, str]:
        """A store and its table.

        `ref`, else ``storage.stores.<store>``, else `table` on the first SQL
        backend, else in memory. The in-memory fallback (no SQL backend declared
        at all) is logged, since its records do not survive a restart.
        """
        ref = ref or getattr(self._config.stores, store, None)
        if ref is not None:
            return self.sql(ref), ref.table_name
        for name, config in self._config.backends.items():
            if config.type in SQL_TYPES:
                return self.sql(_SqlRef(name, table)), table
        log.warning("%s: no SQL backend is declared; records live in memory until exit", store)
        return await self.inline_sqlite_sql(":memory:", table), table

    async def kv_or_default(self, ref: KVRef | None, store: str, namespace: str) -> KVStore:
        """A KV store.

        `ref`, else ``storage.stores.<store>``, else `namespace` on the first KV
        backend, else in memory (logged).
        """
        ref = ref or getattr(self._config.stores, store, None)
        if ref is not None:
            return self.kv(ref)
        for name, config in self._config.backends.items():
            if config.type in KV_TYPES:
                return self.kv(_KVRef(name, namespace))
        log.warning("%s: no KV backend is declared; records live in memory until exit", store)
        return await self.inline_sqlite_kv(":memory:", namespace)

    async def close(self) -> None:
        """Close every pool."""
        for backend in [*self._backends.values(), *self._extra]:
            try:
                await backend.close()
            except Exception:
                log.exception("error closing storage backend %s", backend.name)
        self._backends.clear()
        self._extra.clear()


async def _open_or_explain(backend: Any, kind: str) -> None:
    try:
        await backend.open()
    except Exception as exc:
        address = getattr(backend, "address", "?")
        raise StorageStartupError(
            f"storage backend {backend.name!r} ({kind} at {address}) cannot be opened: {exc}"
        ) from exc


def _redis_backend(name: str, config: KVRedisBackend, prefix: str) -> Any:
    from corral.storage.kv_redis import RedisKVBackend

    return RedisKVBackend(
        name,
        host=config.host,
        port=config.port,
        db=config.db,
        password=config.password,
        url=config.url,
        key_prefix=prefix,
    )


def _postgres_kv_backend(name: str, config: KVPostgresBackend) -> Any:
    from corral.storage.kv_postgres import PostgresKVBackend

    dsn = {
        "host": config.host,
        "port": config.port,
        "database": config.db,
        "user": config.user,
        "password": config.password,
    }
    return PostgresKVBackend(name, dsn=dsn, table=config.table_name, pool_size=config.pool_size)
