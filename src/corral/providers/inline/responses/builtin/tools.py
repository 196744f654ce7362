"""The tools of one response: what the model is offered, and the ones the server runs.

Client functions are offered as they are; the response ends with their
``function_call`` items. ``file_search`` is offered to the model as a function
of the same name and run here against corral's vector stores (with the
caller's identity, so access_policy applies), results fed back to the model.
``mcp`` tools are collected here and run by `McpTools` (``mcp.py``). Tool
types this server does not run are refused with a 400 naming the tool, before
anything runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.responses.models import (
    AllowedTools,
    CreateResponseRequest,
    FileSearchTool,
    FunctionChoice,
    FunctionTool,
    HostedToolChoice,
    McpChoice,
    McpTool,
    WebSearchTool,
)
from corral.apis.vector_io.models import RankingOptions, SearchRequest
from corral.apis.vector_io.settings import VectorStoreSettings
from corral.errors import CorralError, InvalidParameter
from corral.providers.inline.responses.builtin import events as ev
from corral.providers.inline.responses.builtin.citations import format_results
from corral.providers.inline.responses.builtin.draft import ResponseDraft, new_id
from corral.providers.inline.responses.builtin.events import Event
from corral.providers.inline.responses.builtin.messages import (
    FILE_SEARCH_FUNCTION,
    FILE_SEARCH_TOOL,
    function_tool,
)
from corral.providers.inline.responses.builtin.turn import ToolCall
from corral.providers.inline.responses.builtin.web_search import (
    WEB_SEARCH_FUNCTION,
    WEB_SEARCH_TOOL,
)

if TYPE_CHECKING:
    from corral.providers.inline.responses.builtin.mcp import McpTools


WEB_SEARCH_TYPES = frozenset(
    {
        "web_search",
        "web_search_preview",
        "web_search_preview_2025_03_11",
        "web_search_2025_08_26",
    }
)


@dataclass
class ToolSet:
    """The chat ``tools`` and ``tool_choice`` of a response, and its server-side tools."""

    chat_tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    file_search: FileSearchTool | None = None
    #: Position of the request's web_search tool in ``tools`` (None: no web_search).
    web_search_index: int | None = None
    #: The request's ``mcp`` tools, by position in ``tools``.
    mcp_specs: list[tuple[int, McpTool]] = field(default_factory=list)
    #: Set by `prepare` when there are mcp tools; its functions join once listed.
    mcp: McpTools | None = None
    #: A ``tool_choice`` naming an MCP server (resolved once its tools are listed).
    mcp_choice: McpChoice | None = None

    @property
    def server_names(self) -> frozenset[str]:
        """Function names the server runs itself."""
        names = {FILE_SEARCH_FUNCTION} if self.file_search else set()
        if self.web_search_index is not None:
            names.add(WEB_SEARCH_FUNCTION)
        if self.mcp is not None:
            names.update(self.mcp.bindings)
        return frozenset(names)

    def add_mcp_functions(self) -> None:
        """Offer the listed MCP tools to the model (and apply an MCP ``tool_choice``)."""
        if self.mcp is None:
            return
        self.chat_tools += self.mcp.chat_tools()
        if self.mcp_choice is not None:
            name = self.mcp.chat_name(self.mcp_choice.server_label, self.mcp_choice.name)
            if name is not None:
                self.tool_choice = {"type": "function", "function": {"name": name}}

    def client_only(self) -> list[dict[str, Any]]:
        """The tools left once server-side tools may no longer be called."""
        return [t for t in self.chat_tools if t["function"]["name"] not in self.server_names]


def build_tools(request: CreateResponseRequest) -> ToolSet:
    """Translate the request's tools; 400 for a tool type this server does not run."""
    tools = ToolSet()
    names: set[str] = set()
    for index, tool in enumerate(request.tools or ()):
        if isinstance(tool, FunctionTool):
            if tool.name in names or tool.name in (FILE_SEARCH_FUNCTION, WEB_SEARCH_FUNCTION):
                raise InvalidParameter(f"tools[{index}].name", f"{tool.name!r} is used twice")
            names.add(tool.name)
            tools.chat_tools.append(
                function_tool(tool.name, tool.description, tool.parameters, tool.strict)
            )
        elif isinstance(tool, FileSearchTool):
            if tools.file_search is not None:
                raise InvalidParameter(f"tools[{index}]", "only one file_search tool is allowed")
            tools.file_search = tool
            tools.chat_tools.append(FILE_SEARCH_TOOL)
        elif isinstance(tool, WebSearchTool):
            if tools.web_search_index is not None:
                raise InvalidParameter(f"tools[{index}]", "only one web_search tool is allowed")
            tools.web_search_index = index
            tools.chat_tools.append(WEB_SEARCH_TOOL)
        elif isinstance(tool, McpTool):
            tools.mcp_specs.append((index, tool))
        else:
            raise InvalidParameter(
                f"tools[{index}].type",
                f"tool type {tool.type!r} is not available on this server; it serves "
                "'function', 'file_search', 'web_search' and 'mcp' tools",
            )
    tools.tool_choice = _tool_choice(request, tools)
    return tools


def _tool_choice(request: CreateResponseRequest, tools: ToolSet) -> Any:
    choice = request.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    if isinstance(choice, FunctionChoice):
        if not any(t["function"]["name"] == choice.name for t in tools.chat_tools):
            raise InvalidParameter("tool_choice.name", f"no function tool is named {choice.name!r}")
        return {"type": "function", "function": {"name": choice.name}}
    if isinstance(choice, HostedToolChoice):
        if choice.type == "file_search" and tools.file_search is not None:
            return {"type": "function", "function": {"name": FILE_SEARCH_FUNCTION}}
        if choice.type != "file_search" and tools.web_search_index is not None:
            return {"type": "function", "function": {"name": WEB_SEARCH_FUNCTION}}
        raise InvalidParameter("tool_choice.type", f"no {choice.type} tool is configured")
    if isinstance(choice, McpChoice):
        if not any(spec.server_label == choice.server_label for _, spec in tools.mcp_specs):
            raise InvalidParameter(
                "tool_choice.server_label", f"no mcp tool has server_label {choice.server_label!r}"
            )
        tools.mcp_choice = choice
        return None
    if isinstance(choice, AllowedTools):
        allowed = {t.get("name") or t.get("type") for t in choice.tools}
        tools.chat_tools = [
            t
            for t in tools.chat_tools
            if t["function"]["name"] in allowed
            or (t["function"]["name"] == FILE_SEARCH_FUNCTION and "file_search" in allowed)
            or (t["function"]["name"] == WEB_SEARCH_FUNCTION and allowed & WEB_SEARCH_TYPES)
        ]
        return choice.mode
    raise InvalidParameter("tool_choice", f"tool_choice type {choice.type!r} is not available")


class FileSearchRunner:
    """Runs file_search calls against the vector_io router with the caller's identity."""

    def __init__(
        self,
        vector_io: Any,
        tool: FileSearchTool,
        ctx: RequestContext,
        settings: VectorStoreSettings | None = None,
    ) -> None:
        self._vector_io = vector_io
        self._tool = tool
        self._ctx = ctx
        self._settings = settings or VectorStoreSettings()
        #: file id → filename of every result shown to the model (for citations).
        self.files: dict[str, str] = {}

    async def check_stores(self) -> None:
        """404 before anything runs when a vector store is unknown or not the caller's."""
        if self._vector_io is None:
            raise InvalidParameter("tools", "file_search needs a vector_io provider on this server")
        for store_id in self._tool.vector_store_ids:
            await self._vector_io.get(store_id, self._ctx)

    async def run(
        self, call: ToolCall, draft: ResponseDraft, messages: list[dict[str, Any]]
    ) -> AsyncGenerator[Event, None]:
        """Search, record a ``file_search_call`` item, and give the results to the model."""
        query = _query(call.arguments)
        item: dict[str, Any] = {
            "id": new_id("fs"),
            "type": "file_search_call",
            "status": "in_progress",
            "queries": [query] if query else [call.arguments],
            "results": None,
        }
        index = len(draft.output)
        draft.output.append(item)
        yield ev.item_added(index, item)
        yield ev.tool_progress("file_search_call", "in_progress", item["id"], index)
        yield ev.tool_progress("file_search_call", "searching", item["id"], index)
        if query is None:
            content = 'file_search needs JSON arguments like {"query": "what to look for"}.'
            item["status"] = "failed"
        else:
            try:
                item["results"] = await self._search(query)
                item["status"] = "completed"
                content = format_results(
                    query,
                    item["results"],
                    self._settings.prompts,
                    self._settings.max_tokens_in_context,
                )
            except CorralError as exc:
                item["status"] = "failed"
                content = f"file_search failed: {exc.message}"
        yield ev.tool_progress("file_search_call", "completed", item["id"], index)
        yield ev.item_done(index, item)
        messages.append({"role": "tool", "tool_call_id": call.call_id, "content": content})

    async def _search(self, query: str) -> list[dict[str, Any]]:
        tool = self._tool
        limit = tool.max_num_results or 10
        ranking = None
        if tool.ranking_options is not None:
            ranking = RankingOptions.model_validate(
                tool.ranking_options.model_dump(exclude_none=True)
            )
        request = SearchRequest(
            query=query, filters=tool.filters, max_num_results=limit, ranking_options=ranking
        )
        pages = await asyncio.gather(
            *(self._vector_io.search(s, request, self._ctx) for s in tool.vector_store_ids)
        )
        hits = sorted((hit for page in pages for hit in page.data), key=lambda h: -h.score)
        results = []
        for hit in hits[:limit]:
            self.files[hit.file_id] = hit.filename
            results.append(
                {
                    "file_id": hit.file_id,
                    "filename": hit.filename,
                    "score": hit.score,
                    "attributes": hit.attributes,
                    "text": "\n".join(c.text for c in hit.content),
                }
            )
        return results


def _query(arguments: str) -> str | None:
    try:
        parsed = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return None
    query = parsed.get("query") if isinstance(parsed, dict) else None
    if isinstance(query, list):
        query = " ".join(str(q) for q in query)
    return query if isinstance(query, str) and query.strip() else None


def known_files(items: list[dict[str, Any]]) -> dict[str, str]:
    """File id → filename of the file_search results in earlier items (for citations)."""
    files: dict[str, str] = {}
    for item in items:
        if item.get("type") == "file_search_call":
            for hit in item.get("results") or ():
                files[hit["file_id"]] = hit.get("filename") or ""
    return files
