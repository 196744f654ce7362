"""A bounded background write queue (used by the inference store).

`submit` never waits: the caller (a request handler) hands a write over and
moves on. `num_writers` tasks drain the queue. When the queue is full the
write is dropped, counted in `dropped` and logged — chosen over back-pressure
so a slow database can never add latency to inference responses; the
operator sees the drops in the log and sizes ``max_write_queue_size``.
`close` waits until every accepted write is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("corral.storage.write_queue")

Write = Callable[[], Awaitable[None]]


class WriteQueue:
    """Bounded queue of async writes run by a fixed pool of writer tasks."""

    def __init__(self, name: str, max_size: int, num_writers: int) -> None:
        self.name = name
        self._queue: asyncio.Queue[Write | None] = asyncio.Queue(maxsize=max_size)
        self._num_writers = num_writers
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0
        self.failed = 0

    def start(self) -> None:
        """Start the writer tasks (inside the running event loop)."""
        self._tasks = [
            asyncio.create_task(self._writer(), name=f"{self.name}-writer-{i}")
            for i in range(self._num_writers)
        ]

    def submit(self, write: Write) -> bool:
        """Queue `write`; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(write)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning(
                "%s write queue is full (%d); dropped a write (%d dropped so far)",
                self.name,
                self._queue.maxsize,
                self.dropped,
            )
            return False
        return True

    async def _writer(self) -> None:
        while True:
            write = await self._queue.get()
            try:
                if write is None:
                    return
                await write()
            except Exception:
                self.failed += 1
                log.exception("%s write failed", self.name)
            finally:
                self._queue.task_done()

    async def close(self) -> None:
        """Finish every accepted write, then stop the writers."""
        if not self._tasks:
            return
        await self._queue.join()
        for _ in self._tasks:
            await self._queue.put(None)
        await asyncio.gather(*self._tasks)
        self._tasks = []
