"""The connectors registry: the run config's MCP servers, and the MCP client they share.

Connectors come from the ``connectors:`` section only (as in Llama Stack): at
every start the registry is rebuilt from it, and written to
``storage.stores.connectors`` when one is configured (a connector removed from
the config is removed from the store). Reads go through access_policy with the
resource name ``connector::<connector_id>``; a connector the caller may not
read is a 404, as if it did not exist.

The service also owns the one `McpClient` of the server (its session pool and
tool-list cache, and the outbound policy), which the responses loop uses for
``mcp`` tools, whether they name a connector or a ``server_url``, and for files
a request names by URL (`fetch_url`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.storage import KVStore
from corral.auth.access_policy import AccessPolicy
from corral.config.connectors import ConnectorEntry
from corral.core.tools.mcp import McpClient, McpFailure, McpServer, McpTool
from corral.core.tools.outbound import fetch
from corral.errors import InvalidParameter, NotFound, UpstreamError

log = logging.getLogger("corral.connectors")

KEY_PREFIX = "connectors:v1:"


def mcp_headers(
    headers: dict[str, str] | None, authorization: str | None, param: str = "headers"
) -> tuple[tuple[str, str], ...]:
    """Request headers for an MCP server; the token goes in `authorization`, never `headers`.

    As in Llama Stack, an ``Authorization`` key inside `headers` is refused (it
    would be echoed and stored with them); `authorization` is the bare token
    (a leading ``Bearer`` is accepted too).
    """
    out = dict(headers or {})
    if any(k.lower() == "authorization" for k in out):
        raise InvalidParameter(
            param, "an Authorization header cannot be passed in headers; use authorization"
        )
    if authorization:
        token = authorization.removeprefix("Bearer ").strip()
        out["Authorization"] = f"Bearer {token}"
    return tuple(out.items())


def tool_def(tool: McpTool, toolgroup_id: str | None, endpoint: str) -> dict[str, Any]:
    """A tool as Llama Stack's ``ToolDef``."""
    return {
        "toolgroup_id": toolgroup_id,
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": None,
        "metadata": {"endpoint": endpoint},
    }


class ConnectorsService:
    """The configured connectors, read with the caller's identity."""

    def __init__(
        self,
        connectors: list[ConnectorEntry],
        kv: KVStore | None,
        access: AccessPolicy,
        client: McpClient,
    ) -> None:
        self._by_id = {c.connector_id: c for c in connectors}
        self._kv = kv
        self._access = access
        self.client = client

    async def start(self) -> None:
        """Mirror the config's connectors into the store, removing those no longer there."""
        if self._kv is None:
            return
        for key, _ in await self._kv.items_with_prefix(KEY_PREFIX):
            if key[len(KEY_PREFIX) :] not in self._by_id:
                log.info("removing connector %s (no longer in the config)", key[len(KEY_PREFIX) :])
                await self._kv.delete(key)
        for entry in self._by_id.values():
            record = orjson.dumps(_public(entry)).decode()
            await self._kv.set(KEY_PREFIX + entry.connector_id, record)

    def _readable(self, connector_id: str, ctx: RequestContext) -> ConnectorEntry:
        found = self._by_id.get(connector_id)
        if found is None or not self._access.is_allowed(
            ctx.user, "read", f"connector::{connector_id}", None
        ):
            raise NotFound(f"Connector '{connector_id}' not found.", code="connector_not_found")
        return found

    def list_connectors(self, ctx: RequestContext) -> dict[str, Any]:
        """``{"data": [Connector]}`` of the connectors the caller may read."""
        data = [
            _public(c)
            for c in self._by_id.values()
            if self._access.is_allowed(ctx.user, "read", f"connector::{c.connector_id}", None)
        ]
        return {"data": data}

    def server(
        self,
        connector_id: str,
        ctx: RequestContext,
        headers: tuple[tuple[str, str], ...] = (),
        label: str | None = None,
    ) -> McpServer:
        """The MCP server behind a connector (404 when unknown or not readable)."""
        entry = self._readable(connector_id, ctx)
        return McpServer(entry.url, label or entry.label, headers)

    async def get_connector(
        self, connector_id: str, ctx: RequestContext, authorization: str | None
    ) -> dict[str, Any]:
        """The connector with what its server says about itself."""
        entry = self._readable(connector_id, ctx)
        server = self.server(connector_id, ctx, mcp_headers(None, authorization))
        try:
            info = await self.client.server_info(server)
        except McpFailure as exc:
            raise UpstreamError(str(exc), code="mcp_server_error") from None
        return {
            **_public(entry),
            "server_name": info.name,
            "server_description": info.description,
            "server_version": info.version,
        }

    async def list_connector_tools(
        self, connector_id: str, ctx: RequestContext, authorization: str | None
    ) -> list[dict[str, Any]]:
        """The connector's tools as ``ToolDef``s."""
        server = self.server(connector_id, ctx, mcp_headers(None, authorization))
        try:
            tools = await self.client.list_tools(server)
        except McpFailure as exc:
            raise UpstreamError(str(exc), code="mcp_server_error") from None
        return [tool_def(t, connector_id, server.url) for t in tools]

    async def get_connector_tool(
        self, connector_id: str, tool_name: str, ctx: RequestContext, authorization: str | None
    ) -> dict[str, Any]:
        """One tool of the connector (404 when it has no such tool)."""
        for tool in await self.list_connector_tools(connector_id, ctx, authorization):
            if tool["name"] == tool_name:
                return tool
        raise NotFound(
            f"Tool '{tool_name}' not found in connector '{connector_id}'.",
            code="connector_tool_not_found",
        )

    async def all_tools(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """The tools of every readable connector, listed concurrently.

        One that cannot be reached is left out (and logged); listing them at once
        means dead servers cost one deadline together, not one each.
        """
        readable = [
            entry.connector_id
            for entry in self._by_id.values()
            if self._access.is_allowed(ctx.user, "read", f"connector::{entry.connector_id}", None)
        ]
        found = await asyncio.gather(
            *(self.list_connector_tools(c, ctx, None) for c in readable), return_exceptions=True
        )
        out: list[dict[str, Any]] = []
        for tools in found:
            if isinstance(tools, UpstreamError):
                log.warning("GET /v1/tools: %s", tools.message)
            elif isinstance(tools, BaseException):
                raise tools
            else:
                out += tools
        return out

    async def fetch_url(self, url: str) -> tuple[bytes, str]:
        """A file a request named by URL, through the outbound policy and its limits."""
        tools = self.client.config
        return await fetch(
            self.client.policy,
            url,
            max_bytes=tools.max_fetch_bytes,
            timeout=tools.fetch_timeout_seconds,
        )

    def has(self, connector_id: str) -> bool:
        """True when the config names this connector."""
        return connector_id in self._by_id

    async def shutdown(self) -> None:
        """Close the MCP sessions."""
        await self.client.close()


def _public(entry: ConnectorEntry) -> dict[str, Any]:
    return {
        "connector_type": entry.connector_type,
        "connector_id": entry.connector_id,
        "url": entry.url,
        "server_label": entry.server_label,
        "server_name": None,
        "server_description": None,
        "server_version": None,
    }
