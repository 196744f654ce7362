"""The async side of one embedded model: its queue, its thread, and streaming out of it.

Requests take turns on the model's thread (an `asyncio.Lock` keeps the order
and lets a waiting request leave the queue when its client goes away). The
queue is bounded: past ``max_queue`` waiting requests a new one gets a 503 with
Retry-After. Chunks cross from the thread to the event loop one by one, so
streaming starts with the first token; closing the stream (the client
disconnected) tells the thread to stop generating.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from typing import Any

from corral.apis.health import ProviderHealth
from corral.errors import ServiceUnavailable
from corral.providers.inline.inference.llama_cpp.engine import Chunk, GenerationStats, GGUFRunner
from corral.providers.inline.loading import BackgroundLoad

log = logging.getLogger("corral.llama_cpp")

_END = object()

#: What a generation yields: ``(chunk, None)`` per piece, then ``(None, stats)`` once.
Events = AsyncGenerator[tuple[Chunk | None, GenerationStats | None], None]

#: A job run on the model thread: (runner, cancel flag, emit) -> stats.
Job = Callable[[GGUFRunner, threading.Event, Callable[[Chunk], None]], GenerationStats]


class EmbeddedModel:
    """One GGUF model served to many requests, one generation at a time."""

    def __init__(
        self,
        name: str,
        load: Callable[[], GGUFRunner],
        max_queue: int,
        load_wait_seconds: float,
        before: tuple[Callable[[], None], str] | None = None,
    ) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"corral-llama-{name}")
        self._load = BackgroundLoad(f"model {name}", load, self._executor, before)
        self._turn = asyncio.Lock()
        self._waiting = 0
        self._max_queue = max_queue
        self._load_wait = load_wait_seconds

    def health(self) -> ProviderHealth:
        """Loading / OK / Error."""
        return self._load.health()

    async def runner(self) -> GGUFRunner:
        """The loaded model (waits while it loads)."""
        return await self._load.get(self._load_wait)

    async def stream(self, job: Job) -> Events:
        """Run `job` on the model thread, yielding ``(chunk, None)`` then ``(None, stats)``.

        Waits for the model's turn first; a full queue is a 503.
        """
        runner = await self.runner()
        if self._turn.locked() and self._waiting >= self._max_queue:
            raise ServiceUnavailable(
                f"model {self.name} is busy ({self._waiting} requests waiting); retry shortly",
                retry_after=2,
                code="model_busy",
            )
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
        try:
            # aclosing: when our consumer stops early, the generation must be told to stop
            # (and have stopped) before the model's turn passes to the next request.
            async with aclosing(self._run(runner, job)) as items:
                async for item in items:
                    yield item
        finally:
            self._turn.release()

    async def _run(self, runner: GGUFRunner, job: Job) -> Events:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()

        def emit(chunk: Chunk) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, chunk)

        def work() -> GenerationStats:
            try:
                return job(runner, cancel, emit)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _END)

        done = loop.run_in_executor(self._executor, work)
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    break
                yield item, None
            yield None, await done
        finally:
            # Reached on normal end, on error, and when the consumer stops early (the client
            # disconnected; under cancellation nothing more can be awaited here). Tell the
            # thread to stop; the next request's job queues behind this one on the model's
            # single thread, so two generations never overlap.
            cancel.set()
            done.add_done_callback(self._report_stop)

    def _report_stop(self, done: asyncio.Future[GenerationStats]) -> None:
        if not done.cancelled() and done.exception() is None and done.result().cancelled:
            log.info(
                "model %s: generation stopped after %d tokens (the client went away)",
                self.name,
                done.result().completion_tokens,
            )

    async def shutdown(self) -> None:
        """Wait for loading to end, then stop the thread."""
        await self._load.wait()
        self._executor.shutdown(wait=False, cancel_futures=True)
