"""OpenAI response and chunk objects built from llama.cpp completion chunks.

The embedded engine produces plain text-completion chunks; these functions
turn them into exactly what OpenAI's API returns for chat and text
completions (ids, ``created``, the corral model id, ``finish_reason``, usage),
so SDKs cannot tell an embedded model from a remote one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from corral.providers.inline.inference.llama_cpp.engine import Chunk, GenerationStats
from corral.providers.inline.inference.llama_cpp.logprobs import chat_logprobs, text_logprobs


def new_id(prefix: str) -> str:
    """An OpenAI-style object id."""
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def usage(stats: GenerationStats | list[GenerationStats]) -> dict[str, int]:
    """The ``usage`` object (of all the samples of one request: the prompt counts once)."""
    runs = stats if isinstance(stats, list) else [stats]
    prompt = runs[0].prompt_tokens if runs else 0
    completion = sum(r.completion_tokens for r in runs)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def piece(chunk: Chunk) -> tuple[str, str | None]:
    """(text, finish_reason) of one engine chunk."""
    choice = chunk["choices"][0]
    return choice.get("text") or "", choice.get("finish_reason")


@dataclass(frozen=True)
class Answer:
    """One sample of a request: its text, why it ended, its counts (and logprobs), its calls."""

    text: str | None
    finish: str
    stats: GenerationStats
    tool_calls: list[dict[str, Any]] | None = None


class ChatChunks:
    """Builds the ``chat.completion.chunk`` objects of one streamed answer (all its samples)."""

    def __init__(self, model: str) -> None:
        self.id = new_id("chatcmpl")
        self.created = int(time.time())
        self.model = model

    def _chunk(
        self, delta: dict[str, Any], finish: str | None, index: int = 0, logprobs: Any = None
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            ],
        }

    def role(self, index: int = 0) -> dict[str, Any]:
        """The opening chunk of a sample: the assistant role with empty content."""
        return self._chunk({"role": "assistant", "content": ""}, None, index)

    def content(self, text: str, index: int = 0) -> dict[str, Any]:
        """A chunk carrying generated text."""
        return self._chunk({"content": text}, None, index)

    def tool_call(self, call_index: int, call: dict[str, Any], index: int = 0) -> dict[str, Any]:
        """A chunk carrying one whole tool call (id, name and arguments at once)."""
        return self._chunk({"tool_calls": [{"index": call_index, **call}]}, None, index)

    def finish(self, reason: str, index: int = 0, stats: GenerationStats | None = None) -> Chunk:
        """The closing chunk of a sample, with its logprobs when they were asked for."""
        logprobs = None
        if stats is not None and stats.logprobs is not None:
            logprobs = chat_logprobs(stats.logprobs)
        return self._chunk({}, reason, index, logprobs)

    def usage(self, stats: GenerationStats | list[GenerationStats]) -> dict[str, Any]:
        """The usage chunk sent when ``stream_options.include_usage`` is set."""
        return {**self._chunk({}, None), "choices": [], "usage": usage(stats)}


def _message(answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
    if answer.tool_calls:
        message["tool_calls"] = answer.tool_calls
    return message


def chat_response(model: str, answers: list[Answer]) -> dict[str, Any]:
    """A whole ``chat.completion`` object, one choice per sample."""
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": _message(a),
                "logprobs": chat_logprobs(a.stats.logprobs)
                if a.stats.logprobs is not None
                else None,
                "finish_reason": a.finish,
            }
            for i, a in enumerate(answers)
        ],
        "usage": usage([a.stats for a in answers]),
    }


class TextChunks:
    """Builds the ``text_completion`` chunks of one streamed text completion."""

    def __init__(self, model: str) -> None:
        self.id = new_id("cmpl")
        self.created = int(time.time())
        self.model = model

    def chunk(
        self, text: str, finish: str | None, index: int = 0, stats: GenerationStats | None = None
    ) -> dict[str, Any]:
        """A chunk with text and/or the finish reason (and the sample's logprobs at its end)."""
        logprobs = None
        if stats is not None and stats.logprobs is not None:
            logprobs = text_logprobs(stats.logprobs)
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}
            ],
        }

    def usage(self, stats: GenerationStats | list[GenerationStats]) -> dict[str, Any]:
        """The usage chunk."""
        return {**self.chunk("", None), "choices": [], "usage": usage(stats)}


def text_response(model: str, answers: list[Answer], prompt_offset: int = 0) -> dict[str, Any]:
    """A whole ``text_completion`` object, one choice per sample."""
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "text": a.text,
                "index": i,
                "logprobs": text_logprobs(a.stats.logprobs, prompt_offset)
                if a.stats.logprobs is not None
                else None,
                "finish_reason": a.finish,
            }
            for i, a in enumerate(answers)
        ],
        "usage": usage([a.stats for a in answers]),
    }
