"""Per-client usage: requests and tokens per principal, model and hour, for billing and budgets.

Counts are added up in memory (one dict update per request, no I/O on the
request path) and written every ``telemetry.usage.flush_seconds`` as one batch
of rows, each the counts of one (principal, model, hour) since the previous
flush. Rows are only ever inserted, with ids unique to the process, so several
workers (or servers) share a table without coordinating; a query adds the rows
up. Counts not yet flushed are lost if the process is killed (a clean stop
flushes them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from corral.apis.storage import Column, SqlStore

log = logging.getLogger("corral.usage")

ANONYMOUS = "anonymous"
COLUMNS = (
    Column("id", "string", primary_key=True),
    Column("principal", "string", nullable=False, index=True),
    Column("model", "string", nullable=False, index=True),
    Column("hour", "integer", nullable=False, index=True),
    Column("requests", "integer", nullable=False),
    Column("input_tokens", "integer", nullable=False),
    Column("output_tokens", "integer", nullable=False),
    Column("created_at", "integer", nullable=False),
)
Granularity = Literal["hour", "day"]
_SECONDS = {"hour": 3600, "day": 86400}


@dataclass(frozen=True)
class UsageQuery:
    """Filters of ``GET /v1alpha/usage`` (None: any)."""

    principal: str | None = None
    model: str | None = None
    start: int | None = None
    end: int | None = None
    granularity: Granularity = "day"


class UsageRecorder:
    """Batched usage counts in one SQL table."""

    def __init__(self, store: SqlStore, table: str, flush_seconds: float) -> None:
        self._store = store
        self._table = table
        self._flush_seconds = flush_seconds
        self._pending: defaultdict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        self._prefix = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._seq = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Create the table and start the flush loop."""
        await self._store.create_table(self._table, COLUMNS)
        self._task = asyncio.create_task(self._loop(), name="corral-usage-flush")

    async def close(self) -> None:
        """Stop the loop and write what is pending."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    def add(self, principal: str | None, model: str, input_tokens: int, output_tokens: int) -> None:
        """Count one request (called when it ends)."""
        hour = int(time.time()) // 3600 * 3600
        counts = self._pending[(principal or ANONYMOUS, model, hour)]
        counts[0] += 1
        counts[1] += input_tokens
        counts[2] += output_tokens

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            try:
                await self.flush()
            except Exception:
                log.exception("usage counts could not be written; retrying at the next flush")

    async def flush(self) -> None:
        """Write the counts gathered since the last flush as one batch."""
        async with self._lock:
            pending, self._pending = self._pending, defaultdict(lambda: [0, 0, 0])
            if not pending:
                return
            self._seq += 1
            now = int(time.time())
            rows = [
                {
                    "id": f"{self._prefix}-{self._seq}-{i}",
                    "principal": principal,
                    "model": model,
                    "hour": hour,
                    "requests": counts[0],
                    "input_tokens": counts[1],
                    "output_tokens": counts[2],
                    "created_at": now,
                }
                for i, ((principal, model, hour), counts) in enumerate(pending.items())
            ]
            try:
                await self._store.insert_many(self._table, rows, key=["id"])
            except BaseException:
                for (principal, model, hour), counts in pending.items():  # keep them for later
                    mine = self._pending[(principal, model, hour)]
                    for j in range(3):
                        mine[j] += counts[j]
                raise

    async def query(self, query: UsageQuery) -> list[dict[str, Any]]:
        """Totals per (principal, model, period), oldest period first."""
        await self.flush()
        size = _SECONDS[query.granularity]
        totals: defaultdict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        async for row in self._rows(query):
            hour = int(row["hour"])
            if query.start is not None and hour + 3600 <= query.start:
                continue
            if query.end is not None and hour >= query.end:
                continue
            counts = totals[(row["principal"], row["model"], hour // size * size)]
            counts[0] += int(row["requests"])
            counts[1] += int(row["input_tokens"])
            counts[2] += int(row["output_tokens"])
        return [
            {
                "principal": principal,
                "model": model,
                "start_time": start,
                "end_time": start + size,
                "requests": counts[0],
                "input_tokens": counts[1],
                "output_tokens": counts[2],
                "total_tokens": counts[1] + counts[2],
            }
            for (principal, model, start), counts in sorted(totals.items(), key=_order)
        ]

    async def _rows(self, query: UsageQuery) -> Any:
        where = dict(_where(query))
        after = None
        while True:
            page = await self._store.fetch_page(
                self._table, where or None, order_by="id", descending=False, limit=500, after=after
            )
            for row in page.rows:
                yield row
            if not page.has_more or not page.rows:
                return
            after = page.rows[-1]["id"]


def _where(query: UsageQuery) -> Iterator[tuple[str, str]]:
    if query.principal is not None:
        yield "principal", query.principal
    if query.model is not None:
        yield "model", query.model


def _order(item: tuple[tuple[str, str, int], list[int]]) -> tuple[int, str, str]:
    (principal, model, start), _ = item
    return start, principal, model
