"""GET /v1alpha/usage through a real `corral run`: numbers, filters, access control, persistence."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.auth.test_access_policy import USERS
from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.identity_stubs import run_identity_stubs
from tests.fixtures.server import RunningServer, run_server
from tests.observe.conftest import upstream_config
from tests.observe.test_metrics import authed

pytestmark = pytest.mark.slow

USAGE_ON = "telemetry:\n  usage: {enabled: true, flush_seconds: 60}\n"


def chat(server: RunningServer, token: str, stream: bool = False) -> None:
    body = {"model": "fake/fake-chat", "messages": [{"role": "user", "content": "hi"}],
            "stream": stream}  # fmt: skip
    response = httpx.post(f"{server.base_url}/v1/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200


def usage(server: RunningServer, token: str, **params: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/v1alpha/usage", params=params,
                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def test_usage_per_principal_and_model_with_access_control(tmp_path: Path) -> None:
    with run_identity_stubs() as stubs, run_fake_openai() as fake:
        stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        config = upstream_config(fake.url, USAGE_ON, server=authed(stubs.url, quota=False))
        with run_server(config, tmp_path) as server:
            for _ in range(2):
                chat(server, "t-ann")  # 5 in + 3 out each
            chat(server, "t-ann", stream=True)  # 5 in + 5 out (usage asked for by corral)
            chat(server, "t-cat")
            httpx.post(f"{server.base_url}/v1/embeddings",
                       json={"model": "fake/fake-embed", "input": ["a", "b", "c"]},
                       headers={"Authorization": "Bearer t-cat"})  # fmt: skip

            own = usage(server, "t-ann").json()
            assert own["object"] == "list" and own["granularity"] == "day"
            (row,) = own["data"]
            assert row["principal"] == "ann" and row["model"] == "fake/fake-chat"
            assert (row["requests"], row["input_tokens"], row["output_tokens"]) == (3, 15, 11)
            assert row["end_time"] - row["start_time"] == 86400
            assert usage(server, "t-ann", principal="cat").status_code == 403

            everyone = usage(server, "t-admin").json()["data"]
            assert {(r["principal"], r["model"], r["requests"]) for r in everyone} == {
                ("ann", "fake/fake-chat", 3),
                ("cat", "fake/fake-chat", 1),
                ("cat", "fake/fake-embed", 1),
            }
            cat = usage(server, "t-admin", principal="cat", model="fake/fake-embed").json()
            assert [(r["requests"], r["input_tokens"]) for r in cat["data"]] == [(1, 3)]
            hourly = usage(server, "t-admin", granularity="hour").json()["data"]
            assert {r["end_time"] - r["start_time"] for r in hourly} == {3600}
            future = str(int(time.time()) + 7200)
            assert usage(server, "t-admin", start_time=future).json()["data"] == []
            assert usage(server, "t-admin", granularity="week").status_code == 400
            assert httpx.get(f"{server.base_url}/v1alpha/usage").status_code == 401

        # Flushed at shutdown: the counts survive a restart.
        with run_server(config, tmp_path) as server:
            again = usage(server, "t-ann")
            assert again.status_code == 200, (again.text, server.log()[-3000:])
            (row,) = again.json()["data"]
            assert row["requests"] == 3 and row["output_tokens"] == 11


def test_usage_route_is_absent_unless_enabled(tmp_path: Path) -> None:
    with run_fake_openai() as fake, run_server(upstream_config(fake.url), tmp_path) as server:
        assert httpx.get(f"{server.base_url}/v1alpha/usage").status_code == 404
