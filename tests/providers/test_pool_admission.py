"""Upstream pool admission (issue 15, item 3): a bounded wait, then 503; a cap per principal.

With every pool slot held by slow requests, another caller used to wait
silently for as long as the slow ones took (17 s in the report). Now it waits
at most `pool_timeout` and gets 503 with Retry-After; and one principal can
hold at most `max_concurrent_per_principal` slots, so others still get in.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.errors import ConcurrencyLimited, ServiceUnavailable
from corral.providers.openai_compat.client import ClientSettings, OpenAICompatClient
from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

CHAT = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


def _client(upstream: RunningFake, **settings: object) -> OpenAICompatClient:
    return OpenAICompatClient(
        ClientSettings(base_url=upstream.url, max_retries=0, timeout=30, **settings)  # type: ignore[arg-type]
    )


async def test_a_full_pool_answers_503_after_the_wait(upstream: RunningFake) -> None:
    client = _client(upstream, pool_size=1, pool_timeout=0.3)
    try:
        slow = asyncio.create_task(
            client.post_json("/chat/completions", {**CHAT, "model": "slow-2"})
        )
        await asyncio.sleep(0.2)  # let it take the one slot
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as refused:
            await client.post_json("/chat/completions", {**CHAT, "model": "fake-chat"})
        assert refused.value.code == "upstream_busy"
        assert refused.value.headers["Retry-After"] == "1"
        assert time.monotonic() - started < 1.5
        await slow  # the slot holder is unaffected
        answer = await client.post_json("/chat/completions", {**CHAT, "model": "fake-chat"})
        assert answer["object"] == "chat.completion"
    finally:
        await client.close()


async def test_one_principal_cannot_hold_every_slot(upstream: RunningFake) -> None:
    client = _client(upstream, pool_size=4, max_concurrent_per_principal=2)
    try:
        held = [
            asyncio.create_task(
                client.post_json(
                    "/chat/completions", {**CHAT, "model": "slow-1"}, principal="alice"
                )
            )
            for _ in range(2)
        ]
        await asyncio.sleep(0.2)
        with pytest.raises(ConcurrencyLimited) as capped:
            await client.post_json(
                "/chat/completions", {**CHAT, "model": "fake-chat"}, principal="alice"
            )
        assert capped.value.status == 429 and capped.value.headers["Retry-After"] == "1"
        bob = await client.post_json(
            "/chat/completions", {**CHAT, "model": "fake-chat"}, principal="bob"
        )
        assert bob["object"] == "chat.completion"
        anonymous = await client.post_json("/chat/completions", {**CHAT, "model": "fake-chat"})
        assert anonymous["object"] == "chat.completion"
        await asyncio.gather(*held)
        # Her slots are back once her requests finished (streams count until closed).
        stream = await client.stream(
            "/chat/completions", {**CHAT, "model": "fake-chat", "stream": True}, principal="alice"
        )
        chunks = [c async for c in stream]
        assert chunks
        again = await client.post_json(
            "/chat/completions", {**CHAT, "model": "fake-chat"}, principal="alice"
        )
        assert again["object"] == "chat.completion"
    finally:
        await client.close()


def test_pool_settings_through_a_real_server(upstream: RunningFake, tmp_path: Path) -> None:
    config = f"""version: 2
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream.url}", max_retries: 0, pool_size: 2, pool_timeout: 0.5}}
models:
- {{model_id: slow-3, provider_id: fake}}
- {{model_id: fake-chat, provider_id: fake}}
"""
    with run_server(config, tmp_path) as server:
        url = f"{server.base_url}/v1/chat/completions"

        def hold() -> None:
            httpx.post(url, json={**CHAT, "model": "slow-3"}, timeout=30)

        holders = [threading.Thread(target=hold) for _ in range(2)]
        for thread in holders:
            thread.start()
        time.sleep(0.5)  # both slots taken by the slow requests
        started = time.monotonic()
        refused = httpx.post(url, json={**CHAT, "model": "fake-chat"}, timeout=30)
        waited = time.monotonic() - started
        for thread in holders:
            thread.join()
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "upstream_busy"
        assert refused.headers["retry-after"] == "1"
        assert waited < 2.0
