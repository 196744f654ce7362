"""inline::llama-cpp: real generation by the embedded SmolLM2 model, through HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.fixtures.server import RunningServer
from tests.providers.conftest import CHAT

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello to Ada."}]
#: SmolLM2's end-of-turn token; a large negative bias keeps the model talking until max_tokens.
NO_END = {"2": -100}


def wait_for_health(server: RunningServer, deadline: float = 180.0) -> dict[str, Any]:
    """/v1/health once no model is still loading."""
    end = time.monotonic() + deadline
    while True:
        body: dict[str, Any] = httpx.get(f"{server.base_url}/v1/health").json()
        states = [p["status"] for p in body.get("providers", {}).values()]
        if "Loading" not in states or time.monotonic() > end:
            return body
        time.sleep(0.1)


def test_chat_answers_with_real_usage_and_corral_model_id(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=CHAT, messages=HELLO, max_tokens=12)
    assert reply.model == CHAT
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content and reply.choices[0].message.content.strip()
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 5
    assert 1 <= reply.usage.completion_tokens <= 12
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_max_tokens_is_honoured_exactly(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=HELLO, max_tokens=7, logit_bias=NO_END
    )
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 7


def test_stream_joins_to_the_non_streamed_answer(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(
        model=CHAT, messages=HELLO, max_tokens=16, temperature=0, seed=7
    )
    chunks = list(
        client.chat.completions.create(
            model=CHAT,
            messages=HELLO,
            max_tokens=16,
            temperature=0,
            seed=7,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1
    assert all(c.model == CHAT for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == whole.choices[0].finish_reason and finishes[:-1] == [None] * (
        len(finishes) - 1
    )
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


def test_stream_without_include_usage_sends_no_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(model=CHAT, messages=HELLO, max_tokens=4, stream=True)
    )
    assert all(c.usage is None for c in chunks) and chunks[-1].choices[0].finish_reason


def test_text_completion_streamed_and_not(client: openai.OpenAI) -> None:
    args = {"model": CHAT, "prompt": "The capital of France is", "max_tokens": 6, "temperature": 0}
    whole = client.completions.create(**args)  # type: ignore[call-overload]
    assert whole.object == "text_completion" and whole.model == CHAT
    assert whole.choices[0].text and whole.usage is not None
    assert whole.usage.completion_tokens <= 6
    chunks = list(client.completions.create(**args, stream=True))  # type: ignore[call-overload]
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text


def test_json_mode_returns_json(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT,
        messages=[{"role": "user", "content": 'Reply with the JSON object {"ok": true}.'}],
        max_tokens=60,
        temperature=0,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "ok",
                "schema": {
                    "type": "object",
                    "properties": {"ok": {"type": "boolean"}},
                    "required": ["ok"],
                    "additionalProperties": False,
                },
            },
        },
    )
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)


def test_four_simultaneous_chats_all_complete(embedded_server: RunningServer) -> None:
    async def chat(i: int) -> str:
        async with openai.AsyncOpenAI(
            base_url=f"{embedded_server.base_url}/v1", api_key="none", max_retries=0
        ) as client:
            reply = await client.chat.completions.create(
                model=CHAT,
                messages=[{"role": "user", "content": f"Count to {i + 2}."}],
                max_tokens=8,
            )
            return reply.choices[0].message.content or ""

    async def all_four() -> list[str]:
        return await asyncio.gather(*(chat(i) for i in range(4)))

    answers = asyncio.run(all_four())
    assert len(answers) == 4 and all(a.strip() for a in answers)


def test_a_full_queue_answers_503_with_retry_after(embedded_server: RunningServer) -> None:
    body = {
        "model": "solo/tiny",
        "messages": HELLO,
        "max_tokens": 1500,
        "logit_bias": NO_END,
        "stream": True,
    }
    url = f"{embedded_server.base_url}/v1/chat/completions"
    with httpx.Client(timeout=60) as http, http.stream("POST", url, json=body) as busy:
        assert busy.status_code == 200
        lines = busy.iter_lines()  # keep the iterator: dropping it closes the stream
        next(lines)  # generation is running now
        refused = http.post(url, json={**body, "stream": False, "max_tokens": 2})
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"].isdigit()
        assert refused.json()["error"]["code"] == "model_busy"


def test_a_disconnected_client_stops_its_generation(embedded_server: RunningServer) -> None:
    body = {
        "model": "solo/tiny",
        "messages": HELLO,
        "max_tokens": 2000,
        "logit_bias": NO_END,
        "stream": True,
    }
    url = f"{embedded_server.base_url}/v1/chat/completions"
    with httpx.Client(timeout=60) as http, http.stream("POST", url, json=body) as stream:
        lines = stream.iter_lines()
        for _ in range(6):
            next(lines)
    # The model (max_queue 0) takes a new request only once the abandoned one has stopped;
    # finishing its 2000 tokens would keep it busy far longer than this loop waits.
    deadline = time.monotonic() + 20
    while True:
        again = httpx.post(url, json={**body, "stream": False, "max_tokens": 2}, timeout=60)
        if again.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert again.status_code == 200, again.text
    assert "generation stopped after" in embedded_server.log()


def test_chat_with_a_base_model_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="solo/base", messages=HELLO, max_tokens=2)
    assert err.value.code == "chat_not_supported"


def test_a_client_that_stops_waiting_for_a_whole_answer_stops_it_too(
    embedded_server: RunningServer,
) -> None:
    url = f"{embedded_server.base_url}/v1/chat/completions"
    body = {"model": "solo/tiny", "messages": HELLO, "max_tokens": 2000, "logit_bias": NO_END}
    stopped_before = embedded_server.log().count("generation stopped after")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(url, json=body, timeout=1.5)  # gives up and closes the connection
    deadline = time.monotonic() + 20
    while True:
        again = httpx.post(url, json={**body, "max_tokens": 2}, timeout=60)
        if again.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert again.status_code == 200, again.text
    assert embedded_server.log().count("generation stopped after") == stopped_before + 1


def test_prompt_longer_than_the_context_is_a_clear_400(client: openai.OpenAI) -> None:
    long_prompt = "word " * 800  # the base model's context is 512 tokens
    with pytest.raises(openai.BadRequestError) as err:
        client.completions.create(model="solo/base", prompt=long_prompt, max_tokens=2)
    assert err.value.code == "context_length_exceeded"
    assert "512" in str(err.value.message)


def test_base_model_serves_plain_completions(client: openai.OpenAI) -> None:
    done = client.completions.create(model="solo/base", prompt="1, 2, 3,", max_tokens=4)
    assert done.choices[0].text and done.model == "solo/base"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 5}, "temperature"),
        ({"n": 9}, "n"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"stop": 3}, "stop"),
        ({"tools": [{"type": "retrieval"}]}, "tools[0]"),
        (
            {"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "x"},
            "tool_choice",
        ),
        ({"response_format": {"type": "yaml"}}, "response_format"),
    ],
)
def test_bad_parameters_are_400s_naming_them(
    embedded_server: RunningServer, extra: dict[str, object], param: str
) -> None:
    r = httpx.post(
        f"{embedded_server.base_url}/v1/chat/completions",
        json={"model": CHAT, "messages": HELLO, **extra},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_models_list_describes_the_embedded_models(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    chat = models[CHAT].model_extra or {}
    assert chat["custom_metadata"]["model_type"] == "llm"
    assert chat["custom_metadata"]["metadata"]["context_length"] == 2048
    base = models["solo/base"].model_extra or {}
    assert base["custom_metadata"]["metadata"]["capabilities"] == ["completion"]


def test_a_model_that_fails_to_load_is_reported_not_hidden(
    embedded_server: RunningServer, client: openai.OpenAI
) -> None:
    health = wait_for_health(embedded_server)
    assert health["status"] == "Error"
    assert set(health["providers"]) == {"broken"}
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="broken/corrupt", messages=HELLO)
    assert err.value.status_code == 503
    assert err.value.code == "model_load_failed"
    providers = httpx.get(f"{embedded_server.base_url}/v1/providers").json()["data"]
    states = {p["provider_id"]: p["health"]["status"] for p in providers}
    assert states == {
        "llama-cpp": "OK",
        "solo": "OK",
        "broken": "Error",
        "sentence-transformers": "OK",
        "st-torch": "OK",
    }


def test_chat_completions_are_stored_like_remote_ones(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=CHAT, messages=HELLO, max_tokens=3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stored = [c.id for c in client.chat.completions.list(model=CHAT)]
        if reply.id in stored:
            break
        time.sleep(0.1)
    assert reply.id in stored
