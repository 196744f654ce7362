"""The bounded background write queue."""

from __future__ import annotations

import asyncio

from corral.storage.write_queue import WriteQueue


async def test_close_flushes_every_accepted_write() -> None:
    done: list[int] = []
    queue = WriteQueue("test", max_size=100, num_writers=3)
    queue.start()

    def write(i: int):
        async def run() -> None:
            await asyncio.sleep(0.001)
            done.append(i)

        return run

    for i in range(50):
        assert queue.submit(write(i))
    await queue.close()
    assert sorted(done) == list(range(50))


async def test_full_queue_drops_and_counts_without_blocking() -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await release.wait()

    queue = WriteQueue("test", max_size=2, num_writers=1)
    queue.start()
    assert queue.submit(slow)
    await started.wait()
    assert queue.submit(slow) and queue.submit(slow)
    assert queue.submit(slow) is False
    assert queue.dropped == 1
    release.set()
    await queue.close()


async def test_writers_run_concurrently_and_failures_are_counted() -> None:
    running = 0
    peak = 0

    async def write() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1

    async def broken() -> None:
        raise RuntimeError("db down")

    queue = WriteQueue("test", max_size=10, num_writers=4)
    queue.start()
    for _ in range(4):
        queue.submit(write)
    queue.submit(broken)
    await queue.close()
    assert peak == 4
    assert queue.failed == 1
