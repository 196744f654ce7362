"""The Redis counter's own connection: scripts flushed, another database, Redis down and back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis import asyncio as aioredis

from corral.apis.storage import KVStore
from corral.config.storage import KVReference, StorageConfig
from corral.errors import ServiceUnavailable
from corral.storage.manager import StorageManager
from tests.fixtures.services import RedisPrefix
from tests.fixtures.tcp_proxy import tcp_proxy


async def open_store(
    prefix: RedisPrefix, port: int | None = None, db: int = 0
) -> tuple[StorageManager, KVStore]:
    backend = {"type": "kv_redis", "host": "127.0.0.1", "port": port or prefix.port, "db": db}
    manager = StorageManager(
        StorageConfig.model_validate({"backends": {"main": backend}}),
        redis_key_prefix=prefix.prefix,
    )
    await manager.open()
    assert manager._backends["main"].counter is not None  # the lean connection is in use
    return manager, manager.kv(KVReference(backend="main", namespace=uuid.uuid4().hex[:8]))


async def test_counts_continue_after_the_server_forgets_the_script(
    redis_prefix: RedisPrefix,
) -> None:
    manager, store = await open_store(redis_prefix)
    client = aioredis.Redis(host=redis_prefix.host, port=redis_prefix.port)
    try:
        assert (await store.incr("c", 60))[0] == 1
        await client.script_flush()  # as after a Redis restart: EVALSHA answers NOSCRIPT
        assert (await store.incr("c", 60))[0] == 2
        results = await asyncio.gather(*(store.incr("c", 60) for _ in range(20)))
        assert sorted(c for c, _ in results) == list(range(3, 23))
    finally:
        await client.aclose()
        await manager.close()


async def test_counters_live_in_the_configured_database(redis_prefix: RedisPrefix) -> None:
    manager, store = await open_store(redis_prefix, db=3)
    in_db3 = aioredis.Redis(host=redis_prefix.host, port=redis_prefix.port, db=3)
    in_db0 = aioredis.Redis(host=redis_prefix.host, port=redis_prefix.port, db=0)
    try:
        await store.incr("where", 60)
        pattern = f"{redis_prefix.prefix}*where"
        assert [k async for k in in_db3.scan_iter(match=pattern)]
        assert not [k async for k in in_db0.scan_iter(match=pattern)]
    finally:
        async for key in in_db3.scan_iter(match=f"{redis_prefix.prefix}*"):
            await in_db3.delete(key)
        await in_db3.aclose()
        await in_db0.aclose()
        await manager.close()


async def test_redis_down_is_a_503_and_counting_resumes_when_it_is_back(
    redis_prefix: RedisPrefix,
) -> None:
    with tcp_proxy(redis_prefix.host, redis_prefix.port) as proxy:
        manager, store = await open_store(redis_prefix, port=proxy.port)
        try:
            assert (await store.incr("d", 60))[0] == 1
            await asyncio.to_thread(proxy.cut)
            with pytest.raises(ServiceUnavailable):
                await store.incr("d", 60)
            await asyncio.to_thread(proxy.restore)
            for _ in range(50):  # the counter reconnects on its next call
                try:
                    count, _ = await store.incr("d", 60)
                    break
                except ServiceUnavailable:
                    await asyncio.sleep(0.1)
            assert count == 2  # the failed call never reached Redis
        finally:
            await manager.close()
