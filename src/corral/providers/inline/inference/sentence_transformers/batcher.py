"""Batch concurrent embedding requests into one model call, on one worker thread.

Requests queue their texts; a single consumer task takes everything waiting
(up to ``max_batch_size`` texts) whenever the model is free, so batches form
by themselves under load and a lone request is never delayed by a timer.
The queue is bounded: past ``max_queued_texts`` a request gets a 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corral.errors import ServiceUnavailable
from corral.providers.inline.inference.sentence_transformers.encoders import Encoder

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger("corral.embeddings")


@dataclass
class _Job:
    texts: list[str]
    done: asyncio.Future[tuple[npt.NDArray[np.float32], list[int]]]


class EmbeddingBatcher:
    """Async front of an `Encoder` that batches concurrent requests."""

    def __init__(self, encoder: Encoder, executor: Executor, max_batch: int, max_queued: int):
        self._encoder = encoder
        self._executor = executor
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._jobs: deque[_Job] = deque()
        self._queued_texts = 0
        self._wakeup = asyncio.Event()
        self._consumer = asyncio.get_running_loop().create_task(self._consume())

    async def embed(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        """Vectors and token counts for `texts`, in order."""
        import numpy as np

        if self._queued_texts + len(texts) > self._max_queued:
            raise ServiceUnavailable(
                "too many embedding requests are waiting; retry shortly",
                retry_after=1,
                code="embeddings_queue_full",
            )
        loop = asyncio.get_running_loop()
        jobs = []
        for start in range(0, len(texts), self._max_batch):
            job = _Job(texts[start : start + self._max_batch], loop.create_future())
            jobs.append(job)
            self._jobs.append(job)
            self._queued_texts += len(job.texts)
        self._wakeup.set()
        parts = [await job.done for job in jobs]
        if len(parts) == 1:
            return parts[0]
        vectors = np.concatenate([p[0] for p in parts])
        return vectors, [n for p in parts for n in p[1]]

    def _take_batch(self) -> list[_Job]:
        batch: list[_Job] = []
        size = 0
        while self._jobs and size + len(self._jobs[0].texts) <= self._max_batch:
            job = self._jobs.popleft()
            self._queued_texts -= len(job.texts)
            if job.done.cancelled():
                continue  # the caller went away while waiting
            batch.append(job)
            size += len(job.texts)
        return batch

    async def _consume(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            batch = self._take_batch()
            if not self._jobs:
                self._wakeup.clear()
            if not batch:
                continue
            texts = [t for job in batch for t in job.texts]
            try:
                vectors, counts = await loop.run_in_executor(
                    self._executor, self._encoder.encode, texts
                )
            except Exception as exc:
                log.exception("embedding a batch of %d texts failed", len(texts))
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(exc)
                continue
            offset = 0
            for job in batch:
                n = len(job.texts)
                if not job.done.done():
                    job.done.set_result((vectors[offset : offset + n], counts[offset : offset + n]))
                offset += n

    async def close(self) -> None:
        """Stop the consumer; waiting requests fail with 503."""
        self._consumer.cancel()
        for job in self._jobs:
            if not job.done.done():
                job.done.set_exception(ServiceUnavailable("the server is shutting down"))
        self._jobs.clear()
