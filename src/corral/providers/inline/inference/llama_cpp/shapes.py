"""OpenAI response and chunk objects built from llama.cpp completion chunks.

The embedded engine produces plain text-completion chunks; these functions
turn them into exactly what OpenAI's API returns for chat and text
completions (ids, ``created``, the corral model id, ``finish_reason``, usage),
so SDKs cannot tell an embedded model from a remote one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from corral.providers.inline.inference.llama_cpp.engine import Chunk, GenerationStats


def new_id(prefix: str) -> str:
    """An OpenAI-style object id."""
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def usage(stats: GenerationStats) -> dict[str, int]:
    """The ``usage`` object."""
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
    }


def piece(chunk: Chunk) -> tuple[str, str | None]:
    """(text, finish_reason) of one engine chunk."""
    choice = chunk["choices"][0]
    return choice.get("text") or "", choice.get("finish_reason")


class ChatChunks:
    """Builds the ``chat.completion.chunk`` objects of one streamed answer."""

    def __init__(self, model: str) -> None:
        self.id = new_id("chatcmpl")
        self.created = int(time.time())
        self.model = model

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def role(self) -> dict[str, Any]:
        """The opening chunk: the assistant role with empty content."""
        return self._chunk({"role": "assistant", "content": ""}, None)

    def content(self, text: str) -> dict[str, Any]:
        """A chunk carrying generated text."""
        return self._chunk({"content": text}, None)

    def tool_call(self, index: int, call: dict[str, Any]) -> dict[str, Any]:
        """A chunk carrying one whole tool call (id, name and arguments at once)."""
        return self._chunk({"tool_calls": [{"index": index, **call}]}, None)

    def finish(self, reason: str) -> dict[str, Any]:
        """The closing chunk with the finish reason."""
        return self._chunk({}, reason)

    def usage(self, stats: GenerationStats) -> dict[str, Any]:
        """The usage chunk sent when ``stream_options.include_usage`` is set."""
        return {**self._chunk({}, None), "choices": [], "usage": usage(stats)}


def chat_response(
    model: str,
    text: str | None,
    finish: str,
    stats: GenerationStats,
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A whole ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": usage(stats),
    }


class TextChunks:
    """Builds the ``text_completion`` chunks of one streamed text completion."""

    def __init__(self, model: str) -> None:
        self.id = new_id("cmpl")
        self.created = int(time.time())
        self.model = model

    def chunk(self, text: str, finish: str | None) -> dict[str, Any]:
        """A chunk with text and/or the finish reason."""
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        }

    def usage(self, stats: GenerationStats) -> dict[str, Any]:
        """The usage chunk."""
        return {**self.chunk("", None), "choices": [], "usage": usage(stats)}


def text_response(model: str, text: str, finish: str, stats: GenerationStats) -> dict[str, Any]:
    """A whole ``text_completion`` object."""
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
        "usage": usage(stats),
    }
