"""Storage test fixtures: a StorageManager opened on each backend kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from corral.config.storage import StorageConfig
from corral.storage.manager import StorageManager
from tests.fixtures.services import PostgresDB, RedisPrefix, postgres_db, redis_prefix, unavailable

__all__ = ["postgres_db", "redis_prefix"]

KV_KINDS = ["kv_sqlite", "kv_redis", "kv_postgres", "kv_mongodb"]
SQL_KINDS = ["sql_sqlite", "sql_postgres"]


def backend_config(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A storage.backends entry of `kind` on the local services."""
    if kind in ("kv_sqlite", "sql_sqlite"):
        return {"type": kind, "db_path": str(tmp_path / "sub" / f"{kind}.db")}
    if kind in ("kv_postgres", "sql_postgres"):
        db: PostgresDB = request.getfixturevalue("postgres_db")
        return db.backend(kind)
    if kind == "kv_redis":
        request.getfixturevalue("redis_prefix")
        return {"type": "kv_redis", "host": "127.0.0.1", "port": 6379}
    if kind == "kv_mongodb":
        pytest.skip(
            "kv_mongodb: no MongoDB server can run on this machine (none is packaged for "
            "it); the backend is implemented against pymongo's async client and documented"
        )
    raise AssertionError(kind)


@pytest.fixture
async def open_manager(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[[str], Any]]:
    """Open a StorageManager with one backend named `main` of the given kind."""
    managers: list[StorageManager] = []

    async def make(kind: str) -> StorageManager:
        config = StorageConfig.model_validate(
            {"backends": {"main": backend_config(kind, tmp_path, request)}}
        )
        prefix = ""
        if kind == "kv_redis":
            prefix = request.getfixturevalue("redis_prefix").prefix
        manager = StorageManager(config, redis_key_prefix=prefix)
        await manager.open()
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        await manager.close()


__all__ += ["RedisPrefix", "unavailable"]
