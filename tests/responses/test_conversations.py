"""Conversations: their own routes, and responses that read and extend them."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.fixtures.scripted_llm import RunningScript
from tests.responses.helpers import as_dict, texts


def test_conversation_crud_and_items(client: openai.OpenAI) -> None:
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "first"}],
        metadata={"topic": "demo"},
    )
    assert conversation.id.startswith("conv_") and len(conversation.id) == 5 + 48
    assert conversation.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conversation.id).metadata == {"topic": "demo"}

    added = client.conversations.items.create(
        conversation.id,
        items=[
            {"role": "assistant", "content": "second"},  # the easy form: type is implied
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "third"}],
            },
        ],
    )
    added_ids = [str(as_dict(i)["id"]) for i in added.data]
    assert [i[:4] for i in added_ids] == ["msg_", "msg_"]
    page = client.conversations.items.list(conversation.id, order="asc")
    assert texts(page) == ["first", "second", "third"]
    assert as_dict(page.data[1])["content"][0]["type"] == "output_text"

    newest = client.conversations.items.list(conversation.id, limit=1)
    assert texts(newest) == ["third"] and newest.has_more
    newest_id = str(as_dict(newest.data[0])["id"])
    after = client.conversations.items.list(conversation.id, limit=5, after=newest_id)
    assert texts(after) == ["second", "first"]

    one = client.conversations.items.retrieve(added_ids[0], conversation_id=conversation.id)
    assert as_dict(one)["id"] == added_ids[0]
    client.conversations.items.delete(added_ids[0], conversation_id=conversation.id)
    remaining = client.conversations.items.list(conversation.id, order="asc")
    assert texts(remaining) == ["first", "third"]

    updated = client.conversations.update(conversation.id, metadata={"topic": "changed"})
    assert updated.metadata == {"topic": "changed"}
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_responses_grow_the_conversation(client: openai.OpenAI, script: RunningScript) -> None:
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "system", "content": "You are terse."}]
    )
    first = client.responses.create(model="script/echo", input="one", conversation=conversation.id)
    assert first.conversation is not None and first.conversation.id == conversation.id
    client.responses.create(model="script/echo", input="two", conversation={"id": conversation.id})
    assert script.llm.requests[-1]["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "You said: one"},
        {"role": "user", "content": "two"},
    ]
    items = client.conversations.items.list(conversation.id, order="asc")
    assert [(i.type, i.role) for i in items.data] == [  # type: ignore[union-attr]
        ("message", "system"),
        ("message", "user"),
        ("message", "assistant"),
        ("message", "user"),
        ("message", "assistant"),
    ]
    assert items.data[2].id == first.output[0].id


def test_a_failed_response_leaves_the_conversation_alone(client: openai.OpenAI) -> None:
    conversation = client.conversations.create()
    store = client.vector_stores.create(name="conv-break")
    client.responses.create(
        model="script/breaker",
        input="q",
        conversation=conversation.id,
        tools=[{"type": "file_search", "vector_store_ids": [store.id]}],
    )
    assert client.conversations.items.list(conversation.id).data == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/conversations/conv_missing", None, 404),
        (
            "POST",
            "/v1/conversations/conv_missing/items",
            {"items": [{"role": "user", "content": "x"}]},
            404,
        ),
        ("POST", "/v1/conversations", {"items": [{"type": "bogus"}]}, 400),
        ("POST", "/v1/conversations", {"metadata": {"k": 1}}, 400),
        ("POST", "/v1/conversations", {"items": [{"role": "user", "content": "x"}] * 21}, 400),
    ],
)
def test_conversation_errors(
    client: openai.OpenAI, method: str, path: str, body: object, status: int
) -> None:
    base = str(client.base_url).removesuffix("/v1/")
    response = httpx.request(method, base + path, json=body, timeout=10)
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) >= {"message", "type", "code"}
