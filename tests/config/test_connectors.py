"""The top-level ``connectors:`` section and ``storage.stores.connectors``."""

from __future__ import annotations

import pytest

from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, load_config
from corral.core.registry import load_provider_registry

STORAGE = """storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /tmp/corral-test-connectors.db}
    sql_default: {type: sql_sqlite, db_path: /tmp/corral-test-connectors-sql.db}
"""


def load(text: str, **env: str) -> LoadedConfig:
    return load_config("run.yaml", load_provider_registry(plugins=False), env=env, text=text)


def errors(text: str, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(text, **env)
    return str(err.value).splitlines()


def test_connectors_load_as_llama_stack_writes_them() -> None:
    text = f"""version: 2
{STORAGE}  stores:
    connectors: {{backend: kv_default, namespace: connectors}}
connectors:
- connector_type: mcp
  connector_id: docs
  url: https://mcp.example.com/mcp
  server_label: Docs
- connector_id: local
  url: http://127.0.0.1:9000/sse
"""
    run = load(text).run
    docs, local = run.enabled_connectors()
    assert (docs.connector_type, docs.connector_id, docs.url, docs.label) == (
        "mcp",
        "docs",
        "https://mcp.example.com/mcp",
        "Docs",
    )
    assert local.connector_type == "mcp" and local.label == "local"
    assert run.storage.stores.connectors is not None
    assert run.storage.stores.connectors.namespace == "connectors"


def test_a_connector_switched_off_by_its_id_is_not_checked() -> None:
    text = """version: 2
connectors:
- connector_id: ${env.DOCS_MCP_URL:+docs}
  url: ${env.DOCS_MCP_URL}
- connector_id: kept
  url: http://127.0.0.1:9000/mcp
"""
    assert [c.connector_id for c in load(text).run.enabled_connectors()] == ["kept"]
    on = load(text, DOCS_MCP_URL="http://127.0.0.1:9001/mcp").run.enabled_connectors()
    assert [(c.connector_id, c.url) for c in on] == [
        ("docs", "http://127.0.0.1:9001/mcp"),
        ("kept", "http://127.0.0.1:9000/mcp"),
    ]


def test_connector_problems_point_at_their_lines() -> None:
    text = """version: 2
connectors:
- connector_id: docs
  url: https://a.example/mcp
- connector_type: openapi
  connector_id: other
  url: https://b.example/mcp
- connector_id: docs
  url: ftp://c.example/
  server_lable: x
"""
    lines = errors(text)
    joined = "\n".join(lines)
    assert "run.yaml:5 connectors[1].connector_type" in joined
    assert "run.yaml:9 connectors[2].url" in joined
    assert "run.yaml:10 connectors[2].server_lable" in joined
    assert "server_label" in joined  # the "did you mean"


def test_a_connector_id_used_twice_is_refused_on_the_second_line() -> None:
    text = """version: 2
connectors:
- connector_id: docs
  url: https://a.example/mcp
- connector_id: docs
  url: https://b.example/mcp
"""
    (line,) = [x for x in errors(text) if "connectors" in x]
    assert line.startswith("run.yaml:5 connectors[1].connector_id: connector_id 'docs' is used")


def test_the_connectors_store_must_name_a_kv_backend() -> None:
    text = f"""version: 2
{STORAGE}  stores:
    connectors: {{backend: sql_default, namespace: connectors}}
"""
    joined = "\n".join(errors(text))
    assert "storage.stores.connectors needs a KV backend" in joined


LLAMA_STACK_TOOL_RUNTIME = """version: 2
providers:
  tool_runtime:
  - provider_id: brave-search
    provider_type: remote::brave-search
    config:
      api_key: ${env.BRAVE_SEARCH_API_KEY:=}
      max_results: 3
  - provider_id: tavily-search
    provider_type: remote::tavily-search
    config:
      api_key: ${env.TAVILY_SEARCH_API_KEY:=}
      max_results: 3
  - provider_id: file-search
    provider_type: inline::file-search
  - provider_id: model-context-protocol
    provider_type: remote::model-context-protocol
tool_groups:
- {toolgroup_id: builtin::websearch, provider_id: tavily-search}
- {toolgroup_id: builtin::rag, provider_id: file-search}
"""


def test_llama_stack_0_7_tool_runtime_section_loads() -> None:
    loaded = load(LLAMA_STACK_TOOL_RUNTIME)
    started = [p.entry.provider_id for p in loaded.providers]
    assert started == ["brave-search", "tavily-search"]
    joined = "\n".join(loaded.warnings)
    assert "inline::file-search" in joined and "remote::model-context-protocol" in joined
    assert "tool group 'builtin::rag' is not registered" in joined


def test_a_tool_group_naming_no_provider_is_an_error_on_its_line() -> None:
    text = LLAMA_STACK_TOOL_RUNTIME + "- {toolgroup_id: x, provider_id: nope}\n"
    (line,) = [x for x in errors(text) if "tool_groups" in x]
    assert line.startswith("run.yaml:21 tool_groups[2].provider_id: no tool_runtime provider")
