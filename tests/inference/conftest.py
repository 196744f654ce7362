"""A fake OpenAI upstream and a corral server in front of it, shared by the module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server

FAULT_MODELS = [
    "error-500",
    "error-429",
    "error-401",
    "error-400",
    "bad-json",
    "reset-stream",
    "slow-stream",
    "tool-x",
    "slow-1",
]


def inference_config(upstream: str) -> str:
    models = "\n".join(f"- {{model_id: {m}, provider_id: fake}}" for m in FAULT_MODELS)
    return f"""
version: 2
apis: [inference]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", api_key: sk-upstream-secret-123, max_retries: 0, timeout: 5}}
  - provider_id: other
    provider_type: remote::vllm
    config: {{url: "{upstream.removesuffix("/v1")}"}}
  - provider_id: tight
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", timeout: 0.3, max_retries: 0}}
  - provider_id: retrying
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 2}}
  - provider_id: discover
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", refresh_models: true}}
  - provider_id: down
    provider_type: remote::openai-compatible
    config: {{base_url: "http://127.0.0.1:9/v1", max_retries: 1}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store, max_write_queue_size: 100, num_writers: 2}}
models:
- {{model_id: fake-chat, provider_id: fake}}
- {{model_id: fake-embed, provider_id: fake, model_type: embedding, metadata: {{embedding_dimension: 8}}}}
- {{model_id: fake-chat, provider_id: other}}
- {{model_id: slow-1, provider_id: tight}}
- {{model_id: anything, provider_id: down}}
- {{model_id: flaky, provider_id: retrying}}
- {{model_id: flaky, provider_id: fake}}
{models}
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inference")


@pytest.fixture(scope="module")
def config_path(fake: RunningFake, server_dir: Path) -> Path:
    path = server_dir / "run.yaml"
    path.write_text(inference_config(fake.url))
    return path


@pytest.fixture(scope="module")
def server(config_path: Path, server_dir: Path) -> Iterator[RunningServer]:
    with run_server(config_path, server_dir) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0)
