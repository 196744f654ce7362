"""The bounded, batching background write queue."""

from __future__ import annotations

import asyncio

from corral.storage.write_queue import WriteQueue


async def test_close_writes_every_accepted_item_in_batches() -> None:
    batches: list[list[int]] = []

    async def write(batch: list[int]) -> None:
        await asyncio.sleep(0.001)
        batches.append(batch)

    queue: WriteQueue[int] = WriteQueue(
        "test", max_size=1000, num_writers=2, write_batch=write, batch_size=50
    )
    queue.start()
    for i in range(500):
        assert queue.submit(i)
    await queue.close()
    assert sorted(i for b in batches for i in b) == list(range(500))
    assert len(batches) < 500  # items were grouped
    assert max(len(b) for b in batches) <= 50


async def test_full_queue_drops_and_counts_without_blocking() -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(batch: list[int]) -> None:
        started.set()
        await release.wait()

    queue: WriteQueue[int] = WriteQueue(
        "test", max_size=2, num_writers=1, write_batch=slow, batch_size=1
    )
    queue.start()
    assert queue.submit(1)
    await started.wait()
    assert queue.submit(2) and queue.submit(3)
    assert queue.submit(4) is False
    assert queue.dropped == 1
    release.set()
    await queue.close()
    assert queue.written == 3


async def test_failed_batches_are_counted_and_writing_goes_on() -> None:
    calls = 0

    async def flaky(batch: list[int]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("db down")

    queue: WriteQueue[int] = WriteQueue(
        "test", max_size=10, num_writers=1, write_batch=flaky, batch_size=1
    )
    queue.start()
    for i in range(3):
        queue.submit(i)
    await queue.close()
    assert queue.failed == 1 and queue.written == 2
