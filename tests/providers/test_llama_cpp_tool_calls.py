"""Tool calls on the embedded llama.cpp models: parsing (scripted) and real generation."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types.chat import (
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolChoiceOptionParam,
    ChatCompletionToolParam,
)

from corral.providers.inline.inference.llama_cpp.tool_calls import (
    StreamedCalls,
    ToolPlan,
    call_schema,
    parse,
    plan,
    prompt_messages,
)
from tests.providers.conftest import CHAT

WEATHER: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ADD: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}
TOOLS: list[Any] = [WEATHER, ADD]
AUTO = ToolPlan(TOOLS, None)


def test_tool_call_blocks_are_parsed_into_openai_tool_calls() -> None:
    text = 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'
    content, calls = parse(text, AUTO)
    assert content == "Let me check."
    (call,) = calls
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Oslo"}'}


def test_bare_json_and_parameters_spelling_are_calls() -> None:
    content, calls = parse('{"name": "add", "parameters": {"a": 1, "b": 2}}', AUTO)
    assert content is None and calls[0]["function"]["arguments"] == '{"a":1,"b":2}'
    two = '<tool_call>{"name":"add","arguments":{"a":1,"b":1}}</tool_call><tool_call>{"name":"get_weather","arguments":{"city":"Rome"}}</tool_call>'
    assert [c["function"]["name"] for c in parse(two, AUTO)[1]] == ["add", "get_weather"]
    listed = '<tool_call>[{"name": "add", "arguments": {"a": 1, "b": 2}}, {"name": "get_weather", "arguments": {"city": "Oslo"}}]</tool_call>'
    assert [c["function"]["name"] for c in parse(listed, AUTO)[1]] == ["add", "get_weather"]


@pytest.mark.parametrize(
    "text",
    [
        "Just an answer.",
        '{"city": "Paris"}',  # JSON, but not a call
        '<tool_call>{"name": "unknown_tool", "arguments": {}}</tool_call>',
        "<tool_call>not json</tool_call>",
    ],
)
def test_anything_else_stays_text(text: str) -> None:
    assert parse(text, AUTO) == (text, [])


def test_streamed_text_is_held_only_while_it_may_be_a_call() -> None:
    plain = StreamedCalls(AUTO)
    sent = [plain.feed(d) for d in ["Hello", " <to", "day>", " it is"]]
    assert "".join(sent) + plain.finish()[0] == "Hello <today> it is"
    assert sent[1] == " "  # "<to" could start "<tool_call>": held back

    call = StreamedCalls(AUTO)
    pieces = [
        "Sure. <tool",
        '_call>{"name": "add", ',
        '"arguments": {"a": 2, "b": 3}}',
        "</tool_call>",
    ]
    sent = [call.feed(p) for p in pieces]
    rest, calls = call.finish()
    assert "".join(sent) == "Sure. " and rest == ""
    assert calls[0]["function"] == {"name": "add", "arguments": '{"a":2,"b":3}'}


def test_plans_validate_tool_choice() -> None:
    assert plan({"tools": TOOLS, "tool_choice": "none"}) is None
    assert plan({"messages": []}) is None
    forced = plan(
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "add"}}}
    )
    assert forced is not None and forced.forced == "add"
    assert call_schema(forced)["properties"]["name"] == {"const": "add"}
    required = plan({"tools": TOOLS, "tool_choice": "required"})
    assert required is not None and len(call_schema(required)["anyOf"]) == 2


def test_templates_without_tools_get_them_in_the_system_message() -> None:
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    shown = prompt_messages(history, AUTO, native=False)
    assert shown[0]["content"].startswith("Be brief.\n\nYou can call these tools:")
    assert '"name":"get_weather"' in shown[0]["content"]
    assert shown[2] == {
        "role": "assistant",
        "content": '<tool_call>\n{"name":"get_weather","arguments":{"city":"Oslo"}}\n</tool_call>',
    }
    assert shown[3]["content"] == "sunny" and all(m["content"] is not None for m in shown)
    assert prompt_messages(history, AUTO, native=True) is history


# -- real generation by SmolLM2-135M (slow: starts the embedded server) ------------------------

ASK: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What is the weather in Paris?"}
]


@pytest.mark.slow
def test_a_forced_call_is_a_well_formed_tool_call(client: openai.OpenAI) -> None:
    choices: list[ChatCompletionToolChoiceOptionParam] = [
        "required",
        {"type": "function", "function": {"name": "get_weather"}},
    ]
    for choice in choices:
        reply = client.chat.completions.create(
            model=CHAT,
            messages=ASK,
            tools=[WEATHER, ADD],
            tool_choice=choice,
            max_tokens=60,
        )
        message = reply.choices[0].message
        assert reply.choices[0].finish_reason == "tool_calls"
        (call,) = message.tool_calls or []
        assert isinstance(call, ChatCompletionMessageFunctionToolCall)
        assert call.function.name in ("get_weather", "add")
        arguments = json.loads(call.function.arguments)
        required = {"get_weather": {"city"}, "add": {"a", "b"}}[call.function.name]
        assert required <= set(arguments)
        if isinstance(choice, dict):
            assert call.function.name == "get_weather" and isinstance(arguments["city"], str)


@pytest.mark.slow
def test_a_forced_call_streams_as_tool_call_chunks(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model=CHAT,
            messages=ASK,
            tools=[WEATHER],
            tool_choice="required",
            max_tokens=60,
            stream=True,
        )
    )
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    calls = [t for d in deltas for t in d.tool_calls or []]
    assert len(calls) == 1 and calls[0].function is not None
    assert calls[0].function.name == "get_weather"
    assert "city" in json.loads(calls[0].function.arguments or "{}")
    assert not "".join(d.content or "" for d in deltas).strip()
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


@pytest.mark.slow
def test_tool_results_and_tool_choice_none_render(client: openai.OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny, 21 C."},
    ]
    modes: list[ChatCompletionToolChoiceOptionParam] = ["auto", "none"]
    for choice in modes:
        reply = client.chat.completions.create(
            model=CHAT,
            messages=history,
            tools=[WEATHER],
            tool_choice=choice,
            max_tokens=30,
        )
        assert reply.choices[0].finish_reason in ("stop", "length", "tool_calls")
        if choice == "none":
            assert not reply.choices[0].message.tool_calls
