"""Quotas through a real server: per IP, per principal, exact under concurrency, headers, faults."""

from __future__ import annotations

import math
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from corral.auth.quota import QuotaPolicy
from corral.config.quota import QuotaConfig
from corral.config.storage import KVReference, StorageConfig
from corral.storage.manager import StorageManager
from tests.auth.test_access_policy import USERS
from tests.fixtures.identity_stubs import run_identity_stubs
from tests.fixtures.server import RunningServer, run_server
from tests.fixtures.services import PostgresDB, RedisPrefix
from tests.fixtures.tcp_proxy import tcp_proxy

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

BASE = """version: 2
storage:
  backends:
{backends}
server:
  workers: {workers}
{auth}
  quota:
    kvstore: {kvstore}
    anonymous_max_requests: {anon}
    authenticated_max_requests: {authed}
    period: {period}
    on_store_error: {on_error}
    store_timeout_ms: {store_timeout_ms}
"""


def config(
    *,
    kvstore: str = '{type: sqlite, db_path: "${env.SQLITE_STORE_DIR}/quota.db"}',
    backends: str = "    {}",
    anon: int = 3,
    authed: int = 5,
    period: str = "day",
    auth: str = "",
    workers: int = 1,
    on_error: str = "deny",
    store_timeout_ms: int = 500,
) -> str:
    if backends.strip() == "{}":
        backends = '    kv_unused: {type: kv_sqlite, db_path: "${env.SQLITE_STORE_DIR}/unused.db"}'
    return BASE.format(
        backends=backends,
        kvstore=kvstore,
        anon=anon,
        authed=authed,
        period=period,
        auth=auth,
        workers=workers,
        on_error=on_error,
        store_timeout_ms=store_timeout_ms,
    )


def client_from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def hit(
    server: RunningServer, address: str = "127.0.0.1", token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with client_from(address) as c:
        return c.get(f"{server.base_url}/v1/providers", headers=headers)


def test_anonymous_limit_is_per_ip_with_headers(tmp_path: Path) -> None:
    with run_server(config(anon=3), tmp_path) as server:
        for expected_remaining in ("2", "1", "0"):
            r = hit(server, "127.0.0.2")
            assert r.status_code == 200
            assert (
                r.headers["ratelimit-limit"] == "3"
                and r.headers["x-ratelimit-limit-requests"] == "3"
            )
            assert r.headers["ratelimit-remaining"] == expected_remaining
        over = hit(server, "127.0.0.2")
        assert over.status_code == 429
        assert over.json()["error"]["message"] == "Quota exceeded"
        assert list(over.json()) == ["error"]
        day_left = 86400 - (time.time() % 86400)
        assert abs(int(over.headers["retry-after"]) - day_left) <= 2
        assert over.headers["ratelimit-remaining"] == "0"
        assert hit(server, "127.0.0.3").status_code == 200  # another client
        assert httpx.get(f"{server.base_url}/v1/health").status_code == 200  # not counted
        assert "ratelimit-limit" not in httpx.get(f"{server.base_url}/v1/health").headers


def test_counts_survive_a_restart(tmp_path: Path) -> None:
    with run_server(config(anon=2), tmp_path) as server:
        assert hit(server, "127.0.0.4").status_code == 200
    with run_server(config(anon=2), tmp_path) as server:
        assert hit(server, "127.0.0.4").status_code == 200
        assert hit(server, "127.0.0.4").status_code == 429


def test_authenticated_limit_per_principal(tmp_path: Path) -> None:
    with run_identity_stubs() as stubs:
        stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        stubs.custom_users["t-ann-2"] = {**USERS["t-ann"], "message": "second token of ann"}
        auth = f'  auth:\n    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}'
        with run_server(config(anon=1, authed=3, auth=auth), tmp_path) as server:
            assert [hit(server, token="t-ann").status_code for _ in range(3)] == [200, 200, 200]
            over = hit(server, token="t-ann-2")  # same principal, other token: same counter
            assert over.status_code == 429 and over.headers["x-ratelimit-limit-requests"] == "3"
            assert hit(server, token="t-cat").status_code == 200  # other principal
            assert hit(server, token="bad").status_code == 401  # auth runs first
            assert hit(server, token="bad").headers.get("ratelimit-limit") is None


def test_without_auth_the_anonymous_limit_applies_with_a_warning(tmp_path: Path) -> None:
    with run_server(config(anon=1, authed=100), tmp_path) as server:
        assert hit(server).status_code == 200
        assert hit(server).status_code == 429
        assert "anonymous_max_requests applies to every client" in server.log()


def concurrent_hits(server: RunningServer, n: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: hit(server, "127.0.0.5").status_code, range(n)))


@pytest.mark.parametrize("backend", ["sqlite", "redis", "postgres"])
def test_exactly_limit_admitted_under_concurrency(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    namespace = f"quota-{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        kv, backends = '{type: sqlite, db_path: "${env.SQLITE_STORE_DIR}/q.db"}', "    {}"
    elif backend == "redis":
        prefix: RedisPrefix = request.getfixturevalue("redis_prefix")
        kv = f"{{backend: kv_q, namespace: {prefix.prefix}{namespace}}}"
        backends = f"    kv_q: {{type: kv_redis, host: {prefix.host}, port: {prefix.port}}}"
    else:
        db: PostgresDB = request.getfixturevalue("postgres_db")
        kv = f"{{backend: kv_q, namespace: {namespace}}}"
        backends = f"    kv_q: {{type: kv_postgres, host: {db.host}, port: {db.port}, db: {db.db}, user: {db.user}}}"
    # Exactness, not deadlines, is tested here: a generous deadline keeps a loaded machine's
    # slow round trips from turning into 503s.
    slow_ok = config(kvstore=kv, backends=backends, anon=10, workers=2, store_timeout_ms=10000)
    with run_server(slow_ok, tmp_path) as server:
        statuses = concurrent_hits(server, 30)
    assert statuses.count(200) == 10 and statuses.count(429) == 20


def test_store_down_denies_or_allows_as_configured(
    tmp_path: Path, redis_prefix: RedisPrefix
) -> None:
    for policy, expected in (("deny", 503), ("allow", 200)):
        with tcp_proxy(redis_prefix.host, redis_prefix.port) as proxy:
            kv = f"{{backend: kv_q, namespace: {redis_prefix.prefix}down-{policy}}}"
            backends = f"    kv_q: {{type: kv_redis, host: 127.0.0.1, port: {proxy.port}}}"
            with run_server(
                config(kvstore=kv, backends=backends, on_error=policy), tmp_path
            ) as server:
                assert hit(server).status_code == 200
                proxy.cut()
                r = hit(server)
                assert r.status_code == expected, policy
                if expected == 503:
                    assert r.json()["error"]["code"] == "quota_store_unavailable"


def test_reference_to_a_missing_backend_is_a_config_error(tmp_path: Path) -> None:
    import subprocess

    from tests.fixtures.server import corral_command

    path = tmp_path / "q.yaml"
    path.write_text(config(kvstore="{backend: kv_nope, namespace: q}"))
    import os

    env = {**os.environ, "SQLITE_STORE_DIR": str(tmp_path)}
    result = subprocess.run(
        corral_command("config", "validate", str(path)), capture_output=True, text=True, env=env
    )
    assert (
        result.returncode == 2
        and "server.quota.kvstore" in result.stderr
        and "kv_nope" in result.stderr
    )


async def test_windows_reset_and_retry_after_is_exact(tmp_path: Path) -> None:
    now = [1_000_000_010.0]
    manager = StorageManager(
        StorageConfig.model_validate(
            {"backends": {"kv": {"type": "kv_sqlite", "db_path": str(tmp_path / "w.db")}}}
        )
    )
    await manager.open()
    try:
        policy = QuotaPolicy(
            QuotaConfig.model_validate(
                {"kvstore": {"type": "sqlite"}, "anonymous_max_requests": 2, "period": "minute"}
            ),
            auth_enabled=False,
            clock=lambda: now[0],
        )
        policy.store = manager.kv(KVReference(backend="kv", namespace="q"))
        key, limit = policy.client(None, "10.0.0.1", None)
        states = [await policy.count(key, limit) for _ in range(3)]
        assert [s.allowed for s in states] == [True, True, False]
        assert states[-1].reset_seconds == math.ceil(60 - (now[0] % 60))
        now[0] += 60  # the next window
        assert (await policy.count(key, limit)).allowed
    finally:
        await manager.close()


def test_forwarded_for_is_trusted_only_from_configured_proxies() -> None:
    policy = QuotaPolicy(
        QuotaConfig.model_validate(
            {"kvstore": {"type": "sqlite"}, "trusted_proxies": ["10.0.0.0/8"]}
        ),
        auth_enabled=False,
    )
    assert policy.client(None, "10.1.2.3", "203.0.113.9, 10.0.0.7")[0] == "ip:203.0.113.9"
    assert policy.client(None, "198.51.100.1", "203.0.113.9")[0] == "ip:198.51.100.1"


def test_streaming_responses_carry_the_limit_headers(tmp_path: Path) -> None:
    from tests.fixtures.fake_openai import run_fake_openai

    with run_fake_openai() as fake:
        text = config(anon=5).replace(
            "storage:",
            f"""providers:
  inference:
  - {{provider_id: fake, provider_type: remote::openai-compatible, config: {{base_url: "{fake.url}"}}}}
models:
- {{model_id: fake-chat, provider_id: fake}}
storage:""",
        )
        with run_server(text, tmp_path) as server:
            body = {
                "model": "fake/fake-chat",
                "messages": [{"role": "user", "content": "x"}],
                "stream": True,
            }
            with httpx.stream(
                "POST", f"{server.base_url}/v1/chat/completions", json=body, timeout=30
            ) as r:
                assert r.status_code == 200
                assert r.headers["content-type"].startswith("text/event-stream")
                assert r.headers["ratelimit-remaining"] == "4"
                assert r.headers["x-ratelimit-remaining-requests"] == "4"
                assert any(line == "data: [DONE]" for line in r.iter_lines())
