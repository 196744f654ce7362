"""Batched writes of one kind of row: awaited (durable) or queued (write-behind).

Writes that arrive while a transaction is in flight wait for the next one and
go in it together, so under load a busy table costs one commit per batch
instead of one per request; a lone write costs one transaction.

- `write` returns once the row is committed (it must be stored before the
  client hears of it).
- `submit` returns at once; the row goes in the next batch. When more than
  `max_backlog` rows are waiting (a slow or unreachable database), `submit`
  waits like `write`: back-pressure rather than dropped rows or unbounded
  memory. A failed queued batch is logged and counted.
- `flush` waits until everything submitted so far is written (shutdown, and
  reads that must see every earlier write).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("corral.storage.group_commit")

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Batches writes of items of one kind through a single writer task."""

    def __init__(
        self,
        name: str,
        write_batch: Callable[[list[T]], Awaitable[None]],
        *,
        max_batch: int = 64,
        max_backlog: int = 10000,
    ) -> None:
        self.name = name
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._max_backlog = max_backlog
        self._pending: list[tuple[T, asyncio.Future[None] | None]] = []
        self._writer: asyncio.Task[None] | None = None
        self.failed = 0

    async def write(self, item: T) -> None:
        """Return once `item` is committed (raise what its batch's write raised)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(item, future)
        await future

    async def submit(self, item: T) -> None:
        """Queue `item` (waiting for it only when the backlog is full)."""
        if len(self._pending) >= self._max_backlog:
            await self.write(item)
        else:
            self._enqueue(item, None)

    async def flush(self) -> None:
        """Wait until every item queued so far is written (or has failed)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    def _enqueue(self, item: T, future: asyncio.Future[None] | None) -> None:
        self._pending.append((item, future))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[T, asyncio.Future[None] | None]]) -> None:
        try:
            await self._write_batch([item for item, _ in batch])
        except Exception as exc:
            queued = sum(1 for _, f in batch if f is None)
            if queued:
                self.failed += queued
                log.exception("%s: writing %d queued rows failed", self.name, queued)
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_exception(exc)
        else:
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_result(None)
