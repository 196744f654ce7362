"""`McpClient`: list and call the tools of remote MCP servers, with limits on everything.

Built on the official ``mcp`` SDK (streamable HTTP, or HTTP+SSE for a URL
ending in ``/sse``), through the outbound policy and a pool of open sessions
(`corral.core.tools.mcp_session`). Nothing here raises anything but
`McpFailure`, whose message is safe to show a client: a server that is down,
slow, refused by the policy, answering an error or garbage is described in one
sentence that never contains a header or a credential. Every request has a
deadline (``tools.mcp.timeout_seconds``) and every result a size limit
(``tools.max_result_bytes``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from corral.config.tools import ToolsConfig
from corral.core.tools.mcp_session import McpServer, SessionPool
from corral.core.tools.outbound import OutboundPolicy, OutboundRefused

__all__ = ["McpClient", "McpFailure", "McpServer", "McpTool", "McpToolError", "ServerInfo"]

#: Tools kept from one listing; a server offering more is cut (and says so in the log).
MAX_TOOLS = 512


class McpFailure(Exception):
    """The MCP server could not be used; the message is safe to show the client."""


class McpToolError(McpFailure):
    """The tool ran and reported an error (``isError``); the message is its text."""


@dataclass(frozen=True)
class McpTool:
    """One tool an MCP server offers."""

    name: str
    description: str | None
    input_schema: dict[str, Any]
    annotations: dict[str, Any] | None = None

    def item(self) -> dict[str, Any]:
        """As an ``mcp_list_tools`` item lists it."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
            "annotations": self.annotations,
        }


@dataclass(frozen=True)
class ServerInfo:
    """What the server said about itself when the session opened."""

    name: str | None
    version: str | None
    description: str | None


@dataclass
class _Cached:
    expires: float
    tools: list[McpTool] = field(default_factory=list)


class McpClient:
    """Lists and calls MCP tools; owns the session pool and the tool-list cache."""

    def __init__(self, config: ToolsConfig, policy: OutboundPolicy | None = None) -> None:
        self.config = config
        self.policy = policy or OutboundPolicy(config.outbound)
        self.pool = SessionPool(self.policy, config.mcp)
        self._cache: dict[str, _Cached] = {}
        self._sdk_loaded = False

    @property
    def timeout(self) -> float:
        """Deadline of one MCP request, in seconds."""
        return self.config.mcp.timeout_seconds

    async def server_info(self, server: McpServer) -> ServerInfo:
        """The server's name, version and instructions (opens a session if needed)."""
        _, info = await self._guarded(server, self._session(server))
        found = getattr(info, "serverInfo", None)
        return ServerInfo(
            name=getattr(found, "name", None),
            version=getattr(found, "version", None),
            description=getattr(info, "instructions", None),
        )

    async def list_tools(self, server: McpServer, *, use_cache: bool = True) -> list[McpTool]:
        """The server's tools (every page), from the cache while it is fresh."""
        ttl = self.config.mcp.list_tools_cache_seconds
        cached = self._cache.get(server.key)
        now = time.monotonic()
        if use_cache and cached is not None and cached.expires > now:
            return cached.tools
        tools: list[McpTool] = await self._guarded(server, self._list(server))
        if ttl > 0:
            self._cache[server.key] = _Cached(now + ttl, tools)
        return tools

    async def _session(self, server: McpServer) -> tuple[Any, Any]:
        return await self.pool.session(server)

    async def _list(self, server: McpServer) -> list[McpTool]:
        session, _ = await self.pool.session(server)
        tools: list[McpTool] = []
        cursor = None
        while len(tools) < MAX_TOOLS:
            page = await session.list_tools(cursor)
            for tool in page.tools:
                tools.append(_tool(tool))
            cursor = page.nextCursor
            if not cursor:
                break
        return tools[:MAX_TOOLS]

    async def call_tool(self, server: McpServer, name: str, arguments: dict[str, Any]) -> str:
        """The tool's output as text (cut at ``max_result_bytes``); `McpToolError` if it failed."""
        result = await self._guarded(server, self._call(server, name, arguments))
        text = limited(_result_text(result), self.config.max_result_bytes)
        if getattr(result, "isError", False):
            raise McpToolError(text or f"tool {name!r} failed")
        return text

    async def _call(self, server: McpServer, name: str, arguments: dict[str, Any]) -> Any:
        session, _ = await self.pool.session(server)
        return await session.call_tool(
            name, arguments, read_timeout_seconds=timedelta(seconds=self.timeout)
        )

    async def _guarded(self, server: McpServer, work: Any) -> Any:
        """Run `work` under the deadline; every failure becomes an `McpFailure`."""
        if not self._sdk_loaded:
            # The SDK is imported on first use (a server without MCP tools never pays for it),
            # in a thread and before the deadline starts: an import is not the server's delay.
            await asyncio.to_thread(_import_sdk)
            self._sdk_loaded = True
        try:
            async with asyncio.timeout(self.timeout):
                return await work
        except McpFailure:
            raise
        except TimeoutError:
            self.pool.discard(server)
            raise McpFailure(
                f"the MCP server {server.label!r} did not answer within {self.timeout:g}s"
            ) from None
        except Exception as exc:
            cause = self.pool.discard(server)  # the transport's own error explains more
            raise McpFailure(describe(cause or exc, server)) from None

    async def close(self) -> None:
        """Close every pooled session."""
        await self.pool.close()


def _import_sdk() -> None:
    import mcp.client.sse
    import mcp.client.streamable_http  # noqa: F401


def _tool(tool: Any) -> McpTool:
    annotations = tool.annotations.model_dump(exclude_none=True) if tool.annotations else None
    return McpTool(
        name=str(tool.name),
        description=tool.description,
        input_schema=dict(tool.inputSchema or {"type": "object", "properties": {}}),
        annotations=annotations or None,
    )


def _result_text(result: Any) -> str:
    """The text of a tool result: its text parts, else its structured content as JSON."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or ():
        kind = getattr(block, "type", None)
        if kind == "text":
            parts.append(str(block.text))
        elif kind == "resource":
            resource = block.resource
            parts.append(str(getattr(resource, "text", None) or f"[resource {resource.uri}]"))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {getattr(block, 'mimeType', '')}]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
    structured = getattr(result, "structuredContent", None)
    if not parts and structured is not None:
        parts.append(orjson.dumps(structured).decode())
    return "\n".join(parts)


def limited(text: str, max_bytes: int) -> str:
    """`text` cut to `max_bytes` UTF-8 bytes (on a character boundary), with a note."""
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    kept = raw[:max_bytes].decode(errors="ignore")
    return f"{kept}\n[output cut: {len(raw)} bytes, the limit is {max_bytes}]"


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (anyio task groups wrap errors in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def describe(exc: BaseException, server: McpServer) -> str:
    """One sentence for the client; never the request's headers or credentials."""
    exc = _leaf(exc)
    label = server.label
    host = urlsplit(server.url).hostname or "?"
    if isinstance(exc, OutboundRefused):
        return f"the MCP server {label!r} is not reachable: {exc}"
    if type(exc).__name__ == "SSEError":  # httpx_sse's: not an event stream at all
        return f"the MCP server {label!r} did not answer with an MCP event stream"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the MCP server {label!r} answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return f"the MCP server {label!r} did not answer in time"
    if isinstance(exc, httpx.TransportError | ConnectionError | OSError):
        return f"cannot connect to the MCP server {label!r} at {host}"
    if type(exc).__name__ == "ValidationError":  # pydantic: not JSON-RPC
        return f"the MCP server {label!r} sent a message that is not valid JSON-RPC"
    error = getattr(exc, "error", None)  # mcp.shared.exceptions.McpError
    if error is not None and getattr(error, "message", None):
        return f"the MCP server {label!r} reported an error: {error.message}"
    return f"the MCP server {label!r} gave an answer corral cannot use ({type(exc).__name__})"
