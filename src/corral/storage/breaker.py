"""`StoreBreaker`: a deadline and a circuit breaker for store calls on the request path.

A store that hangs (a frozen Redis, a stalled disk) does not fail: its calls
wait for the client library's own timeout, seconds each, and every request
waits with them. Calls made through a breaker have a short deadline instead,
and after `threshold` failures in a row (a timeout or an error) the breaker
opens: for `cooldown` seconds calls fail at once without touching the store,
so a sick store costs one deadline, not one per request. After the cooldown
one call is let through as a probe; its success closes the breaker, its
failure opens it again.

A call that misses its deadline is cancelled (the stores' counter round trips
are safe to cancel: a late answer is dropped, not misread). What a failure
means for the request (deny with 503, or let it through) is the caller's
policy, not the breaker's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger("corral.storage")

T = TypeVar("T")


class CircuitOpen(ConnectionError):
    """The breaker is open: the store was not asked."""


class StoreBreaker:
    """Deadline + consecutive-failure breaker around one store's request-path calls."""

    def __init__(
        self,
        name: str,
        *,
        timeout: float,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._timeout = timeout
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0  # 0: closed
        self._probing = False

    @property
    def is_open(self) -> bool:
        """True while calls are refused without asking the store."""
        return self._open_until != 0.0 and (self._probing or self._clock() < self._open_until)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """`coro`'s result within the deadline; `CircuitOpen`, `TimeoutError` or its error."""
        probe = False
        if self._open_until:
            if self._probing or self._clock() < self._open_until:
                coro.close()
                raise CircuitOpen(f"{self.name} is unavailable (circuit open)")
            self._probing = probe = True
        try:
            async with asyncio.timeout(self._timeout):
                result = await coro
        except Exception as exc:
            self._failed(exc, probe)
            raise
        except BaseException:
            if probe:
                self._probing = False  # cancelled from outside: let another call probe
            raise
        if self._failures or self._open_until:
            self._closed()
        return result

    def _failed(self, exc: Exception, probe: bool) -> None:
        self._failures += 1
        self._probing = False
        if probe or self._failures >= self._threshold:
            if not self._open_until or probe:
                log.warning(
                    "%s failed %d time(s) in a row (%s); not asking it for %gs",
                    self.name,
                    self._failures,
                    type(exc).__name__ if isinstance(exc, TimeoutError) else exc,
                    self._cooldown,
                )
            self._open_until = self._clock() + self._cooldown

    def _closed(self) -> None:
        if self._open_until:
            log.warning("%s answers again; circuit closed", self.name)
        self._failures = 0
        self._open_until = 0.0
        self._probing = False
