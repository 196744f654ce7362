"""The SQL store contract on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from corral.apis.storage import Column
from corral.config.storage import SqlReference
from corral.errors import InvalidRequest
from tests.storage.conftest import SQL_KINDS

pytestmark = pytest.mark.parametrize("kind", SQL_KINDS)

COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("created_at", "integer", index=True),
    Column("model", "string"),
    Column("owner_principal", "string", index=True),
    Column("access_attributes", "json"),
    Column("body", "json"),
]


class TableStore:
    """A store bound to a table unique to one test (the Postgres database is per run)."""

    def __init__(self, store: Any, table: str) -> None:
        self.store, self.table = store, table

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)
        return lambda table, *a, **kw: method(self.table if table == "records" else table, *a, **kw)


async def make_store(open_manager: Callable[[str], Any], kind: str) -> Any:
    table = f"records_{uuid.uuid4().hex[:8]}"
    store = (await open_manager(kind)).sql(SqlReference(backend="main", table_name=table))
    await store.create_table(table, COLUMNS)
    await store.create_table(table, COLUMNS)  # idempotent
    return TableStore(store, table)


async def test_crud_and_json_round_trip(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = await make_store(open_manager, kind)
    row = {
        "id": "a",
        "created_at": 1,
        "model": "m",
        "owner_principal": "alice",
        "access_attributes": {"roles": ["x"]},
        "body": {"messages": [{"role": "user"}]},
    }
    await store.insert("records", row)
    assert await store.fetch_one("records", {"id": "a"}) == row
    assert await store.update("records", {"model": "m2"}, {"id": "a"}) == 1
    assert (await store.fetch_one("records", {"id": "a"}))["model"] == "m2"
    assert await store.delete("records", {"id": "a"}) == 1
    assert await store.fetch_one("records", {"id": "a"}) is None


async def test_upsert_replaces_by_key(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = await make_store(open_manager, kind)
    await store.upsert("records", {"id": "u", "created_at": 1, "model": "old"}, key=["id"])
    await store.upsert("records", {"id": "u", "created_at": 2, "model": "new"}, key=["id"])
    row = await store.fetch_one("records", {"id": "u"})
    assert (row["created_at"], row["model"]) == (2, "new")


async def test_filtered_ordered_cursor_pages(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = await make_store(open_manager, kind)
    for i in range(7):
        await store.insert(
            "records", {"id": f"r{i}", "created_at": i // 2, "model": "m" if i % 3 else "n"}
        )
    seen, after = [], None
    while True:
        page = await store.fetch_page("records", {"model": "m"}, limit=2, after=after)
        seen += [r["id"] for r in page.rows]
        if not page.has_more:
            break
        after = page.rows[-1]["id"]
    assert seen == ["r5", "r4", "r2", "r1"]
    ascending = await store.fetch_page("records", descending=False, limit=10)
    assert [r["id"] for r in ascending.rows] == [f"r{i}" for i in range(7)]
    with pytest.raises(InvalidRequest):
        await store.fetch_page("records", after="no-such-row")


async def test_identifiers_are_checked(kind: str, open_manager: Callable[[str], Any]) -> None:
    store = await make_store(open_manager, kind)
    with pytest.raises(InvalidRequest):
        await store.fetch_one("records; DROP TABLE records", {"id": "x"})
    with pytest.raises(InvalidRequest):
        await store.create_table("bad-name", COLUMNS)
    value = "x'); DROP TABLE records; --"
    await store.insert("records", {"id": value, "created_at": 0})
    assert (await store.fetch_one("records", {"id": value}))["id"] == value
