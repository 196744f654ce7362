"""The llama-stack-client SDK (the release PyPI serves here) works against corral unchanged."""

from __future__ import annotations

import pytest
from llama_stack_client import LlamaStackClient

from tests.fixtures.server import RunningServer

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_llama_stack_client_lists_models_and_chats(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    models = {m.identifier: m for m in client.models.list()}
    assert models["fake/fake-embed"].api_model_type == "embedding"
    assert models["fake/fake-chat"].provider_id == "fake"
    reply = client.chat.completions.create(
        model="fake/fake-chat", messages=[{"role": "user", "content": "hey"}]
    )
    assert reply.choices[0].message.content == "echo: hey"  # type: ignore[union-attr]
    assert client.inspect.health().status == "OK"
    assert {p.provider_id for p in client.providers.list()} >= {"fake", "other"}
