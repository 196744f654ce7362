"""A bounded background write queue with batching (used by the inference store).

`submit` never waits: the caller (a request handler) hands an item over and
moves on. `num_writers` tasks drain the queue, each taking up to `batch_size`
items at a time and writing them with one call (one transaction), so the
database keeps up with the request rate. When the queue is full the item is
dropped and counted; a warning with the running count is logged at most once
per `warn_every` seconds — chosen over back-pressure so a slow database can
never add latency to inference responses. `close` writes every accepted item.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("corral.storage.write_queue")

T = TypeVar("T")


class WriteQueue(Generic[T]):
    """Bounded queue of items written in batches by a fixed pool of writer tasks."""

    def __init__(
        self,
        name: str,
        max_size: int,
        num_writers: int,
        write_batch: Callable[[list[T]], Awaitable[None]],
        *,
        batch_size: int = 32,
        warn_every: float = 10.0,
    ) -> None:
        self.name = name
        self._queue: asyncio.Queue[T] = asyncio.Queue(maxsize=max_size)
        self._num_writers = num_writers
        self._write_batch = write_batch
        self._batch_size = batch_size
        self._warn_every = warn_every
        self._last_warning = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0
        self.failed = 0
        self.written = 0

    def start(self) -> None:
        """Start the writer tasks (inside the running event loop)."""
        self._tasks = [
            asyncio.create_task(self._writer(), name=f"{self.name}-writer-{i}")
            for i in range(self._num_writers)
        ]

    def depth(self) -> int:
        """Items waiting to be written (read by /metrics)."""
        return self._queue.qsize()

    def submit(self, item: T) -> bool:
        """Queue `item`; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_warning >= self._warn_every:
                self._last_warning = now
                log.warning(
                    "%s write queue is full (%d items); %d writes dropped so far",
                    self.name,
                    self._queue.maxsize,
                    self.dropped,
                )
            return False
        return True

    async def _writer(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_batch(batch)
                self.written += len(batch)
            except Exception:
                self.failed += len(batch)
                log.exception("%s: writing %d items failed", self.name, len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def close(self) -> None:
        """Write every accepted item, then stop the writers."""
        if not self._tasks:
            return
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
