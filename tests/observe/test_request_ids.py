"""Request ids and the access log through a real `corral run` in front of the fake upstream."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.server import RunningServer, run_server
from tests.observe.conftest import upstream_config

pytestmark = pytest.mark.slow

TRUSTING = """telemetry:
  request_id: {trusted_clients: [127.0.0.1/32]}
  access_log: {enabled: true}
"""
CHAT = {"model": "fake/fake-chat", "messages": [{"role": "user", "content": "hi"}]}


def access_lines(server: RunningServer, request_id: str) -> list[dict[str, object]]:
    """The JSON access-log lines of `request_id` (written by a background thread: waits a bit)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [orjson.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        found = [
            line
            for line in lines
            if line.get("logger") == "corral.access" and line.get("request_id") == request_id
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_request_ids_round_trip_reach_the_upstream_and_the_access_log(tmp_path: Path) -> None:
    with (
        run_fake_openai() as fake,
        run_server(
            upstream_config(fake.url, TRUSTING), tmp_path, extra_args=("--log-format", "json")
        ) as server,
    ):
        base = server.base_url
        generated = httpx.get(f"{base}/v1/models")
        assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
        other = httpx.get(f"{base}/v1/models").headers["x-request-id"]
        assert other != generated.headers["x-request-id"]

        kept = httpx.post(f"{base}/v1/chat/completions", json=CHAT,
                          headers={"X-Request-ID": "rid-chat-1"})  # fmt: skip
        assert kept.status_code == 200
        assert kept.headers["x-request-id"] == "rid-chat-1"
        upstream = fake.state.requests[-1]
        assert upstream["path"] == "/v1/chat/completions"
        assert {k.lower(): v for k, v in upstream["headers"].items()}[
            "x-request-id"
        ] == "rid-chat-1"

        # An id that could not be echoed or logged safely is replaced.
        replaced = httpx.get(f"{base}/v1/models", headers={"X-Request-ID": "a" * 200})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])

        missing = httpx.post(f"{base}/v1/chat/completions",
                             json={**CHAT, "model": "nope"}, headers={"X-Request-ID": "rid-404"})  # fmt: skip
        assert missing.status_code == 404
        assert missing.headers["x-request-id"] == "rid-404"
        assert missing.json()["error"]["request_id"] == "rid-404"

        (line,) = access_lines(server, "rid-chat-1")
        assert str(line["message"]).startswith("POST /v1/chat/completions 200")
        assert line["method"] == "POST" and line["route"] == "/v1/chat/completions"
        assert line["status"] == 200 and line["model"] == "fake/fake-chat"
        assert line["input_tokens"] == 5 and line["output_tokens"] == 3
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
        assert line["principal_hash"] is None  # no authentication configured
        (error_line,) = access_lines(server, "rid-404")
        assert error_line["status"] == 404 and error_line["error_code"] == "model_not_found"
        # The route template, not the concrete path, names parameterised routes.
        httpx.get(f"{base}/v1/chat/completions/chatcmpl-9", headers={"X-Request-ID": "rid-get"})
        (get_line,) = access_lines(server, "rid-get")
        assert get_line["route"] == "/v1/chat/completions/{completion_id}"
        httpx.get(f"{base}/v1/no-such-route", headers={"X-Request-ID": "rid-none"})
        (none_line,) = access_lines(server, "rid-none")
        assert none_line["route"] == "unmatched"  # raw paths never become labels or log keys


def test_untrusted_clients_get_a_fresh_id_and_the_access_log_is_off_by_default(
    tmp_path: Path,
) -> None:
    extra = "telemetry:\n  request_id: {trusted_clients: [10.0.0.0/8]}\n"
    with (
        run_fake_openai() as fake,
        run_server(upstream_config(fake.url, extra), tmp_path) as server,
    ):
        response = httpx.post(f"{server.base_url}/v1/chat/completions", json=CHAT,
                              headers={"X-Request-ID": "client-chosen"})  # fmt: skip
        rid = response.headers["x-request-id"]
        assert rid != "client-chosen" and re.fullmatch(r"[0-9a-f]{32}", rid)
        assert {k.lower(): v for k, v in fake.state.requests[-1]["headers"].items()}[
            "x-request-id"
        ] == rid
        time.sleep(0.2)
        assert "POST /v1/chat/completions 200" not in server.log()


def test_text_log_lines_carry_the_request_id(tmp_path: Path) -> None:
    extra = "telemetry:\n  access_log: {enabled: true}\n"
    with (
        run_fake_openai() as fake,
        run_server(upstream_config(fake.url, extra), tmp_path) as server,
    ):
        rid = httpx.get(f"{server.base_url}/v1/models").headers["x-request-id"]
        deadline = time.monotonic() + 5
        while f"[{rid}]" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        (line,) = [x for x in server.log().splitlines() if f"[{rid}]" in x]
        assert "corral.access" in line and "GET /v1/models 200" in line
