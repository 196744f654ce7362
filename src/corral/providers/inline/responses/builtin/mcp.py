"""``mcp`` tools in the loop: listing, the functions the model sees, calls and approvals.

Each ``mcp`` tool of a request names one server (``server_url``, or a
``connector_id`` of the run config) under a ``server_label``. Before the first
model call the server's tools are listed (an ``mcp_list_tools`` item; reused
from the ``previous_response_id`` chain when that already listed the same
label), filtered by ``allowed_tools`` and offered to the model as functions.
A call the model makes either runs at once (an ``mcp_call`` item with output
or error) or, when ``require_approval`` asks for it, ends the response with an
``mcp_approval_request``; the next request answers it with an
``mcp_approval_response`` and ``previous_response_id``, and the call then runs
(or the model is told it was denied) before the model goes on.

Every failure of a server (down, slow, refused by the outbound policy, an
error, garbage) ends up as an ``error`` on the item: never a 500, never a hang
(`corral.core.tools.mcp` bounds every request). The ``authorization`` token is
sent to the server only; it is not echoed, stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.responses.models import McpApprovalFilter, McpTool, McpToolFilter
from corral.core.connectors import ConnectorsService, mcp_headers
from corral.core.tools.mcp import McpFailure, McpServer, McpToolError
from corral.core.tools.mcp import McpTool as ServerTool
from corral.core.tools.outbound import OutboundRefused
from corral.errors import InvalidParameter
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.draft import ResponseDraft, new_id
from corral.providers.inline.responses.builtin.events import Event
from corral.providers.inline.responses.builtin.messages import chat_function_name, function_tool
from corral.providers.inline.responses.builtin.turn import ToolCall

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


@dataclass
class _Server:
    """One ``mcp`` tool of the request."""

    spec: McpTool
    server: McpServer
    tools: list[ServerTool] = field(default_factory=list)
    listed: bool = False


@dataclass(frozen=True)
class Binding:
    """A function the model sees, and the MCP tool behind it."""

    server: _Server
    tool: ServerTool

    @property
    def needs_approval(self) -> bool:
        """Whether the client must approve a call first (``never`` by default)."""
        rule = self.server.spec.require_approval
        if rule is None or rule == "never":
            return False
        if rule == "always":
            return True
        assert isinstance(rule, McpApprovalFilter)
        if _matches(rule.always, self.tool):
            return True
        if _matches(rule.never, self.tool):
            return False
        return True  # a filter that names neither: ask (as Llama Stack does)


def _matches(rule: list[str] | McpToolFilter | None, tool: ServerTool) -> bool:
    if rule is None:
        return False
    if isinstance(rule, list):
        return tool.name in rule
    if rule.tool_names is not None and tool.name not in rule.tool_names:
        return False
    if rule.read_only and not (tool.annotations or {}).get("readOnlyHint"):
        return False
    return rule.tool_names is not None or bool(rule.read_only)


def _allowed(spec: McpTool, tools: list[ServerTool]) -> list[ServerTool]:
    rule = spec.allowed_tools
    if rule is None:
        return tools
    return [t for t in tools if _matches(rule, t)]


class McpTools:
    """The request's ``mcp`` tools for one response."""

    def __init__(self, servers: list[_Server], client: ConnectorsService) -> None:
        self.servers = servers
        self.connectors = client
        #: chat function name → binding, filled once the servers are listed.
        self.bindings: dict[str, Binding] = {}

    @classmethod
    def prepare(
        cls,
        specs: list[tuple[int, McpTool]],
        connectors: ConnectorsService | None,
        ctx: RequestContext,
    ) -> McpTools:
        """Check the tools (400/404 before anything runs) and name their servers."""
        if connectors is None:
            raise InvalidParameter("tools", "mcp tools are not available on this server")
        servers: list[_Server] = []
        labels: set[str] = set()
        for index, spec in specs:
            where = f"tools[{index}]"
            if spec.server_label in labels:
                raise InvalidParameter(f"{where}.server_label", "is used by two mcp tools")
            labels.add(spec.server_label)
            headers = mcp_headers(spec.headers, spec.authorization, f"{where}.headers")
            if (spec.server_url is None) == (spec.connector_id is None):
                raise InvalidParameter(where, "give exactly one of server_url and connector_id")
            if spec.connector_id is not None:
                server = connectors.server(spec.connector_id, ctx, headers, spec.server_label)
            else:
                assert spec.server_url is not None
                try:
                    connectors.client.policy.check_url(spec.server_url)
                except OutboundRefused as exc:
                    raise InvalidParameter(f"{where}.server_url", str(exc)) from None
                server = McpServer(spec.server_url, spec.server_label, headers)
            servers.append(_Server(spec, server))
        return cls(servers, connectors)

    async def list_all(
        self,
        draft: ResponseDraft,
        context: list[dict[str, Any]],
        previous_tools: list[dict[str, Any]],
        taken: set[str],
    ) -> AsyncGenerator[Event, None]:
        """List every server (or reuse an earlier listing), then bind the tools.

        An earlier listing is reused when the previous response had an ``mcp``
        tool with the same label naming the same server (URL or connector).
        """
        earlier = _earlier_listings(context)
        before = {
            t.get("server_label"): (t.get("server_url"), t.get("connector_id"))
            for t in previous_tools
            if t.get("type") == "mcp"
        }
        for server in self.servers:
            spec = server.spec
            same = before.get(spec.server_label) == (spec.server_url, spec.connector_id)
            reused = earlier.get(spec.server_label) if same else None
            wanted = _wanted_names(server.spec)
            if reused is not None and (wanted is None or wanted <= {t.name for t in reused}):
                server.tools, server.listed = _allowed(server.spec, reused), True
                continue
            async for event in self._list(server, draft):
                yield event
        self._bind(taken)

    async def _list(self, server: _Server, draft: ResponseDraft) -> AsyncGenerator[Event, None]:
        item: dict[str, Any] = {
            "id": new_id("mcpl"),
            "type": "mcp_list_tools",
            "server_label": server.spec.server_label,
            "tools": [],
            "error": None,
        }
        index = len(draft.output)
        draft.output.append(item)
        yield ev.item_added(index, item)
        yield ev.tool_progress("mcp_list_tools", "in_progress", item["id"], index)
        try:
            listed = await self.connectors.client.list_tools(server.server)
        except McpFailure as exc:
            item["error"] = str(exc)
            yield ev.tool_progress("mcp_list_tools", "failed", item["id"], index)
        else:
            server.tools, server.listed = _allowed(server.spec, listed), True
            item["tools"] = [t.item() for t in server.tools]
            yield ev.tool_progress("mcp_list_tools", "completed", item["id"], index)
        yield ev.item_done(index, item)

    def _bind(self, taken: set[str]) -> None:
        for server in self.servers:
            for tool in server.tools:
                name = chat_function_name(tool.name)
                if name in taken:
                    name = _UNSAFE.sub("_", f"{server.spec.server_label}_{tool.name}")[:64]
                base, n = name, 2
                while name in taken:
                    name, n = f"{base[:60]}_{n}", n + 1
                taken.add(name)
                self.bindings[name] = Binding(server, tool)

    def chat_tools(self) -> list[dict[str, Any]]:
        """The functions the model is offered."""
        return [
            function_tool(name, b.tool.description, b.tool.input_schema, None)
            for name, b in self.bindings.items()
        ]

    def chat_name(self, server_label: str, tool: str | None) -> str | None:
        """The function name of a server's tool (its first tool when `tool` is None)."""
        for name, binding in self.bindings.items():
            if binding.server.spec.server_label == server_label and tool in (
                None,
                binding.tool.name,
            ):
                return name
        return None

    async def run(
        self,
        call: ToolCall,
        draft: ResponseDraft,
        messages: list[dict[str, Any]],
        approval_request_id: str | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Call the tool: an ``mcp_call`` item, and its output (or error) for the model."""
        binding = self.bindings[call.name]
        item: dict[str, Any] = {
            "id": new_id("mcp"),
            "type": "mcp_call",
            "server_label": binding.server.spec.server_label,
            "name": binding.tool.name,
            "arguments": call.arguments,
            "output": None,
            "error": None,
            "status": "in_progress",
            "approval_request_id": approval_request_id,
        }
        index = len(draft.output)
        draft.output.append(item)
        yield ev.item_added(index, item)
        base = {"item_id": item["id"], "output_index": index}
        yield "response.mcp_call_arguments.delta", {**base, "delta": call.arguments}
        yield "response.mcp_call_arguments.done", {**base, "arguments": call.arguments}
        yield ev.tool_progress("mcp_call", "in_progress", item["id"], index)
        try:
            arguments = _arguments(call.arguments)
            item["output"] = await self.connectors.client.call_tool(
                binding.server.server, binding.tool.name, arguments
            )
            item["status"] = "completed"
        except McpToolError as exc:
            item["error"], item["status"] = str(exc), "failed"
        except (McpFailure, ValueError) as exc:
            item["error"], item["status"] = str(exc), "failed"
        yield ev.tool_progress("mcp_call", item["status"], item["id"], index)
        yield ev.item_done(index, item)
        content = item["output"] if item["error"] is None else f"Error: {item['error']}"
        messages.append({"role": "tool", "tool_call_id": call.call_id, "content": content})

    def approval_request(self, call: ToolCall, draft: ResponseDraft) -> list[Event]:
        """An ``mcp_approval_request`` item: the client decides, the response ends."""
        binding = self.bindings[call.name]
        item = {
            "id": new_id("mcpr"),
            "type": "mcp_approval_request",
            "server_label": binding.server.spec.server_label,
            "name": binding.tool.name,
            "arguments": call.arguments,
        }
        index = len(draft.output)
        draft.output.append(item)
        return [ev.item_added(index, item), ev.item_done(index, item)]

    async def answer_approvals(
        self,
        answers: list[dict[str, Any]],
        requests: dict[str, dict[str, Any]],
        draft: ResponseDraft,
        messages: list[dict[str, Any]],
    ) -> AsyncGenerator[Event, None]:
        """Run the approved calls, tell the model about the denied ones."""
        for answer in answers:
            request = requests[answer["approval_request_id"]]
            name = self.chat_name(request["server_label"], request["name"])
            call = ToolCall(request["id"], name or request["name"], request["arguments"])
            messages.append(_assistant_call(call))
            if not answer.get("approve"):
                reason = answer.get("reason")
                denial = "The user did not approve this tool call" + (
                    f": {reason}" if reason else "."
                )
                messages.append({"role": "tool", "tool_call_id": call.call_id, "content": denial})
            elif name is None:
                missing = (
                    f"Error: the MCP server {request['server_label']!r} or its tool "
                    f"{request['name']!r} is not among this request's tools"
                )
                messages.append({"role": "tool", "tool_call_id": call.call_id, "content": missing})
            else:
                async for event in self.run(call, draft, messages, request["id"]):
                    yield event


def _assistant_call(call: ToolCall) -> dict[str, Any]:
    function = {"name": call.name, "arguments": call.arguments}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call.call_id, "type": "function", "function": function}],
    }


def _arguments(raw: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(raw or "{}")
    except orjson.JSONDecodeError:
        raise ValueError("the model's arguments are not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError("the model's arguments are not a JSON object")
    return parsed


def _wanted_names(spec: McpTool) -> set[str] | None:
    rule = spec.allowed_tools
    if isinstance(rule, list):
        return set(rule)
    if isinstance(rule, McpToolFilter) and rule.tool_names is not None:
        return set(rule.tool_names)
    return None


def _earlier_listings(context: list[dict[str, Any]]) -> dict[str, list[ServerTool]]:
    """The latest successful listing of each server label in the earlier items."""
    out: dict[str, list[ServerTool]] = {}
    for item in context:
        if item.get("type") != "mcp_list_tools" or item.get("error"):
            continue
        out[item["server_label"]] = [
            ServerTool(
                t["name"],
                t.get("description"),
                t.get("input_schema") or {"type": "object", "properties": {}},
                t.get("annotations"),
            )
            for t in item.get("tools") or ()
        ]
    return out


def approval_answers(
    items: list[dict[str, Any]], context: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The input's approval answers and the earlier requests they answer (400 if unknown)."""
    answers = [(n, i) for n, i in enumerate(items) if i.get("type") == "mcp_approval_response"]
    if not answers:
        return [], {}
    requests = {i["id"]: i for i in context if i.get("type") == "mcp_approval_request"}
    done = {i.get("approval_request_id") for i in context if i.get("type") == "mcp_call"}
    for index, answer in answers:
        request_id = answer["approval_request_id"]
        if request_id not in requests:
            raise InvalidParameter(
                f"input[{index}].approval_request_id",
                f"{request_id!r} is not an approval request of the previous response",
            )
        if request_id in done:
            raise InvalidParameter(
                f"input[{index}].approval_request_id", f"{request_id!r} was answered already"
            )
    return [a for _, a in answers], requests
