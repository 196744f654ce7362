"""Coalesced counter increments: one round trip per key for every caller waiting on it.

Under load many requests increment the same quota counter at once. Each
backend's store round trip (a thread hop to SQLite, a Redis script, a Postgres
statement) costs far more than the increment itself, so increments that arrive
while one round trip is in flight wait and travel together in the next one,
summed per key: the store adds ``n`` atomically and answers the new value ``v``,
and the ``n`` callers get ``v-n+1 .. v`` in arrival order. The counter stays
exact across processes and hosts (the store still does one atomic add per key),
every caller gets its own distinct count, and idle traffic pays no extra wait
(a lone increment goes at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

#: (key, how many to add, seconds until a new counter expires)
Increment = tuple[str, int, float]
#: (value after the add, seconds until the counter expires)
Counted = tuple[int, float]
AddMany = Callable[[Sequence[Increment]], Awaitable[Sequence[Counted]]]


class CoalescingCounter:
    """Sends at most one batch of increments to the store at a time; the rest queue per key."""

    def __init__(self, add_many: AddMany) -> None:
        self._add_many = add_many
        self._busy = False
        self._pending: dict[str, tuple[float, list[asyncio.Future[Counted]]]] = {}
        self._drainer: asyncio.Task[None] | None = None

    async def incr(self, key: str, expires_in: float) -> Counted:
        """Add 1 to `key`; the store's error is raised to every caller of the failed batch."""
        if not self._busy:
            return await self._alone(key, expires_in)
        future: asyncio.Future[Counted] = asyncio.get_running_loop().create_future()
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = (expires_in, [future])
        else:
            entry[1].append(future)
        return await future

    async def _alone(self, key: str, expires_in: float) -> Counted:
        self._busy = True
        try:
            (counted,) = await self._add_many([(key, 1, expires_in)])
        finally:
            if self._pending:
                self._drainer = asyncio.get_running_loop().create_task(self._drain())
            else:
                self._busy = False
        return counted

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                items = [(key, len(futures), exp) for key, (exp, futures) in batch.items()]
                try:
                    results = await self._add_many(items)
                except Exception as exc:
                    for _, futures in batch.values():
                        _fail(futures, exc)
                    continue
                for (_, futures), (value, ttl) in zip(batch.values(), results, strict=True):
                    first = value - len(futures) + 1
                    for i, future in enumerate(futures):
                        if not future.done():
                            future.set_result((first + i, ttl))
        finally:
            self._busy = False

    async def close(self) -> None:
        """Let a batch in flight finish."""
        if self._drainer is not None:
            await asyncio.gather(self._drainer, return_exceptions=True)


def _fail(futures: list[asyncio.Future[Counted]], exc: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)
