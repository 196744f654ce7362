"""StoreBreaker units: deadline, opening after the threshold, probing after the cooldown."""

from __future__ import annotations

import asyncio

import pytest

from corral.storage.breaker import CircuitOpen, StoreBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _ok() -> int:
    return 7


async def _hang() -> int:
    await asyncio.sleep(10)
    return 0


async def _boom() -> int:
    raise ConnectionError("down")


async def test_opens_after_threshold_then_fails_without_asking() -> None:
    clock = Clock()
    breaker = StoreBreaker("s", timeout=0.01, threshold=2, cooldown=5, clock=clock)
    assert await breaker.call(_ok()) == 7
    with pytest.raises(TimeoutError):
        await breaker.call(_hang())
    assert not breaker.is_open
    with pytest.raises(ConnectionError):
        await breaker.call(_boom())
    assert breaker.is_open
    asked = _ok()
    with pytest.raises(CircuitOpen):
        await breaker.call(asked)  # closed without running: no "never awaited" warning
    clock.now += 5
    assert await breaker.call(_ok()) == 7  # the probe succeeds: closed again
    assert not breaker.is_open


async def test_a_failed_probe_opens_it_again_and_one_probe_at_a_time() -> None:
    clock = Clock()
    breaker = StoreBreaker("s", timeout=0.05, threshold=1, cooldown=5, clock=clock)
    with pytest.raises(ConnectionError):
        await breaker.call(_boom())
    clock.now += 5
    probe = asyncio.ensure_future(breaker.call(_hang()))
    await asyncio.sleep(0)
    with pytest.raises(CircuitOpen):
        await breaker.call(_ok())  # a probe is in flight: others still fail fast
    with pytest.raises(TimeoutError):
        await probe
    assert breaker.is_open
    with pytest.raises(CircuitOpen):
        await breaker.call(_ok())


async def test_success_resets_the_failure_count() -> None:
    breaker = StoreBreaker("s", timeout=1, threshold=2, cooldown=5, clock=Clock())
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await breaker.call(_boom())
        await breaker.call(_ok())
    assert not breaker.is_open
