"""System routes through a real `corral run` subprocess."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

CONFIG = """
version: 2
apis: []
providers: {}
server:
  port: 1
"""


def test_health_version_and_unknown_route(tmp_path: Path) -> None:
    with run_server(CONFIG, tmp_path) as server:
        health = httpx.get(f"{server.base_url}/v1/health")
        assert health.status_code == 200
        assert health.json() == {"status": "OK"}
        version = httpx.get(f"{server.base_url}/v1/version").json()
        assert version["version"]
        missing = httpx.get(f"{server.base_url}/v1/nope")
        assert missing.status_code == 404
        assert set(missing.json()["error"]) >= {"message", "type", "code"}


def test_openapi_lists_every_route(tmp_path: Path) -> None:
    with run_server(CONFIG, tmp_path) as server:
        spec = httpx.get(f"{server.base_url}/openapi.json").json()
        routes = httpx.get(f"{server.base_url}/v1/inspect/routes").json()["data"]
        for route in routes:
            assert route["method"].lower() in spec["paths"][route["route"]]
        assert "/v1/health" in spec["paths"]


def test_models_list_is_empty_without_inference_providers(tmp_path: Path) -> None:
    import openai

    with run_server(CONFIG, tmp_path) as server:
        client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none")
        assert list(client.models.list()) == []
        r = httpx.post(f"{server.base_url}/v1/models", json={"model_id": "x"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "no_inference_provider"
