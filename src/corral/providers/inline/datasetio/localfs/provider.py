"""`LocalfsDatasetIO`: a dataset's rows are its source's rows, then the rows kept in SQL.

Rows given inline (a ``rows`` source) and rows appended later are stored one
per SQL row, keyed ``<dataset_id>:<index>`` so a page starts with one indexed
lookup. A page of a file-backed dataset streams the file up to the page's
end (the cost of ``start_index`` grows with it; nothing is cached).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from corral.apis.context import RequestContext
from corral.apis.datasets.api import DatasetTarget
from corral.apis.files.api import FilesProvider
from corral.apis.storage import Column, SqlStore
from corral.providers.datasets.readers import rows_of
from corral.providers.datasets.sources import locate
from corral.providers.inline.datasetio.localfs.config import LocalfsDatasetIOConfig

COLUMNS = [
    Column("id", "string", primary_key=True),
    Column("dataset_id", "string", index=True),
    Column("idx", "integer"),
    Column("row", "json"),
]
INSERT_BATCH = 1000


def _key(dataset_id: str, index: int) -> str:
    return f"{dataset_id}:{index:010d}"


class LocalfsDatasetIO:
    """The ``inline::localfs`` datasetio provider."""

    def __init__(
        self,
        config: LocalfsDatasetIOConfig,
        store: SqlStore,
        table: str,
        files: FilesProvider | None,
    ) -> None:
        self._store = store
        self._table = table
        self._files = files
        self._allowed = [Path(p).expanduser().resolve() for p in config.allowed_paths]
        self._append_lock = asyncio.Lock()

    async def start(self) -> None:
        """Create the rows table."""
        await self._store.create_table(self._table, COLUMNS)

    async def register_dataset(self, target: DatasetTarget, ctx: RequestContext) -> None:
        """Check a uri source can be read; store inline rows."""
        source = target.source
        if source["type"] == "uri":
            await locate(source["uri"], self._files, self._allowed, ctx)
            return
        await self.unregister_dataset(target)  # a config dataset is rewritten at each start
        await self._insert(target.dataset_id, 0, source["rows"])

    async def unregister_dataset(self, target: DatasetTarget) -> None:
        """Delete the dataset's stored rows."""
        await self._store.delete(self._table, {"dataset_id": target.dataset_id})

    async def _insert(self, dataset_id: str, first: int, rows: list[dict[str, Any]]) -> None:
        for at in range(0, len(rows), INSERT_BATCH):
            batch = [
                {"id": _key(dataset_id, first + at + i), "dataset_id": dataset_id,
                 "idx": first + at + i, "row": row}
                for i, row in enumerate(rows[at : at + INSERT_BATCH])
            ]  # fmt: skip
            await self._store.insert_many(self._table, batch, key=["id"])

    async def append_rows(
        self, target: DatasetTarget, rows: list[dict[str, Any]], ctx: RequestContext
    ) -> None:
        """Store rows after the last stored one."""
        async with self._append_lock:
            last = await self._store.fetch_page(
                self._table, {"dataset_id": target.dataset_id}, order_by="id", limit=1
            )
            first = last.rows[0]["idx"] + 1 if last.rows else 0
            await self._insert(target.dataset_id, first, rows)

    async def iterrows(
        self, target: DatasetTarget, start: int, limit: int, ctx: RequestContext
    ) -> tuple[list[dict[str, Any]], bool]:
        """Rows ``start .. start+limit-1`` of the source and then the stored rows."""
        out: list[dict[str, Any]] = []
        seen = 0
        if target.source["type"] == "uri":
            place = await locate(target.source["uri"], self._files, self._allowed, ctx)
            async for row in rows_of(place, self._files, ctx):
                if seen >= start:
                    if len(out) == limit:
                        return out, True
                    out.append(row)
                seen += 1
        stored, more = await self._stored(target.dataset_id, max(0, start - seen), limit - len(out))
        return out + stored, more

    async def _stored(
        self, dataset_id: str, offset: int, wanted: int
    ) -> tuple[list[dict[str, Any]], bool]:
        after = None
        if offset > 0:
            after = _key(dataset_id, offset - 1)
            if await self._store.fetch_one(self._table, {"id": after}) is None:
                return [], False
        page = await self._store.fetch_page(
            self._table,
            {"dataset_id": dataset_id},
            order_by="id",
            descending=False,
            limit=max(wanted, 1),
            after=after,
        )
        if wanted == 0:
            return [], bool(page.rows)
        return [r["row"] for r in page.rows], page.has_more

    async def shutdown(self) -> None:
        """Nothing to release (the SQL backend is the storage manager's)."""
