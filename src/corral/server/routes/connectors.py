"""``/v1beta/connectors`` and ``GET /v1/tools``: the configured MCP servers and their tools.

Always served (connectors need no provider). As in Llama Stack, a token for
the MCP server may be given as the ``authorization`` query parameter; corral
also reads it from the ``X-MCP-Authorization`` header, which stays out of
URLs and proxy logs. Either way it is only forwarded to the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.connectors.models import Connector, ConnectorList, ToolDef, ToolDefList
from corral.core.connectors import ConnectorsService
from corral.core.routers.connectors import CONNECTORS
from corral.core.routers.tool_runtime import TOOL_RUNTIME
from corral.core.stack import Stack
from corral.errors import NotFound
from corral.server.context import request_context
from corral.server.http import ApiRoute, json_response

ONE = "/v1beta/connectors/{connector_id}"

Handler = Callable[[ConnectorsService, Request], Awaitable[Any]]


def _authorization(request: Request) -> str | None:
    return request.headers.get("x-mcp-authorization") or request.query_params.get("authorization")


async def _list(api: ConnectorsService, r: Request) -> Any:
    return api.list_connectors(request_context(r))


async def _get(api: ConnectorsService, r: Request) -> Any:
    return await api.get_connector(
        r.path_params["connector_id"], request_context(r), _authorization(r)
    )


async def _tools(api: ConnectorsService, r: Request) -> Any:
    tools = await api.list_connector_tools(
        r.path_params["connector_id"], request_context(r), _authorization(r)
    )
    return {"data": tools}


async def _tool(api: ConnectorsService, r: Request) -> Any:
    return await api.get_connector_tool(
        r.path_params["connector_id"],
        r.path_params["tool_name"],
        request_context(r),
        _authorization(r),
    )


def _all_tools(stack: Stack) -> Handler:
    """``GET /v1/tools``: the configured tool groups' tools, then every connector's."""

    async def handler(api: ConnectorsService, r: Request) -> Any:
        runtime = stack.routers.get(TOOL_RUNTIME)  # built when the stack starts, not before
        ctx = request_context(r)
        group = r.query_params.get("toolgroup_id")
        if group is not None:
            if runtime is not None and runtime.has_group(group):
                return {"data": runtime.list_tools(ctx, group)}
            if not api.has(group):
                raise NotFound(f"Tool group '{group}' not found.", code="toolgroup_not_found")
            return {"data": await api.list_connector_tools(group, ctx, _authorization(r))}
        groups = runtime.list_tools(ctx) if runtime is not None else []
        return {"data": groups + await api.all_tools(ctx)}

    return handler


def routes(stack: Stack) -> list[ApiRoute]:
    """The connectors routes, and ``GET /v1/tools``."""
    table: list[tuple[str, Handler, str, Any]] = [
        ("/v1beta/connectors", _list, "List connectors", ConnectorList),
        (ONE, _get, "Get a connector (with its server's name and version)", Connector),
        (ONE + "/tools", _tools, "List a connector's tools", ToolDefList),
        (ONE + "/tools/{tool_name}", _tool, "Get one tool of a connector", ToolDef),
        (
            "/v1/tools",
            _all_tools(stack),
            "List tools (optionally of one tool group or connector)",
            ToolDefList,
        ),
    ]

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            return json_response(await handler(stack.routers.require(CONNECTORS), request))

        return run

    return [
        ApiRoute("GET", path, endpoint(handler), summary, "connectors", None, model)
        for path, handler, summary, model in table
    ]
