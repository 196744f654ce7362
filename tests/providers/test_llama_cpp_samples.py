"""inline::llama-cpp: several samples (``n``) and logprobs, by the real embedded SmolLM2."""

from __future__ import annotations

import math

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.fixtures.server import RunningServer
from tests.providers.conftest import CHAT

pytestmark = pytest.mark.slow

ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Name a colour."}]


def test_n_answers_are_separate_choices_with_summed_usage(client: openai.OpenAI) -> None:
    one = client.chat.completions.create(model=CHAT, messages=ASK, max_tokens=6, seed=1)
    three = client.chat.completions.create(
        model=CHAT, messages=ASK, max_tokens=6, n=3, seed=1, temperature=1.0
    )
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert all(c.message.content for c in three.choices)
    assert one.usage is not None and three.usage is not None
    assert three.usage.prompt_tokens == one.usage.prompt_tokens  # the prompt counts once
    assert three.usage.completion_tokens > one.usage.completion_tokens


def test_streamed_samples_carry_their_choice_index(embedded_server: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{embedded_server.base_url}/v1", api_key="x")
    texts: dict[int, str] = {}
    finishes: dict[int, str | None] = {}
    stream = client.chat.completions.create(
        model=CHAT, messages=ASK, max_tokens=5, n=2, stream=True
    )
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert set(texts) == {0, 1} and all(texts.values())
    assert set(finishes) == {0, 1}


def test_chat_logprobs_describe_the_answer_tokens(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=CHAT, messages=ASK, max_tokens=8, logprobs=True, top_logprobs=3, temperature=0
    )
    choice = reply.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content
    entries = choice.logprobs.content
    assert "".join(e.token for e in entries) == choice.message.content
    for entry in entries:
        assert entry.logprob <= 0.0 and bytes(entry.bytes or []) == entry.token.encode()
        assert len(entry.top_logprobs) == 3
        best = entry.top_logprobs[0]
        # greedy decoding picks the most likely token: the chosen one is the top alternative
        assert best.token == entry.token and math.isclose(best.logprob, entry.logprob)
        assert [t.logprob for t in entry.top_logprobs] == sorted(
            (t.logprob for t in entry.top_logprobs), reverse=True
        )


def test_no_logprobs_unless_asked(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model=CHAT, messages=ASK, max_tokens=4)
    assert reply.choices[0].logprobs is None


def test_completion_logprobs_in_the_legacy_shape(embedded_server: RunningServer) -> None:
    r = httpx.post(
        f"{embedded_server.base_url}/v1/completions",
        json={
            "model": "solo/base",
            "prompt": "1, 2, 3,",
            "max_tokens": 4,
            "logprobs": 2,
            "temperature": 0,
            "n": 2,
        },
        timeout=60,
    )
    assert r.status_code == 200, r.text
    choices = r.json()["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    logprobs = choices[0]["logprobs"]
    assert "".join(logprobs["tokens"]) == choices[0]["text"]
    assert len(logprobs["token_logprobs"]) == len(logprobs["tokens"])
    assert all(len(top) == 2 for top in logprobs["top_logprobs"])
    assert logprobs["text_offset"][0] == 0
    # temperature 0: both samples are the same greedy answer
    assert choices[1]["text"] == choices[0]["text"]


def test_streamed_chat_logprobs_arrive_with_the_finish(embedded_server: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{embedded_server.base_url}/v1", api_key="x")
    text, entries = "", []
    for chunk in client.chat.completions.create(
        model=CHAT, messages=ASK, max_tokens=6, logprobs=True, stream=True, temperature=0
    ):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            if choice.logprobs is not None and choice.logprobs.content:
                entries += choice.logprobs.content
    assert "".join(e.token for e in entries) == text
