"""`McpClient` against real FastMCP servers on loopback (streamable HTTP and SSE)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from corral.config.tools import ToolsConfig
from corral.core.tools.mcp import McpClient, McpFailure, McpServer, McpToolError
from tests.fixtures.mcp_servers import RunningMcp, run_mcp_server
from tests.fixtures.server import free_port

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

LOOPBACK = {"outbound": {"allow_networks": ["127.0.0.0/8"]}}


@pytest.fixture(scope="module")
def mcp_server() -> Iterator[RunningMcp]:
    with run_mcp_server() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[McpClient]:
    c = McpClient(ToolsConfig.model_validate({**LOOPBACK, "mcp": {"timeout_seconds": 3}}))
    yield c
    await c.close()


@pytest.fixture(params=["http", "sse"])
def server(request: pytest.FixtureRequest, mcp_server: RunningMcp) -> McpServer:
    url = mcp_server.http_url if request.param == "http" else mcp_server.sse_url
    return McpServer(url, "test")


async def test_lists_and_calls_tools(client: McpClient, server: McpServer) -> None:
    tools = {t.name: t for t in await client.list_tools(server)}
    assert set(tools) == {"add", "whoami", "fail", "nap", "big"}
    assert tools["add"].description == "Add two integers."
    assert tools["add"].input_schema["properties"].keys() == {"a", "b"}
    assert await client.call_tool(server, "add", {"a": 2, "b": 3}) == "5"
    info = await client.server_info(server)
    assert info.name == "corral-test-tools"
    assert info.description == "Tools for corral's tests."


async def test_the_authorization_header_reaches_the_server(
    client: McpClient, mcp_server: RunningMcp
) -> None:
    server = McpServer(mcp_server.http_url, "t", (("Authorization", "Bearer s3cret"),))
    digest = hashlib.sha256(b"Bearer s3cret").hexdigest()
    assert await client.call_tool(server, "whoami", {}) == f"sha256:{digest}"
    assert "s3cret" not in server.key


async def test_a_failing_tool_is_a_tool_error(client: McpClient, server: McpServer) -> None:
    with pytest.raises(McpToolError, match="broke on purpose"):
        await client.call_tool(server, "fail", {})
    assert await client.call_tool(server, "add", {"a": 1, "b": 1}) == "2"  # session still fine


async def test_a_slow_tool_times_out_without_hanging(client: McpClient, server: McpServer) -> None:
    start = time.monotonic()
    with pytest.raises(McpFailure, match="did not answer"):
        await client.call_tool(server, "nap", {"seconds": 30})
    assert time.monotonic() - start < 6
    assert await client.call_tool(server, "nap", {"seconds": 0}) == "rested"


async def test_large_results_are_cut(mcp_server: RunningMcp) -> None:
    c = McpClient(ToolsConfig.model_validate({**LOOPBACK, "max_result_bytes": 2048}))
    try:
        text = await c.call_tool(McpServer(mcp_server.http_url, "t"), "big", {"n": 100000})
    finally:
        await c.close()
    assert text.startswith("x" * 2048) and "[output cut: 100000 bytes, the limit is 2048]" in text


async def test_a_server_that_is_down_is_a_failure(client: McpClient) -> None:
    for path in ("/mcp", "/sse"):
        down = McpServer(f"http://127.0.0.1:{free_port()}{path}", "down")
        with pytest.raises(McpFailure, match="cannot connect to the MCP server 'down'"):
            await client.list_tools(down)


async def test_the_outbound_policy_applies(mcp_server: RunningMcp) -> None:
    c = McpClient(ToolsConfig())
    try:
        with pytest.raises(McpFailure, match="loopback"):
            await c.list_tools(McpServer(mcp_server.http_url, "t"))
    finally:
        await c.close()


async def test_tool_lists_are_cached_per_server(client: McpClient, mcp_server: RunningMcp) -> None:
    server = McpServer(mcp_server.http_url, "t")
    first = await client.list_tools(server)
    assert await client.list_tools(server) is first
    assert await client.list_tools(server, use_cache=False) is not first
    other = McpServer(mcp_server.http_url, "t", (("Authorization", "Bearer x"),))
    assert await client.list_tools(other) is not first


@pytest.fixture(scope="module")
def garbage() -> Iterator[int]:
    from aiohttp import web

    from tests.fixtures.aiohttp_thread import serve_in_thread

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>not mcp</html>", content_type="text/html")

    async def bad_json(request: web.Request) -> web.Response:
        return web.Response(text='{"jsonrpc": "2.0", "id": ', content_type="application/json")

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_route("*", "/html/mcp", html)
    app.router.add_route("*", "/json/mcp", bad_json)
    app.router.add_route("*", "/status/mcp", status)
    app.router.add_route("*", "/html/sse", html)
    with serve_in_thread(app) as port:
        yield port


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html/mcp", "cannot use"),
        ("/json/mcp", "not valid JSON-RPC"),
        ("/status/mcp", "answered HTTP 500"),
        ("/html/sse", "did not answer with an MCP event stream"),
    ],
)
async def test_garbage_answers_are_failures_at_once(
    client: McpClient, garbage: int, path: str, message: str
) -> None:
    start = time.monotonic()
    with pytest.raises(McpFailure, match=message):
        await client.list_tools(McpServer(f"http://127.0.0.1:{garbage}{path}", "junk"))
    assert time.monotonic() - start < 2  # not the 3 s deadline: the transport's error ends it


async def test_the_pool_keeps_at_most_max_sessions(mcp_server: RunningMcp) -> None:
    c = McpClient(ToolsConfig.model_validate({**LOOPBACK, "mcp": {"max_sessions": 1}}))
    try:
        first = McpServer(mcp_server.http_url, "a")
        second = McpServer(mcp_server.sse_url, "b")
        assert await c.call_tool(first, "add", {"a": 1, "b": 1}) == "2"
        assert await c.call_tool(first, "add", {"a": 1, "b": 2}) == "3"
        assert len(c.pool) == 1  # reused
        assert await c.call_tool(second, "add", {"a": 2, "b": 2}) == "4"
        assert len(c.pool) == 1  # the least recently used one was closed
        assert await c.call_tool(first, "add", {"a": 3, "b": 3}) == "6"  # reopened on demand
    finally:
        await c.close()
