"""BackgroundLoad: the state a still-loading embedded model reports, and what requests get."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from corral.errors import ServiceUnavailable
from corral.providers.inline.loading import BackgroundLoad


async def test_requests_wait_then_get_503_while_loading_and_the_model_once_loaded() -> None:
    release = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        load = BackgroundLoad("model m", lambda: release.wait(10) and "weights", pool)
        assert load.health().status == "Loading" and "model m" in load.health().message
        assert load.loaded() is None
        with pytest.raises(ServiceUnavailable) as err:
            await load.get(0.05)
        assert err.value.code == "model_loading" and err.value.headers["Retry-After"] == "1"
        waiter = asyncio.ensure_future(load.get(5))
        release.set()
        assert await waiter == "weights"
        assert load.health().status == "OK" and load.loaded() == "weights"


async def test_a_failed_load_is_reported_with_its_cause() -> None:
    def broken() -> str:
        raise OSError("bad magic")

    with ThreadPoolExecutor(1) as pool:
        load = BackgroundLoad("model m", broken, pool)
        await load.wait()
        assert load.health().status == "Error" and "bad magic" in load.health().message
        with pytest.raises(ServiceUnavailable) as err:
            await load.get(1)
        assert err.value.code == "model_load_failed"
