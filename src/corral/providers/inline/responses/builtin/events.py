"""Streaming events: what the loop yields, and their SSE framing with sequence numbers.

The loop yields `Event`s (a type and its fields) whether or not the client
streams; only a streamed response frames them, so a plain response pays for
building a few small dicts and nothing else. Events refer to the live output
items (no copies): a consumer must serialise each event before it resumes the
generator, as `framed` does, since the loop goes on changing those items.
Framing numbers the events from 0 in the order they are sent, and writes each
as ``event: <type>`` plus one ``data:`` line, as OpenAI does (no ``[DONE]``
line: the terminal event ends it).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import orjson

Event = tuple[str, dict[str, Any]]


def text_part(text: str = "", annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An ``output_text`` content part."""
    return {"type": "output_text", "text": text, "annotations": annotations or [], "logprobs": []}


def message_item(item_id: str, status: str = "in_progress") -> dict[str, Any]:
    """An assistant message output item with no content yet."""
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": []}


def item_added(index: int, item: dict[str, Any]) -> Event:
    """``response.output_item.added``."""
    return "response.output_item.added", {"output_index": index, "item": item}


def item_done(index: int, item: dict[str, Any]) -> Event:
    """``response.output_item.done``."""
    return "response.output_item.done", {"output_index": index, "item": item}


def part_event(kind: str, item_id: str, index: int, part: dict[str, Any]) -> Event:
    """``response.content_part.added`` / ``.done`` for content part 0."""
    fields = {"item_id": item_id, "output_index": index, "content_index": 0, "part": part}
    return f"response.content_part.{kind}", fields


def text_delta(item_id: str, index: int, delta: str, logprobs: list[Any] | None = None) -> Event:
    """``response.output_text.delta``."""
    return "response.output_text.delta", {
        "item_id": item_id,
        "output_index": index,
        "content_index": 0,
        "delta": delta,
        "logprobs": logprobs or [],
    }


def text_done(item_id: str, index: int, text: str) -> Event:
    """``response.output_text.done``."""
    return "response.output_text.done", {
        "item_id": item_id,
        "output_index": index,
        "content_index": 0,
        "text": text,
        "logprobs": [],
    }


def annotation_added(item_id: str, index: int, number: int, annotation: dict[str, Any]) -> Event:
    """``response.output_text.annotation.added``."""
    return "response.output_text.annotation.added", {
        "item_id": item_id,
        "output_index": index,
        "content_index": 0,
        "annotation_index": number,
        "annotation": annotation,
    }


def refusal_events(item_id: str, index: int, refusal: str) -> list[Event]:
    """The delta and done events of a refusal part."""
    base = {"item_id": item_id, "output_index": index, "content_index": 0}
    return [
        ("response.refusal.delta", {**base, "delta": refusal}),
        ("response.refusal.done", {**base, "refusal": refusal}),
    ]


def arguments_delta(item_id: str, index: int, delta: str) -> Event:
    """``response.function_call_arguments.delta``."""
    return "response.function_call_arguments.delta", {
        "item_id": item_id,
        "output_index": index,
        "delta": delta,
    }


def arguments_done(item_id: str, index: int, name: str, arguments: str) -> Event:
    """``response.function_call_arguments.done``."""
    return "response.function_call_arguments.done", {
        "item_id": item_id,
        "output_index": index,
        "name": name,
        "arguments": arguments,
    }


def tool_progress(tool: str, stage: str, item_id: str, index: int) -> Event:
    """``response.<tool>.in_progress|searching|completed`` (e.g. ``file_search_call``)."""
    return f"response.{tool}.{stage}", {"item_id": item_id, "output_index": index}


def response_event(kind: str, response: dict[str, Any]) -> Event:
    """``response.created``, ``.in_progress``, ``.completed``, ``.incomplete``, ``.failed``."""
    return f"response.{kind}", {"response": response}


async def framed(events: AsyncGenerator[Event, None]) -> AsyncIterator[bytes]:
    """SSE frames with sequence numbers from 0."""
    sequence = 0
    try:
        async for kind, fields in events:
            payload = {"type": kind, "sequence_number": sequence, **fields}
            sequence += 1
            yield b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
    finally:
        await events.aclose()
