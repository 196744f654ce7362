"""A frozen quota store costs one deadline, not one per request (issue 15, item 4).

The real Redis is reached through a loopback proxy that the test freezes
(connections stay open, nothing is passed on), as a SIGSTOPped Redis behaves,
without stopping the shared server. Before the fix every request waited the
client's own timeout (10 s) before the quota decision, in both modes.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.polling import wait_until
from tests.fixtures.server import RunningServer, run_server
from tests.fixtures.services import RedisPrefix
from tests.fixtures.tcp_proxy import tcp_proxy

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

CONFIG = """version: 2
storage:
  backends:
    kv_q: {{type: kv_redis, host: 127.0.0.1, port: {port}}}
server:
  quota:
    kvstore: {{backend: kv_q, namespace: {namespace}}}
    anonymous_max_requests: 1000
    on_store_error: {mode}
    store_timeout_ms: 100
    breaker_threshold: 3
    breaker_cooldown_seconds: 1
"""


def _timed(server: RunningServer) -> tuple[int, float]:
    started = time.monotonic()
    response = httpx.get(f"{server.base_url}/v1/providers", timeout=30)
    return response.status_code, time.monotonic() - started


@pytest.mark.parametrize(("mode", "expected"), [("deny", 503), ("allow", 200)])
def test_a_frozen_redis_costs_one_deadline_then_fails_fast(
    tmp_path: Path, redis_prefix: RedisPrefix, mode: str, expected: int
) -> None:
    with tcp_proxy(redis_prefix.host, redis_prefix.port) as proxy:
        namespace = f"{redis_prefix.prefix}frozen-{mode}"
        config = CONFIG.format(port=proxy.port, namespace=namespace, mode=mode)
        with run_server(config, tmp_path) as server:
            assert _timed(server)[0] == 200
            proxy.pause()
            try:
                timings = [_timed(server) for _ in range(12)]
            finally:
                proxy.resume()
            assert [status for status, _ in timings] == [expected] * 12
            # The first calls each wait out the deadline (100 ms), then the breaker opens and
            # the rest do not ask the store at all (before: 10 s each, in both modes).
            assert sum(t for _, t in timings) < 6.0, timings
            assert "not asking it for" in server.log()
            # Once the store answers again, a probe after the cooldown closes the breaker.
            wait_until(
                lambda: httpx.get(f"{server.base_url}/v1/providers").headers.get("ratelimit-limit"),
                timeout=10,
                what="the quota store to count again",
            )
            if mode == "deny":
                assert (
                    "circuit open" not in server.log()
                )  # open circuits are not logged per request
            assert server.log().count("not asking it for") <= 4
