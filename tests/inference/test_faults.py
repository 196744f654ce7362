"""Upstream faults map to clear statuses; streams end cleanly; disconnects reach the upstream."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import RunningServer

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

MESSAGES = [{"role": "user", "content": "x"}]


def post_chat(server: RunningServer, model: str, **extra: object) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/v1/chat/completions",
        json={"model": model, "messages": MESSAGES, **extra},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        ("fake/error-500", 502, "upstream_error"),
        ("fake/error-401", 502, "upstream_auth_failed"),
        ("fake/error-400", 400, "upstream_invalid_request"),
        ("fake/error-429", 429, "upstream_rate_limited"),
        ("fake/bad-json", 502, "upstream_bad_response"),
        ("tight/slow-1", 504, "upstream_timeout"),
    ],
)
def test_upstream_errors_before_the_first_byte(
    server: RunningServer, model: str, status: int, code: str
) -> None:
    for stream in (False, True):
        r = post_chat(server, model, stream=stream)
        assert r.status_code == status, (model, stream, r.text)
        error = r.json()["error"]
        assert error["code"] == code and error["message"]
        if status == 429:
            assert r.headers["retry-after"] == "7"


def test_upstream_400_message_reaches_the_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="fake 400 for error-400"):
        client.chat.completions.create(model="fake/error-400", messages=MESSAGES)  # type: ignore[arg-type]


def test_unreachable_upstream_is_502(server: RunningServer) -> None:
    for stream in (False, True):
        r = post_chat(server, "down/anything", stream=stream)
        assert r.status_code == 502
        assert "cannot reach" in r.json()["error"]["message"]


def test_reset_mid_stream_ends_with_an_error_event(server: RunningServer) -> None:
    with httpx.stream(
        "POST",
        f"{server.base_url}/v1/chat/completions",
        timeout=30,
        json={"model": "fake/reset-stream", "messages": MESSAGES, "stream": True},
    ) as r:
        assert r.status_code == 200
        events = [line for line in r.iter_lines() if line]
    assert events[0].startswith("data: {")
    assert events[-2] == "event: error"
    assert '"type":"upstream_error"' in events[-1]
    assert "data: [DONE]" not in events


def test_client_disconnect_cancels_the_upstream(server: RunningServer, fake: RunningFake) -> None:
    before = fake.state.streams_cancelled
    with httpx.stream(
        "POST",
        f"{server.base_url}/v1/chat/completions",
        timeout=30,
        json={"model": "fake/slow-stream", "messages": MESSAGES, "stream": True},
    ) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("data: ")
    deadline = time.monotonic() + 5
    while fake.state.streams_cancelled == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.state.streams_cancelled == before + 1


def test_503_is_retried_before_any_byte(server: RunningServer, fake: RunningFake) -> None:
    before = fake.state.flaky_calls
    ok = post_chat(server, "retrying/flaky")
    assert ok.status_code == 200
    assert fake.state.flaky_calls - before == 2  # one 503, then the retry answered
    if fake.state.flaky_calls % 2 == 1:
        fake.state.flaky_calls += 1
    failed = post_chat(server, "fake/flaky")  # max_retries: 0
    assert failed.status_code == 502
