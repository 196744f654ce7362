"""`ChatGuard`: the shields configured to guard a model, run around each completion.

Built only when the run config names guard shields (``safety.input_shields`` /
``output_shields`` or a model's own lists), so an unguarded server does no
per-request work here. Both ``/v1/chat/completions`` and the legacy
``/v1/completions`` are guarded (a guarded model has no unguarded door).
Input shields judge the request (its messages, or its prompt as a user turn)
before the model is called. Output shields judge each answer as the
assistant's turn: a plain response directly, a stream after it has been read to
the end (nothing is sent before the check passes, so a violation is still a
400, at the cost of streaming latency). Only ``error``-level violations block;
lower levels are logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.inference.api import ChunkStream
from corral.apis.safety.api import ShieldMessage, Violation
from corral.apis.safety.messages import shield_messages
from corral.errors import InvalidParameter, ShieldViolation

if TYPE_CHECKING:
    from corral.core.routers.safety import SafetyRouter

log = logging.getLogger("corral.guard")

History = tuple[ShieldMessage, ...]


@dataclass(frozen=True)
class GuardShields:
    """The shields guarding one model."""

    input: tuple[str, ...] = ()
    output: tuple[str, ...] = ()


class ChatGuard:
    """Runs guard shields for the inference router."""

    def __init__(
        self,
        default: GuardShields,
        per_model: dict[str, GuardShields],
        safety: SafetyRouter,
    ) -> None:
        self._default = default if default.input or default.output else None
        self._per_model = per_model
        self._safety = safety

    def shields_for(self, model_identifier: str) -> GuardShields | None:
        """The shields guarding a model, or None when it is not guarded."""
        return self._per_model.get(model_identifier, self._default)

    async def check_input(
        self, shields: GuardShields, history: History, ctx: RequestContext
    ) -> None:
        """Judge the request; raise `ShieldViolation` on an error-level violation."""
        if shields.input:
            await self._check(shields.input, history, ctx)

    async def check_output(
        self, shields: GuardShields, history: History, result: dict[str, Any], ctx: RequestContext
    ) -> None:
        """Judge each choice of a plain (not streamed) response."""
        await self._check_answers(
            shields, history, [_choice_text(c) for c in _choices(result)], ctx
        )

    async def guard_stream(
        self, shields: GuardShields, history: History, chunks: ChunkStream, ctx: RequestContext
    ) -> AsyncIterator[bytes]:
        """Read the whole stream, judge the assembled answers, then replay the chunks."""
        buffered: list[bytes] = []
        try:
            async for chunk in chunks:
                buffered.append(chunk)
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        await self._check_answers(shields, history, assemble_stream(buffered), ctx)
        for chunk in buffered:
            yield chunk

    async def _check_answers(
        self, shields: GuardShields, history: History, texts: list[str], ctx: RequestContext
    ) -> None:
        checks = [
            self._check(shields.output, (*history, ShieldMessage("assistant", text)), ctx)
            for text in texts
            if text
        ]
        await asyncio.gather(*checks)

    async def _check(
        self, shield_ids: Sequence[str], messages: Sequence[ShieldMessage], ctx: RequestContext
    ) -> None:
        safety = self._safety
        verdicts = await asyncio.gather(*(safety.check(s, messages, ctx) for s in shield_ids))
        for shield_id, violation in zip(shield_ids, verdicts, strict=True):
            if violation is None:
                continue
            if violation.level == "error":
                raise _blocked(shield_id, violation)
            log.info("shield %s reported a %s-level finding", shield_id, violation.level)


def chat_history(body: dict[str, Any]) -> History:
    """What shields read of a chat completion request: its messages."""
    return shield_messages(body.get("messages"))


def prompt_history(body: dict[str, Any]) -> History:
    """What shields read of a legacy completion request: its prompt(s) as one user turn."""
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise InvalidParameter(
            "prompt", "this model is guarded by shields, which read text prompts only"
        )
    return (ShieldMessage("user", "\n".join(prompts)),)


def _blocked(shield_id: str, violation: Violation) -> ShieldViolation:
    message = violation.user_message or f"blocked by shield {shield_id!r}"
    return ShieldViolation(message)


def _choices(result: dict[str, Any]) -> list[dict[str, Any]]:
    choices = result.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def _choice_text(choice: dict[str, Any]) -> str:
    """A chat choice's message (content and tool calls) or a completion choice's text."""
    message = choice.get("message")
    if isinstance(message, dict):
        return shield_messages([{"role": "assistant", **message}], "choices.message")[0].text
    text = choice.get("text")
    return text if isinstance(text, str) else ""


def _delta(choice: dict[str, Any]) -> dict[str, Any]:
    delta = choice.get("delta")
    if isinstance(delta, dict):
        return delta
    text = choice.get("text")  # legacy completion chunks
    return {"content": text} if isinstance(text, str) else {}


def assemble_stream(chunks: list[bytes]) -> list[str]:
    """The answer text of each choice of a completion stream (content and tool calls)."""
    content: dict[int, list[str]] = {}
    calls: dict[tuple[int, int], dict[str, str]] = {}
    for raw in chunks:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        for choice in _choices(data) if isinstance(data, dict) else []:
            index = choice.get("index", 0)
            delta = _delta(choice)
            if isinstance(delta.get("content"), str):
                content.setdefault(index, []).append(delta["content"])
            for call in delta.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    slot = calls.setdefault((index, call.get("index", 0)), {"n": "", "a": ""})
                    slot["n"] += function.get("name") or ""
                    slot["a"] += function.get("arguments") or ""
    texts = {i: "".join(parts) for i, parts in content.items()}
    for (index, _), call in sorted(calls.items()):
        called = f"{call['n']}({call['a']})"
        texts[index] = f"{texts[index]}\n{called}" if texts.get(index) else called
    return [texts[i] for i in sorted(texts)]
