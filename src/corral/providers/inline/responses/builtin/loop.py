"""`AgentLoop`: model calls and server-side tools, until the model answers or a limit is hit.

Each iteration is one chat completion on the inference router (so model
routing, access_policy, the server's guard shields and every provider work as
for a chat completion). The loop stops when the model answers without calling
a server-side tool, when it calls a client function (the client runs it and
continues with ``previous_response_id``), or at a limit: ``max_infer_iters``
model calls (status ``incomplete``), ``max_output_tokens`` over all calls
(``incomplete``), or ``max_tool_calls`` server-side tool calls (the model is
then asked to answer without tools).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from corral.apis.context import RequestContext
from corral.apis.inference.api import ChunkStream
from corral.apis.safety.api import ShieldMessage
from corral.apis.safety.messages import shield_messages
from corral.errors import ShieldViolation
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.citations import CitationFilter
from corral.providers.inline.responses.builtin.draft import ResponseDraft, new_id
from corral.providers.inline.responses.builtin.events import Event
from corral.providers.inline.responses.builtin.messages import FILE_SEARCH_FUNCTION
from corral.providers.inline.responses.builtin.tools import FileSearchRunner, ToolSet
from corral.providers.inline.responses.builtin.turn import ToolCall, Turn
from corral.providers.inline.responses.builtin.web_search import (
    WEB_SEARCH_FUNCTION,
    WebSearchRunner,
)

log = logging.getLogger("corral.responses")


class ChatRouter(Protocol):
    """What the loop needs of the inference router."""

    async def chat_completion(
        self, body: dict[str, Any], ctx: RequestContext, *, store: bool = True
    ) -> dict[str, Any] | ChunkStream:
        """A chat completion (a chunk stream when ``body["stream"]``)."""
        ...


class SafetyChecks(Protocol):
    """What guardrails need of the safety router."""

    async def check(
        self, shield_id: str, messages: Sequence[ShieldMessage], ctx: RequestContext
    ) -> Any:
        """A violation, or None."""
        ...


@dataclass
class Guardrails:
    """The request's ``guardrails`` shields, run on its input and on each answer."""

    safety: SafetyChecks
    shield_ids: tuple[str, ...]
    ctx: RequestContext
    history: tuple[ShieldMessage, ...] = ()

    async def check_input(self, messages: list[dict[str, Any]]) -> str | None:
        """The refusal the input calls for, or None."""
        self.history = shield_messages(messages)
        return await self._check(self.history)

    async def judge(self, text: str) -> str | None:
        """The refusal an answer calls for, or None."""
        return await self._check((*self.history, ShieldMessage("assistant", text)))

    async def _check(self, history: tuple[ShieldMessage, ...]) -> str | None:
        for shield_id in self.shield_ids:
            violation = await self.safety.check(shield_id, history, self.ctx)
            if violation is not None and violation.level == "error":
                return str(violation.user_message or f"blocked by guardrail {shield_id!r}")
        return None


@dataclass
class LoopSetup:
    """Everything one run of the loop works with."""

    draft: ResponseDraft
    messages: list[dict[str, Any]]
    chat_base: dict[str, Any]
    tools: ToolSet
    max_iters: int
    ctx: RequestContext
    file_search: FileSearchRunner | None = None
    web_search: WebSearchRunner | None = None
    known_files: dict[str, str] | None = None
    guardrails: Guardrails | None = None
    #: Whether the model's answers become events (only a streamed response reads them).
    emit: bool = True
    #: The earlier items (an earlier ``mcp_list_tools`` is reused from them).
    context: list[dict[str, Any]] = field(default_factory=list)
    #: The tools of the ``previous_response_id`` response, as it echoed them.
    previous_tools: list[dict[str, Any]] = field(default_factory=list)
    #: ``mcp_approval_response`` items of the input, and the requests they answer.
    approvals: list[dict[str, Any]] = field(default_factory=list)
    approval_requests: dict[str, dict[str, Any]] = field(default_factory=dict)


class AgentLoop:
    """Runs one response's loop, yielding its output events."""

    def __init__(
        self,
        setup: LoopSetup,
        inference: ChatRouter,
        cancelled: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.s = setup
        self.inference = inference
        self.cancelled = cancelled
        self.tool_calls_made = 0
        #: Set when a call waits for the client's approval: the response ends after the turn.
        self.awaiting_approval = False

    async def events(self) -> AsyncGenerator[Event, None]:
        """The output events; the draft's status is final when this ends."""
        s = self.s
        if s.guardrails is not None:
            refusal = await s.guardrails.check_input(s.messages)
            if refusal is not None:
                for event in self._refuse(refusal):
                    yield event
                return
        async for event in self._mcp_start():
            yield event
        for _ in range(s.max_iters):
            if self.cancelled is not None and await self.cancelled():
                s.draft.finish("cancelled")
                return
            if self._budget_spent():
                return
            async for event in self._iteration():
                yield event
            if s.draft.status != "in_progress":
                return
        s.draft.finish("incomplete", reason="max_infer_iters")

    async def _mcp_start(self) -> AsyncGenerator[Event, None]:
        """List the MCP servers, offer their tools, and run the calls the client approved."""
        s = self.s
        mcp = s.tools.mcp
        if mcp is None:
            return
        taken = {t["function"]["name"] for t in s.tools.chat_tools}
        async for event in mcp.list_all(s.draft, s.context, s.previous_tools, taken):
            yield event
        s.tools.add_mcp_functions()
        async for event in mcp.answer_approvals(
            s.approvals, s.approval_requests, s.draft, s.messages
        ):
            yield event

    async def _iteration(self) -> AsyncGenerator[Event, None]:
        """One model call, then the server-side tools it asked for.

        Sets the final status, unless the loop should go on.
        """
        s = self.s
        turn = self._turn()
        try:
            result = await self.inference.chat_completion(self._body(), s.ctx, store=False)
            async for event in turn.events(result):
                yield event
        except ShieldViolation as exc:  # the server's guard shields blocked the turn
            for event in self._refuse(exc.message):
                yield event
            return
        if turn.finish_reason in ("length", "content_filter"):
            reason = "max_output_tokens" if turn.finish_reason == "length" else "content_filter"
            s.draft.finish("incomplete", reason=reason)
            return
        server_calls = [c for c in turn.tool_calls if c.item is None]
        if server_calls:
            s.messages.append(turn.assistant_message())
            for call in server_calls:
                async for event in self._run_server_tool(call):
                    yield event
        if self.awaiting_approval:  # the client answers with previous_response_id
            s.draft.finish("completed")
            return
        if not server_calls or len(server_calls) < len(turn.tool_calls):
            # an answer, or function calls the client has to answer
            s.draft.finish("completed")

    def _budget_spent(self) -> bool:
        """True (and the response incomplete) when the output token budget is spent."""
        limit = self.s.draft.request.max_output_tokens
        if limit is not None and self.s.draft.usage.output_tokens >= limit:
            self.s.draft.finish("incomplete", reason="max_output_tokens")
            return True
        return False

    def _turn(self) -> Turn:
        s = self.s
        files = dict(s.known_files or {})
        if s.file_search is not None:
            files.update(s.file_search.files)
        urls = s.web_search.urls if s.web_search is not None else None
        wanted = files or s.file_search is not None or urls is not None
        citations = CitationFilter(files, urls) if wanted else None
        judge = s.guardrails.judge if s.guardrails is not None else None
        return Turn(s.draft, s.tools.server_names, citations, judge, emit=s.emit)

    def _body(self) -> dict[str, Any]:
        s = self.s
        body = {**s.chat_base, "messages": s.messages}
        limit = s.draft.request.max_output_tokens
        if limit is not None:
            body["max_tokens"] = limit - s.draft.usage.output_tokens
        max_calls = s.draft.request.max_tool_calls
        tools = s.tools.chat_tools
        if max_calls is not None and self.tool_calls_made >= max_calls:
            tools = s.tools.client_only()
        if tools:
            body["tools"] = tools
            if s.tools.tool_choice is not None and tools is s.tools.chat_tools:
                body["tool_choice"] = s.tools.tool_choice
        return body

    async def _run_server_tool(self, call: ToolCall) -> AsyncGenerator[Event, None]:
        s = self.s
        mcp = s.tools.mcp
        if mcp is not None and call.name in mcp.bindings:
            if mcp.bindings[call.name].needs_approval:
                self.awaiting_approval = True
                for event in mcp.approval_request(call, s.draft):
                    yield event
                return
            self.tool_calls_made += 1
            async for event in mcp.run(call, s.draft, s.messages):
                yield event
            return
        self.tool_calls_made += 1
        if s.web_search is not None and call.name == WEB_SEARCH_FUNCTION:
            async for event in s.web_search.run(call, s.draft, s.messages):
                yield event
        elif s.file_search is not None and call.name == FILE_SEARCH_FUNCTION:
            async for event in s.file_search.run(call, s.draft, s.messages):
                yield event
        else:  # only server tools are routed here; keep the conversation consistent
            s.messages.append(
                {"role": "tool", "tool_call_id": call.call_id, "content": "tool unavailable"}
            )

    def _refuse(self, refusal: str) -> list[Event]:
        """An assistant message that carries only a refusal; the response is complete."""
        draft = self.s.draft
        item = ev.message_item(new_id("msg"))
        index = len(draft.output)
        draft.output.append(item)
        part = {"type": "refusal", "refusal": refusal}
        out = [ev.item_added(index, item)]
        item["content"] = [part]
        out.append(ev.part_event("added", item["id"], index, part))
        out += ev.refusal_events(item["id"], index, refusal)
        out.append(ev.part_event("done", item["id"], index, part))
        item["status"] = "completed"
        out.append(ev.item_done(index, item))
        draft.finish("completed")
        return out
