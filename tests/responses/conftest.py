"""A scripted chat upstream and a corral server with the Responses API in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fixtures.scripted_llm import RunningScript, run_scripted_llm
from tests.fixtures.server import RunningServer, run_server

SCRIPT_MODELS = [
    "echo",
    "weather",
    "searcher",
    "looper",
    "jsoner",
    "breaker",
    "slow-words",
    "truncated",
    "caller",
]


def responses_config(upstream: str, *, auth: str = "", extra: str = "") -> str:
    models = "\n".join(f"- {{model_id: {m}, provider_id: script}}" for m in SCRIPT_MODELS)
    return f"""
version: 2
providers:
  inference:
  - provider_id: script
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0, timeout: 10}}
  - provider_id: sentence-transformers
    provider_type: inline::sentence-transformers
    config: {{}}
  safety:
  - provider_id: rules
    provider_type: inline::rules
    config: {{}}
  files:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql_main, table_name: openai_files}}
  vector_io:
  - provider_id: sqlite-vec
    provider_type: inline::sqlite-vec
    config:
      db_path: "${{env.SQLITE_STORE_DIR}}/vec.db"
      persistence: {{backend: kv_main, namespace: vec}}
  responses:
  - provider_id: builtin
    provider_type: inline::builtin
    config: {{}}
shields:
- {{shield_id: rules, provider_id: rules}}
vector_stores:
  default_provider_id: sqlite-vec
  default_embedding_model: {{provider_id: sentence-transformers, model_id: all-MiniLM-L6-v2}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store}}
    responses: {{backend: sql_main, table_name: responses}}
    conversations: {{backend: sql_main, table_name: openai_conversations}}
    prompts: {{backend: kv_main, namespace: prompts}}
models:
{models}
{auth}
{extra}
"""


@pytest.fixture(scope="package")
def script() -> Iterator[RunningScript]:
    with run_scripted_llm() as running:
        yield running


@pytest.fixture(scope="package")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("responses")


@pytest.fixture(scope="package")
def server(script: RunningScript, server_dir: Path) -> Iterator[RunningServer]:
    with run_server(responses_config(script.url), server_dir, timeout=60) as running:
        yield running


@pytest.fixture(scope="package")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0) as c:
        yield c
