"""Connectors from the run config, their routes and ``GET /v1/tools``, over real HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.identity_stubs import run_identity_stubs
from tests.fixtures.mcp_servers import RunningMcp
from tests.fixtures.server import RunningServer, free_port, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def config(mcp: RunningMcp, tmp: Path, extra: str = "") -> str:
    return f"""
version: 2
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "{tmp}/kv.db"}}
  stores:
    connectors: {{backend: kv_main, namespace: connectors}}
tools:
  outbound: {{allow_networks: [127.0.0.0/8]}}
  mcp: {{timeout_seconds: 3}}
connectors:
- connector_id: calc
  url: {mcp.http_url}
  server_label: Calculator
- connector_id: legacy
  url: {mcp.sse_url}
- connector_id: down
  url: http://127.0.0.1:{free_port()}/mcp
{extra}
"""


@pytest.fixture(scope="module")
def server(
    mcp_server: RunningMcp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("connectors")
    with run_server(config(mcp_server, tmp), tmp) as running:
        yield running


def get(server: RunningServer, path: str, **kwargs: object) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", timeout=20, **kwargs)  # type: ignore[arg-type]


def test_connectors_are_listed_as_configured(server: RunningServer, mcp_server: RunningMcp) -> None:
    data = get(server, "/v1beta/connectors").json()["data"]
    assert [c["connector_id"] for c in data] == ["calc", "legacy", "down"]
    assert data[0] == {
        "connector_type": "mcp",
        "connector_id": "calc",
        "url": mcp_server.http_url,
        "server_label": "Calculator",
        "server_name": None,
        "server_description": None,
        "server_version": None,
    }


def test_one_connector_carries_its_server_info(server: RunningServer) -> None:
    for connector_id in ("calc", "legacy"):
        found = get(server, f"/v1beta/connectors/{connector_id}").json()
        assert found["server_name"] == "corral-test-tools"
        assert found["server_description"] == "Tools for corral's tests."
        assert found["server_version"]


def test_connector_tools_and_one_tool(server: RunningServer, mcp_server: RunningMcp) -> None:
    tools = get(server, "/v1beta/connectors/calc/tools").json()["data"]
    assert {t["name"] for t in tools} == {"add", "whoami", "fail", "nap", "big"}
    add = get(server, "/v1beta/connectors/legacy/tools/add").json()
    assert add["toolgroup_id"] == "legacy"
    assert add["description"] == "Add two integers."
    assert set(add["input_schema"]["properties"]) == {"a", "b"}
    assert add["metadata"] == {"endpoint": mcp_server.sse_url}
    missing = get(server, "/v1beta/connectors/calc/tools/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "connector_tool_not_found"


def test_unknown_and_unreachable_connectors(server: RunningServer) -> None:
    unknown = get(server, "/v1beta/connectors/nope")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "connector_not_found"
    down = get(server, "/v1beta/connectors/down/tools")
    assert down.status_code == 502
    assert "cannot connect to the MCP server 'down'" in down.json()["error"]["message"]


def test_v1_tools_lists_every_reachable_connector(server: RunningServer) -> None:
    tools = get(server, "/v1/tools").json()["data"]
    groups = {t["toolgroup_id"] for t in tools}
    assert groups == {"calc", "legacy"}  # `down` is left out (and logged)
    assert len(tools) == 10
    only = get(server, "/v1/tools", params={"toolgroup_id": "calc"}).json()["data"]
    assert {t["toolgroup_id"] for t in only} == {"calc"} and len(only) == 5


def test_the_authorization_reaches_the_server_but_never_the_answer(
    server: RunningServer,
) -> None:
    for kwargs in (
        {"params": {"authorization": "tok-123"}},
        {"headers": {"X-MCP-Authorization": "tok-123"}},
    ):
        response = get(server, "/v1beta/connectors/calc", **kwargs)
        assert response.status_code == 200 and "tok-123" not in response.text
    assert "tok-123" not in server.log()


def test_access_policy_applies_to_connectors(mcp_server: RunningMcp, tmp_path: Path) -> None:
    policy = """server:
  auth:
    provider_config: {{type: custom, endpoint: "{url}/validate"}}
    access_policy:
    - permit: {{principal: alice, actions: [read], resource: "connector::*"}}
    - permit: {{principal: bob, actions: [read], resource: "connector::calc"}}
"""
    with run_identity_stubs() as stubs:
        stubs.custom_users["alice-token"] = {"principal": "alice", "access_attributes": {}}
        stubs.custom_users["bob-token"] = {"principal": "bob", "access_attributes": {}}
        extra = policy.format(url=stubs.url)
        with run_server(config(mcp_server, tmp_path, extra), tmp_path) as secured:

            def ids(token: str) -> list[str]:
                auth = {"Authorization": f"Bearer {token}"}
                found = get(secured, "/v1beta/connectors", headers=auth).json()["data"]
                return [c["connector_id"] for c in found]

            assert ids("alice-token") == ["calc", "legacy", "down"]
            assert ids("bob-token") == ["calc"]
            bob = {"Authorization": "Bearer bob-token"}
            assert get(secured, "/v1beta/connectors/legacy/tools", headers=bob).status_code == 404
            tools = get(secured, "/v1/tools", headers=bob).json()["data"]
            assert {t["toolgroup_id"] for t in tools} == {"calc"}
            assert get(secured, "/v1beta/connectors").status_code == 401


def test_the_store_mirrors_the_config_and_drops_removed_connectors(
    mcp_server: RunningMcp, tmp_path: Path
) -> None:
    with run_server(config(mcp_server, tmp_path), tmp_path):
        pass
    assert _stored_ids(tmp_path) == ["calc", "down", "legacy"]
    renamed = config(mcp_server, tmp_path).replace("connector_id: legacy\n", "connector_id: old2\n")
    with run_server(renamed, tmp_path):
        pass
    assert _stored_ids(tmp_path) == ["calc", "down", "old2"]


def _stored_ids(tmp: Path) -> list[str]:
    """Connector ids in the KV file, read with sqlite3 (whatever the table layout)."""
    with sqlite3.connect(tmp / "kv.db") as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        keys: list[str] = []
        for table in tables:
            columns = [r[1] for r in db.execute(f"pragma table_info({table})")]
            if "key" in columns:
                keys += [r[0] for r in db.execute(f"select key from {table}")]
    return sorted(k.split("connectors:v1:", 1)[1] for k in keys if "connectors:v1:" in k)


def test_llama_stack_client_lists_tools(server: RunningServer) -> None:
    from llama_stack_client import LlamaStackClient

    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    tools = client.tools.list(toolgroup_id="calc")
    assert len(tools) == 5
    assert {t.toolgroup_id for t in tools} == {"calc"}
