"""Registered models and stored chat completions survive a real server restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_model_registered_over_http_survives_restart(
    fake: RunningFake, config_path: Path, tmp_path: Path
) -> None:
    with run_server(config_path, tmp_path) as server:
        r = httpx.post(
            f"{server.base_url}/v1/models",
            json={"model_id": "late", "provider_id": "fake", "provider_model_id": "fake-chat"},
        )
        assert r.status_code == 409  # the id is provider_id/provider_model_id: taken by config
        created = httpx.post(
            f"{server.base_url}/v1/models",
            json={
                "model_id": "my-embedder",
                "provider_id": "fake",
                "model_type": "embedding",
                "metadata": {"embedding_dimension": 8},
            },
        )
        assert created.status_code == 200, created.text
        assert created.json()["id"] == "fake/my-embedder"
        dup = httpx.post(
            f"{server.base_url}/v1/models", json={"model_id": "my-embedder", "provider_id": "fake"}
        )
        assert dup.status_code == 409
    with run_server(config_path, tmp_path) as server:
        again = httpx.get(f"{server.base_url}/v1/models/fake/my-embedder")
        assert again.status_code == 200
        assert again.json()["custom_metadata"]["model_type"] == "embedding"
        ids = [m["id"] for m in httpx.get(f"{server.base_url}/v1/models").json()["data"]]
        assert ids.count("fake/fake-chat") == 1  # config models re-applied without duplicates
        config_delete = httpx.delete(f"{server.base_url}/v1/models/fake/fake-chat")
        assert config_delete.status_code == 400
        assert httpx.delete(f"{server.base_url}/v1/models/fake/my-embedder").status_code == 204
        assert httpx.get(f"{server.base_url}/v1/models/fake/my-embedder").status_code == 404


def test_stored_completions_list_and_survive_restart(
    fake: RunningFake, config_path: Path, tmp_path: Path
) -> None:
    with run_server(config_path, tmp_path) as server:
        client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
        plain = client.chat.completions.create(
            model="fake/fake-chat", messages=[{"role": "user", "content": "one"}]
        )
        streamed_id = None
        for chunk in client.chat.completions.create(
            model="fake/fake-chat", messages=[{"role": "user", "content": "two"}], stream=True
        ):
            streamed_id = chunk.id
        deadline = time.monotonic() + 5
        listed: dict[str, Any] = {}
        while time.monotonic() < deadline:
            listed = httpx.get(f"{server.base_url}/v1/chat/completions").json()
            if len(listed["data"]) >= 2:
                break
            time.sleep(0.05)
        assert {plain.id, streamed_id} <= {c["id"] for c in listed["data"]}
    with run_server(config_path, tmp_path) as server:
        one = httpx.get(f"{server.base_url}/v1/chat/completions/{plain.id}").json()
        assert one["input_messages"] == [{"role": "user", "content": "one"}]
        assert one["choices"][0]["message"]["content"] == "echo: one"
        streamed = httpx.get(f"{server.base_url}/v1/chat/completions/{streamed_id}").json()
        assert streamed["choices"][0]["message"]["content"] == "Hello from the fake upstream"
        assert streamed["model"] == "fake/fake-chat"
        page = httpx.get(f"{server.base_url}/v1/chat/completions", params={"limit": 1}).json()
        assert len(page["data"]) == 1 and page["has_more"] is True
        rest = httpx.get(
            f"{server.base_url}/v1/chat/completions", params={"limit": 10, "after": page["last_id"]}
        ).json()
        assert page["last_id"] not in {c["id"] for c in rest["data"]}
        assert httpx.get(f"{server.base_url}/v1/chat/completions/nope").status_code == 404
        assert (
            httpx.get(f"{server.base_url}/v1/chat/completions", params={"order": "up"}).status_code
            == 400
        )
