"""Edge validation of inference bodies: a 400 naming the field, nothing sent upstream.

Valid bodies, unknown fields included, reach the upstream exactly as sent.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from corral.apis.inference.models import ChatCompletionRequest, EmbeddingsRequest
from corral.errors import InvalidParameter
from corral.server.validation import BodyShape
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import RunningServer

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

USER = {"role": "user", "content": "hi"}


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "fake/fake-chat", "messages": [USER], **fields}


BAD_CHATS = [
    (chat(messages=[{"role": "wizard", "content": "hi"}]), "messages[0].role"),
    (chat(temperature="hot"), "temperature"),
    (chat(temperature=2.5), "temperature"),
    (chat(top_p=-0.1), "top_p"),
    (chat(n=0), "n"),
    (chat(max_tokens="64"), "max_tokens"),
    (chat(stream="yes"), "stream"),
    (chat(stop=5), "stop"),
    (chat(messages=[USER, {"role": "tool", "content": "42"}]), "messages[1].tool_call_id"),
    (chat(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
    (
        chat(messages=[{"role": "user", "content": [{"type": "text", "text": 3}]}]),
        "messages[0].content[0].text",
    ),
    (
        chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
        "messages[0].content[0].image_url.url",
    ),
    (
        chat(
            messages=[
                USER,
                {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function"}]},
            ]
        ),
        "messages[1].tool_calls[0].function",
    ),
    (
        chat(tools=[{"type": "function", "function": {"description": "no name"}}]),
        "tools[0].function.name",
    ),
    (chat(tool_choice="sometimes"), "tool_choice"),
    (chat(response_format={"type": "json_schema"}), "response_format.json_schema"),
    (chat(logit_bias={"50256": "x"}), "logit_bias.50256"),
    ({"messages": [USER]}, "model"),
    (chat(messages=[]), "messages"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CHATS, ids=[f for _, f in BAD_CHATS])
def test_invalid_chat_bodies_are_400_naming_the_field_and_never_forwarded(
    server: RunningServer, fake: RunningFake, body: dict[str, Any], field: str
) -> None:
    before = len(fake.state.requests)
    r = httpx.post(f"{server.base_url}/v1/chat/completions", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["message"].startswith(f"{field}: "), error
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_parameter"
    assert len(fake.state.requests) == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/completions", {"model": "fake/fake-chat", "prompt": 3}, "prompt"),
        ("/v1/completions", {"model": "fake/fake-chat", "prompt": "x", "logprobs": 9}, "logprobs"),
        ("/v1/embeddings", {"model": "fake/fake-embed", "input": []}, "input"),
        (
            "/v1/embeddings",
            {"model": "fake/fake-embed", "input": "x", "dimensions": 0},
            "dimensions",
        ),
        (
            "/v1/embeddings",
            {"model": "fake/fake-embed", "input": "x", "encoding_format": "hex"},
            "encoding_format",
        ),
    ],
)
def test_invalid_completion_and_embedding_bodies_are_400(
    server: RunningServer, path: str, body: dict[str, Any], field: str
) -> None:
    r = httpx.post(f"{server.base_url}{path}", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"].startswith(f"{field}: ")


def test_a_valid_body_with_unknown_fields_reaches_the_upstream_as_sent(
    server: RunningServer, fake: RunningFake
) -> None:
    body = chat(
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "be brief"}]},
            {"role": "user", "content": [{"type": "video_url", "video_url": {"url": "v"}}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
        temperature=1,  # an integer is a number
        top_k=20,  # a backend's own field
        tools=[{"type": "custom", "custom": {"name": "grammar"}}],  # a newer tool kind
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        guided_choice=["a", "b"],
    )
    r = httpx.post(f"{server.base_url}/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    seen = fake.state.requests[-1]["body"]
    assert seen == {**body, "model": "fake-chat"}


def test_the_shape_check_returns_the_body_itself() -> None:
    body = chat(extra={"kept": True})
    assert BodyShape(ChatCompletionRequest).check(body) is body


def test_field_paths_for_unions_name_the_union_field() -> None:
    with pytest.raises(InvalidParameter) as err:
        BodyShape(EmbeddingsRequest).check({"model": "m", "input": {"a": 1}})
    assert err.value.param == "input"
    assert "valid string" in err.value.message and "valid list" in err.value.message
