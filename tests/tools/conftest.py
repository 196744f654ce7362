"""A corral server with the Responses API on the scripted upstream, and real MCP servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.mcp_servers import RunningMcp, run_mcp_server
from tests.fixtures.scripted_llm import RunningScript, run_scripted_llm
from tests.fixtures.server import RunningServer, run_server


def tools_config(
    upstream: str, tmp: Path, extra: str = "", timeout: float = 8, tool_runtime: str = ""
) -> str:
    return f"""
version: 2
providers:
{tool_runtime}
  inference:
  - provider_id: script
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0, timeout: 10}}
  responses:
  - provider_id: builtin
    provider_type: inline::builtin
    config: {{}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "{tmp}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "{tmp}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    responses: {{backend: sql_main, table_name: responses}}
models:
- {{model_id: caller, provider_id: script}}
- {{model_id: echo, provider_id: script}}
- {{model_id: web-citer, provider_id: script}}
tools:
  outbound: {{allow_networks: [127.0.0.0/8]}}
  mcp: {{timeout_seconds: {timeout}}}
{extra}
"""


@pytest.fixture(scope="package")
def mcp_server() -> Iterator[RunningMcp]:
    with run_mcp_server() as running:
        yield running


@pytest.fixture(scope="package")
def script() -> Iterator[RunningScript]:
    with run_scripted_llm() as running:
        yield running


@pytest.fixture(scope="package")
def agent_server(
    script: RunningScript, mcp_server: RunningMcp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("tools")
    connectors = f"""connectors:
- {{connector_id: calc, url: "{mcp_server.http_url}", server_label: Calculator}}
- {{connector_id: legacy, url: "{mcp_server.sse_url}"}}
"""
    with run_server(tools_config(script.url, tmp, connectors), tmp, timeout=60) as running:
        yield running
