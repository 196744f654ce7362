"""The batch lease on SQLite and PostgreSQL: of servers racing for a batch, exactly one wins."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from corral.apis.spec import AccessCheck
from corral.config.storage import SqlReference
from corral.providers.inline.batches.reference.store import BatchStore
from tests.storage.conftest import SQL_KINDS, open_manager, postgres_db

__all__ = ["open_manager", "postgres_db"]

pytestmark = pytest.mark.parametrize("kind", SQL_KINDS)


class AllowAll:
    def is_allowed(self, *args: Any) -> bool:
        return True


def row(batch_id: str) -> dict[str, Any]:
    return {
        "id": batch_id, "created_at": 0, "created_ns": time.time_ns(), "status": "in_progress",
        "endpoint": "/v1/chat/completions", "input_file_id": "file-x", "completion_window": "24h",
        "total": 0, "completed": 0, "failed": 0, "request_hash": "h", "lease_version": 0,
    }  # fmt: skip


async def stores(open_manager: Callable[[str], Any], kind: str, n: int) -> list[BatchStore]:
    """`n` stores on one database, each through its own connection pool (as replicas are)."""
    table = f"batches_{uuid.uuid4().hex[:8]}"
    access: AccessCheck = AllowAll()
    out = []
    for _ in range(n):
        manager = await open_manager(kind)
        store = BatchStore(
            manager.sql(SqlReference(backend="main", table_name=table)), table, access
        )
        await store.start()
        out.append(store)
    return out


async def test_one_of_many_racing_servers_claims_an_expired_lease(
    kind: str, open_manager: Callable[[str], Any]
) -> None:
    replicas = await stores(open_manager, kind, 4)
    await replicas[0].insert(row("batch_a"))
    seen = await replicas[0].fetch("batch_a")
    assert seen is not None
    won = await asyncio.gather(*(r.claim(seen, f"server-{i}", 30) for i, r in enumerate(replicas)))
    assert sum(won) == 1
    winner = f"server-{won.index(True)}"
    assert (await replicas[1].fetch("batch_a") or {})["lease_owner"] == winner
    # the winner renews; a loser's renewal and status moves are refused
    loser = "server-1" if winner != "server-1" else "server-2"
    assert await replicas[2].renew("batch_a", winner, 30, completed=3)
    assert not await replicas[2].renew("batch_a", loser, 30)
    assert not await replicas[3].move("batch_a", "in_progress", {"status": "finalizing"}, loser)
    # a stale view of the lease cannot be claimed again
    assert not await replicas[3].claim(seen, "server-late", 30)


async def test_lines_stored_twice_appear_once_in_order(
    kind: str, open_manager: Callable[[str], Any]
) -> None:
    (store,) = await stores(open_manager, kind, 1)
    await store.insert(row("batch_b"))
    await store.save_lines("batch_b", [(3, True, {"n": 3}), (1, False, {"n": 1})])
    await store.save_lines("batch_b", [(1, True, {"n": "again"}), (2, True, {"n": 2})])
    lines = [(r["line"], r["ok"], r["result"]) async for r in store.lines("batch_b", 3)]
    assert lines == [(1, False, {"n": 1}), (2, True, {"n": 2}), (3, True, {"n": 3})]
