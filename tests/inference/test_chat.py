"""Chat completions, completions and embeddings through corral with the official SDK."""

from __future__ import annotations

import base64
import struct

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import RunningServer

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_models_list_shape_and_lookup(client: openai.OpenAI, server: RunningServer) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"fake/fake-chat", "fake/fake-embed", "other/fake-chat"} <= ids
    raw = httpx.get(f"{server.base_url}/v1/models").json()
    entry = next(m for m in raw["data"] if m["id"] == "fake/fake-embed")
    assert raw["object"] == "list" and entry["object"] == "model" and entry["owned_by"] == "fake"
    assert entry["custom_metadata"] == {
        "model_type": "embedding",
        "provider_id": "fake",
        "provider_resource_id": "fake-embed",
        "embedding_dimension": 8,  # spread out, as Llama Stack 0.7 answers
        "metadata": {"embedding_dimension": 8},  # and whole, as corral answered before
    }
    assert client.models.retrieve("fake/fake-chat").id == "fake/fake-chat"
    missing = httpx.get(f"{server.base_url}/v1/models/fake/nope")
    assert missing.status_code == 404 and "fake/nope" in missing.json()["error"]["message"]


def test_chat_passes_unknown_fields_and_answers_with_corral_id(
    client: openai.OpenAI, fake: RunningFake
) -> None:
    result = client.chat.completions.create(
        model="fake/fake-chat",
        messages=[{"role": "user", "content": "hi"}],
        seed=3,
        user="u1",
        extra_body={"my_custom_field": {"x": 1}},
    )
    assert result.choices[0].message.content == "echo: hi"
    assert result.model == "fake/fake-chat"
    seen = fake.state.requests[-1]
    assert seen["body"]["model"] == "fake-chat"
    assert seen["body"]["my_custom_field"] == {"x": 1} and seen["body"]["seed"] == 3
    assert seen["headers"]["Authorization"] == "Bearer sk-upstream-secret-123"


def test_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="fake/fake-chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake upstream"
    assert all(c.model == "fake/fake-chat" for c in chunks)
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 10


def test_tool_calls_round_trip(client: openai.OpenAI, fake: RunningFake) -> None:
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ]
    result = client.chat.completions.create(
        model="fake/tool-x",
        messages=[{"role": "user", "content": "weather?"}],
        tools=tools,  # type: ignore[arg-type]
    )
    call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city": "Paris"}'  # type: ignore[union-attr]
    assert fake.state.requests[-1]["body"]["tools"] == tools


def test_completions_stream_and_not(client: openai.OpenAI) -> None:
    result = client.completions.create(model="fake/fake-chat", prompt="hello")
    assert result.choices[0].text == " world" and result.model == "fake/fake-chat"
    chunks = list(client.completions.create(model="fake/fake-chat", prompt="hello", stream=True))
    assert "".join(c.choices[0].text for c in chunks) == " world"


def test_embeddings_float_base64_and_lists(client: openai.OpenAI, server: RunningServer) -> None:
    one = client.embeddings.create(model="fake/fake-embed", input="a cat")
    assert len(one.data) == 1 and len(one.data[0].embedding) == 8
    many = client.embeddings.create(model="fake/fake-embed", input=["a", "b"], dimensions=4)
    assert [len(d.embedding) for d in many.data] == [4, 4]
    raw = httpx.post(
        f"{server.base_url}/v1/embeddings",
        json={"model": "fake/fake-embed", "input": "a cat", "encoding_format": "base64"},
    ).json()
    decoded = struct.unpack("<8f", base64.b64decode(raw["data"][0]["embedding"]))
    assert list(decoded) == pytest.approx(one.data[0].embedding)


def test_wrong_model_type_and_unknown_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="embedding model"):
        client.chat.completions.create(
            model="fake/fake-embed", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError, match="llm model"):
        client.embeddings.create(model="fake/fake-chat", input="x")
    with pytest.raises(openai.NotFoundError, match="fake/unknown"):
        client.chat.completions.create(
            model="fake/unknown", messages=[{"role": "user", "content": "x"}]
        )


def test_bad_bodies_are_400_naming_the_field(server: RunningServer) -> None:
    url = f"{server.base_url}/v1/chat/completions"
    cases = [
        (b"{not json", "not valid JSON"),
        (b'{"model": "fake/fake-chat"}', "messages"),
        (b'{"model": "fake/fake-chat", "messages": []}', "messages"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model"),
        (b"[1, 2]", "JSON object"),
    ]
    for body, needle in cases:
        r = httpx.post(url, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, body
        assert needle in r.json()["error"]["message"]
        assert set(r.json()["error"]) >= {"message", "type", "code"}


def test_second_provider_and_openai_alias(server: RunningServer, fake: RunningFake) -> None:
    r = httpx.post(
        f"{server.base_url}/v1/openai/v1/chat/completions",
        json={"model": "other/fake-chat", "messages": [{"role": "user", "content": "yo"}]},
    )
    assert r.status_code == 200 and r.json()["model"] == "other/fake-chat"
    assert fake.state.requests[-1]["path"] == "/v1/chat/completions"
    assert "Authorization" not in fake.state.requests[-1]["headers"]


def test_provider_data_header_overrides_the_key(server: RunningServer, fake: RunningFake) -> None:
    body = {"model": "fake/fake-chat", "messages": [{"role": "user", "content": "k"}]}
    r = httpx.post(
        f"{server.base_url}/v1/chat/completions",
        json=body,
        headers={"X-LlamaStack-Provider-Data": '{"api_key": "per-request-key"}'},
    )
    assert r.status_code == 200
    assert fake.state.requests[-1]["headers"]["Authorization"] == "Bearer per-request-key"
    bad = httpx.post(
        f"{server.base_url}/v1/chat/completions",
        json=body,
        headers={"X-LlamaStack-Provider-Data": "{oops"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_provider_data"


def test_provider_secrets_are_redacted(server: RunningServer) -> None:
    text = httpx.get(f"{server.base_url}/v1/providers").text
    assert "sk-upstream-secret-123" not in text and "********" in text
    one = httpx.get(f"{server.base_url}/v1/providers/fake").json()
    assert (
        one["provider_type"] == "remote::openai-compatible"
        and one["config"]["api_key"] == "********"
    )
    assert "sk-upstream-secret-123" not in server.log()


def test_refresh_models_registers_what_the_upstream_lists(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"discover/fake-chat", "discover/fake-embed"} <= ids
    embed = client.embeddings.create(model="discover/fake-embed", input="x")
    assert embed.model == "discover/fake-embed"
