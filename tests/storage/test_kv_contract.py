"""The KV contract, run against every KV backend (real SQLite, PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from corral.config.storage import KVReference
from tests.storage.conftest import KV_KINDS

pytestmark = pytest.mark.parametrize("kind", KV_KINDS)


def ref(namespace: str | None = None) -> KVReference:
    return KVReference(backend="main", namespace=namespace or f"ns-{uuid.uuid4().hex[:8]}")


async def test_get_set_delete(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = (await open_manager(kind)).kv(ref())
    assert await store.get("missing") is None
    await store.set("a", "1")
    await store.set("a", "2")
    assert await store.get("a") == "2"
    await store.delete("a")
    assert await store.get("a") is None
    await store.delete("a")  # deleting twice is not an error


async def test_expiry_hides_keys_immediately(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = (await open_manager(kind)).kv(ref())
    await store.set("short", "x", expires_in=0.2)
    await store.set("long", "y", expires_in=60)
    assert await store.get("short") == "x"
    await asyncio.sleep(0.35)
    assert await store.get("short") is None
    assert await store.get("long") == "y"
    assert [k for k, _ in await store.items_with_prefix("")] == ["long"]


async def test_prefix_and_range_listing(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = (await open_manager(kind)).kv(ref())
    for key in ["model:b", "model:a", "shield:x", "model", "mode"]:
        await store.set(key, key.upper())
    assert await store.items_with_prefix("model:") == [
        ("model:a", "MODEL:A"),
        ("model:b", "MODEL:B"),
    ]
    assert [k for k, _ in await store.items_in_range("model", "model:a")] == ["model", "model:a"]


async def test_namespaces_isolate_keys(kind: str, open_manager: Callable[[str], Any]) -> None:
    manager = await open_manager(kind)
    suffix = uuid.uuid4().hex[:6]
    one, two = manager.kv(ref(f"one{suffix}")), manager.kv(ref(f"one{suffix}x"))
    await one.set("k", "from-one")
    await two.set("k", "from-two")
    await two.set("k2", "only-two")
    assert await one.get("k") == "from-one"
    assert await one.get("k2") is None
    assert await one.items_with_prefix("") == [("k", "from-one")]
    assert [k for k, _ in await one.items_in_range("", "\U0010ffff")] == ["k"]


async def test_incr_counts_in_a_fixed_window(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = (await open_manager(kind)).kv(ref())
    assert (await store.incr("c", 0.5))[0] == 1
    count, ttl = await store.incr("c", 100)  # a later call does not extend the window
    assert count == 2
    assert 0 < ttl <= 0.5
    await asyncio.sleep(0.6)
    count, ttl = await store.incr("c", 10)
    assert count == 1
    assert 9 < ttl <= 10


async def test_concurrent_incr_loses_nothing(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = (await open_manager(kind)).kv(ref())
    results = await asyncio.gather(*(store.incr("hot", 60) for _ in range(200)))
    assert sorted(c for c, _ in results) == list(range(1, 201))


async def test_concurrent_incr_on_several_keys_and_a_new_window(
    kind: str, open_manager: Callable[[str], Any]
) -> None:
    store = (await open_manager(kind)).kv(ref())
    for _ in range(3):
        await store.incr("old", 0.2)
    await asyncio.sleep(0.3)  # "old" starts a new window inside the concurrent batch below
    keys = ("a", "b", "old")
    results = await asyncio.gather(*(store.incr(k, 60) for _ in range(50) for k in keys))
    for i, key in enumerate(keys):
        mine = results[i :: len(keys)]
        assert sorted(c for c, _ in mine) == list(range(1, 51)), key
        assert all(59 < ttl <= 60 for _, ttl in mine), key
