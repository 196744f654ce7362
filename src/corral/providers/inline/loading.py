"""Load an embedded model in the background at startup, and let requests wait for it.

The server answers as soon as it starts; a model that is still loading is
reported by ``GET /v1/health`` and ``/v1/providers``, and requests for it wait
(up to a bound) instead of failing. A model that failed to load turns every
request for it into a 503 that names the cause.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Generic, TypeVar

from corral.apis.health import ProviderHealth
from corral.errors import ServiceUnavailable

T = TypeVar("T")
log = logging.getLogger("corral.embedded")

# llama.cpp silences its native output by pointing the *process's* stderr (fd 2) at
# /dev/null while a model loads. Two loads overlapping in two threads restore each other's
# redirection in the wrong order and lose the server's stderr for good, and a log line
# written meanwhile vanishes. So embedded models load one at a time, logging inside the
# lock. (A lock for a process-wide resource is the one module-level object this needs.)
_LOAD_LOCK = threading.Lock()


def _import_numpy_here() -> None:
    """Import numpy on the calling (event loop) thread before a load thread does.

    numpy imported from two threads at once fails in one of them ("partially
    initialized module"); a model load imports it on its thread while other
    providers starting on the loop (sqlite-vec, faiss) import it too.
    """
    if importlib.util.find_spec("numpy") is not None:
        importlib.import_module("numpy")


class BackgroundLoad(Generic[T]):
    """One object (a model) built by a blocking function on an executor."""

    def __init__(
        self,
        what: str,
        load: Callable[[], T],
        executor: Executor,
        before: tuple[Callable[[], None], str] | None = None,
    ) -> None:
        self.what = what
        #: A blocking wait run first, outside the load lock, and what health says meanwhile
        #: (the llama.cpp runtime still being built).
        self._before = before
        self._waiting = before is not None
        _import_numpy_here()
        log.info("loading %s", what)
        self._future = asyncio.get_running_loop().run_in_executor(executor, self._timed, load)

    def _timed(self, load: Callable[[], T]) -> T:
        if self._before is not None:
            try:
                self._before[0]()
            except Exception as exc:
                log.error("loading %s failed: %s", self.what, exc)
                raise
            finally:
                self._waiting = False
        with _LOAD_LOCK:
            started = time.perf_counter()
            try:
                value = load()
            except Exception as exc:
                log.error("loading %s failed: %s", self.what, exc)
                raise
            log.info("loaded %s in %.2fs", self.what, time.perf_counter() - started)
            return value

    def health(self) -> ProviderHealth:
        """``loading``, ``ok`` or ``error`` with the cause."""
        if not self._future.done():
            if self._waiting and self._before is not None:
                return ProviderHealth("Loading", f"{self.what}: {self._before[1]}")
            return ProviderHealth("Loading", f"loading {self.what}")
        exc = self._future.exception()
        if exc is not None:
            return ProviderHealth("Error", f"{self.what} failed to load: {exc}")
        return ProviderHealth("OK")

    def loaded(self) -> T | None:
        """The object when it is ready, else None (never raises)."""
        if self._future.done() and self._future.exception() is None:
            return self._future.result()
        return None

    async def get(self, wait_seconds: float) -> T:
        """The object, waiting up to `wait_seconds` for it; 503 when not ready or broken."""
        if not self._future.done():
            finished, _ = await asyncio.wait([self._future], timeout=wait_seconds)
            if not finished:
                raise ServiceUnavailable(
                    f"{self.what} is still loading; retry shortly",
                    retry_after=max(1, round(wait_seconds)),
                    code="model_loading",
                )
        exc = self._future.exception()
        if exc is not None:
            raise ServiceUnavailable(
                f"{self.what} failed to load: {exc}", code="model_load_failed"
            ) from None
        return self._future.result()

    async def wait(self) -> None:
        """Wait for loading to end (successfully or not); used at shutdown."""
        await asyncio.wait([self._future])
