"""Databases that are down, come back, or are corrupt: clear errors, 503s, recovery, no hangs."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import corral_command, free_port, run_server
from tests.fixtures.services import RedisPrefix
from tests.fixtures.tcp_proxy import tcp_proxy

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

MODELS_ON = """version: 2
providers:
  inference:
  - {{provider_id: up, provider_type: remote::openai-compatible, config: {{base_url: "http://127.0.0.1:9/v1"}}}}
storage:
  backends:
    kv_main: {backend}
  stores:
    metadata: {{backend: kv_main, namespace: "{namespace}"}}
"""


def test_backend_down_at_startup_names_backend_and_address(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "down.yaml"
    config.write_text(
        MODELS_ON.format(
            backend=f"{{type: kv_redis, host: 127.0.0.1, port: {port}}}", namespace="r"
        )
    )
    result = subprocess.run(
        [*corral_command("run", str(config), "--port", str(free_port()))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        f"storage backend 'kv_main' (kv_redis at 127.0.0.1:{port}/0) cannot be opened"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_backend_down_later_gives_503_then_recovers(
    tmp_path: Path, redis_prefix: RedisPrefix
) -> None:
    namespace = f"{redis_prefix.prefix}registry-{uuid.uuid4().hex[:6]}"
    with tcp_proxy(redis_prefix.host, redis_prefix.port) as proxy:
        backend = f"{{type: kv_redis, host: 127.0.0.1, port: {proxy.port}}}"
        with run_server(MODELS_ON.format(backend=backend, namespace=namespace), tmp_path) as server:
            register = {"model_id": "m1", "provider_id": "up"}
            assert httpx.post(f"{server.base_url}/v1/models", json=register).status_code == 200
            proxy.cut()
            down = httpx.post(
                f"{server.base_url}/v1/models", json={**register, "model_id": "m2"}, timeout=30
            )
            assert down.status_code == 503
            assert "storage backend 'kv_main'" in down.json()["error"]["message"]
            assert (
                httpx.get(f"{server.base_url}/v1/health").status_code == 200
            )  # the server lives on
            proxy.restore()
            deadline = time.monotonic() + 20
            while True:
                again = httpx.post(
                    f"{server.base_url}/v1/models", json={**register, "model_id": "m2"}, timeout=30
                )
                if again.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert again.status_code == 200, again.text


def test_corrupt_sqlite_file_is_a_clear_startup_error(tmp_path: Path) -> None:
    db = tmp_path / "kv.db"
    db.write_bytes(b"this is not a database" * 100)
    config = tmp_path / "corrupt.yaml"
    config.write_text(
        MODELS_ON.format(backend=f"{{type: kv_sqlite, db_path: {db}}}", namespace="r")
    )
    started = time.monotonic()
    result = subprocess.run(
        [*corral_command("run", str(config), "--port", str(free_port()))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "storage backend 'kv_main' (kv_sqlite at" in result.stderr
    assert "file is not a database" in result.stderr
    assert time.monotonic() - started < 30
