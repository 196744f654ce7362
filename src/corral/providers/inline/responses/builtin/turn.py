"""`Turn`: one chat completion of the loop, turned into output items and events.

A plain completion and a stream go through the same code: a plain message is
handled as a single delta. Text opens an assistant ``message`` item; each tool
call opens a ``function_call`` item unless the function is one the server runs
itself (file_search), which the loop turns into its own item afterwards. With
`judge` set (output guardrails), text is held back until the model has finished
and shown only if the judge lets it through; otherwise the message carries a
``refusal``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from corral.apis.inference.api import ChunkStream
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.citations import CitationFilter
from corral.providers.inline.responses.builtin.draft import ResponseDraft, new_id
from corral.providers.inline.responses.builtin.events import Event

Judge = Callable[[str], Awaitable[str | None]]


@dataclass
class ToolCall:
    """A tool call the model made in this turn."""

    call_id: str
    name: str
    arguments: str
    #: The ``function_call`` output item (None for functions the server runs).
    item: dict[str, Any] | None = None


@dataclass
class _Slot:
    """A tool call while its deltas arrive."""

    call_id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    item: dict[str, Any] | None = None
    index: int = -1
    server_side: bool = False


class Turn:
    """One model call's output."""

    def __init__(
        self,
        draft: ResponseDraft,
        server_tools: frozenset[str],
        citations: CitationFilter | None = None,
        judge: Judge | None = None,
        emit: bool = True,
    ) -> None:
        self.draft = draft
        #: Whether anyone reads the events: a plain response only needs the items.
        self.emit = emit
        self.server_tools = server_tools
        self.citations = citations
        self.judge = judge
        self.finish_reason: str | None = None
        self.text = ""
        self.refusal: str | None = None
        self.tool_calls: list[ToolCall] = []
        self._pieces: list[str] = []
        self._message: dict[str, Any] | None = None
        self._message_index = -1
        self._slots: dict[int, _Slot] = {}
        self._usage: dict[str, Any] | None = None
        #: Token log probabilities, when the request asked for them.
        self.logprobs: list[dict[str, Any]] = []

    async def events(self, result: dict[str, Any] | ChunkStream) -> AsyncGenerator[Event, None]:
        """The events of the model's answer, from a plain completion or a chunk stream."""
        if isinstance(result, dict):
            for event in self._plain(result):
                yield event
        else:
            try:
                async for raw in result:
                    for event in self._chunk(orjson.loads(raw)):
                        yield event
            finally:
                close = getattr(result, "aclose", None)
                if close is not None:
                    await close()
        self.draft.usage.add(self._usage)
        async for event in self._finish():
            yield event

    def _plain(self, completion: dict[str, Any]) -> list[Event]:
        self._usage = completion.get("usage")
        choices = completion.get("choices") or [{}]
        choice = choices[0]
        message = dict(choice.get("message") or {})
        calls = message.get("tool_calls") or []
        message["tool_calls"] = [{**c, "index": i} for i, c in enumerate(calls)]
        self.finish_reason = choice.get("finish_reason")
        self._keep_logprobs(choice)
        return self._delta(message)

    def _chunk(self, data: dict[str, Any]) -> list[Event]:
        if data.get("usage"):
            self._usage = data["usage"]
        out: list[Event] = []
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            self._keep_logprobs(choice)
            out += self._delta(choice.get("delta") or {})
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return out

    def _keep_logprobs(self, choice: dict[str, Any]) -> None:
        """Chat ``logprobs.content`` entries have the Responses shape already."""
        found = choice.get("logprobs")
        content = found.get("content") if isinstance(found, dict) else None
        for entry in content or ():
            if isinstance(entry, dict) and "token" in entry:
                self.logprobs.append(
                    {
                        "token": entry["token"],
                        "logprob": entry.get("logprob", 0.0),
                        "bytes": entry.get("bytes") or [],
                        "top_logprobs": entry.get("top_logprobs") or [],
                    }
                )

    def _delta(self, delta: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        content = delta.get("content")
        if isinstance(content, str) and content:
            out += self._text(content)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self.refusal = (self.refusal or "") + refusal
        for call in delta.get("tool_calls") or ():
            if isinstance(call, dict):
                out += self._call(call)
        return out

    def _open_message(self, with_text: bool = True) -> list[Event]:
        if self._message is not None:
            return []
        self._message = ev.message_item(new_id("msg"))
        self._message_index = len(self.draft.output)
        self.draft.output.append(self._message)
        if self.judge is None and with_text:
            part = ev.text_part()
            self._message["content"].append(part)
            if not self.emit:
                return []
            return [
                ev.item_added(self._message_index, {**self._message, "content": []}),
                ev.part_event("added", self._message["id"], self._message_index, part),
            ]
        if not self.emit:
            return []
        return [ev.item_added(self._message_index, {**self._message, "content": []})]

    def _text(self, delta: str) -> list[Event]:
        out = self._open_message()
        assert self._message is not None
        if self.citations is not None:
            delta = self.citations.feed(delta)
        if delta:
            self._pieces.append(delta)
            if self.judge is None and self.emit:
                out.append(ev.text_delta(self._message["id"], self._message_index, delta))
        return out

    def _call(self, call: dict[str, Any]) -> list[Event]:
        slot = self._slots.setdefault(int(call.get("index") or 0), _Slot())
        slot.call_id = slot.call_id or call.get("id")
        function = call.get("function") or {}
        name, arguments = function.get("name"), function.get("arguments")
        if isinstance(name, str) and name and name != slot.name:
            slot.name += name
        if isinstance(arguments, str) and arguments:
            slot.arguments.append(arguments)
        if slot.item is not None:
            if isinstance(arguments, str) and arguments and self.emit:
                return [ev.arguments_delta(slot.item["id"], slot.index, arguments)]
            return []
        if not slot.name or slot.server_side:
            return []
        if slot.name in self.server_tools:
            slot.server_side = True
            return []
        slot.item = {
            "id": new_id("fc"),
            "type": "function_call",
            "status": "in_progress",
            "call_id": slot.call_id or "",
            "name": slot.name,
            "arguments": "",
        }
        slot.index = len(self.draft.output)
        self.draft.output.append(slot.item)
        if not self.emit:
            return []
        out = [ev.item_added(slot.index, slot.item)]
        if slot.arguments:
            out.append(ev.arguments_delta(slot.item["id"], slot.index, "".join(slot.arguments)))
        return out

    async def _finish(self) -> AsyncGenerator[Event, None]:
        if self.citations is not None:
            tail = self.citations.flush()
            if tail:
                for event in self._text(tail):
                    yield event
        self.text = "".join(self._pieces)
        if self._message is not None or self.refusal:
            for event in self._open_message(with_text=False):
                yield event
            if self.judge is not None and self.text and self.refusal is None:
                self.refusal = await self.judge(self.text)
            for event in self._close_message():
                yield event
        for slot in self._slots.values():
            for event in self._close_call(slot):
                yield event

    def _close_message(self) -> list[Event]:
        message, index = self._message, self._message_index
        assert message is not None
        out: list[Event] = []
        if self.refusal is not None:
            self.text = ""
            part: dict[str, Any] = {"type": "refusal", "refusal": self.refusal}
            message["content"] = [part]
            if self.emit:
                out.append(ev.part_event("added", message["id"], index, part))
                out += ev.refusal_events(message["id"], index, self.refusal)
        else:
            annotations = self.citations.annotations if self.citations is not None else []
            part = ev.text_part(self.text, annotations)
            part["logprobs"] = self.logprobs
            if not message["content"]:  # held back until now: one part, one delta
                message["content"] = [part]
                if self.emit:
                    out.append(ev.part_event("added", message["id"], index, ev.text_part()))
                    out.append(ev.text_delta(message["id"], index, self.text))
            else:
                message["content"][0] = part
            if self.emit:
                for number, annotation in enumerate(annotations):
                    out.append(ev.annotation_added(message["id"], index, number, annotation))
                out.append(ev.text_done(message["id"], index, self.text))
        message["status"] = "completed" if self.finish_reason != "length" else "incomplete"
        if self.emit:
            out.append(ev.part_event("done", message["id"], index, part))
            out.append(ev.item_done(index, message))
        return out

    def _close_call(self, slot: _Slot) -> list[Event]:
        arguments = "".join(slot.arguments)
        call_id = slot.call_id or "call_" + secrets.token_hex(12)
        self.tool_calls.append(ToolCall(call_id, slot.name, arguments, slot.item))
        if slot.item is None:
            return []
        slot.item.update(call_id=call_id, arguments=arguments, status="completed")
        if not self.emit:
            return []
        return [
            ev.arguments_done(slot.item["id"], slot.index, slot.name, arguments),
            ev.item_done(slot.index, slot.item),
        ]

    def assistant_message(self) -> dict[str, Any]:
        """This turn as the chat message the next turn's model reads."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.call_id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        return message
