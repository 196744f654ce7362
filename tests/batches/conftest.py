"""A fake OpenAI upstream and corral servers with the Batches API in front of it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server

UPSTREAM_MODELS = ["fake-chat", "slow-0.05", "slow-0.3", "error-500", "error-400"]


def batches_config(upstream: str, *, batches: str = "{}", extra: str = "") -> str:
    models = "\n".join(f"- {{model_id: {m}, provider_id: fake}}" for m in UPSTREAM_MODELS)
    return f"""
version: 2
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0, timeout: 10}}
  files:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql_main, table_name: openai_files}}
  batches:
  - provider_id: reference
    provider_type: inline::reference
    config: {batches}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: fake-embed, provider_id: fake, model_type: embedding, metadata: {{embedding_dimension: 8}}}}
{models}
{extra}
"""


def chat_line(i: int, model: str = "fake/fake-chat", **body: Any) -> dict[str, Any]:
    return {
        "custom_id": f"req-{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": f"line {i}"}], **body},
    }


def jsonl(lines: list[Any]) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else orjson.dumps(line)) + b"\n" for line in lines
    )


def upload(client: openai.OpenAI, data: bytes, purpose: str = "batch") -> str:
    found = client.files.create(file=("input.jsonl", io.BytesIO(data)), purpose=purpose)  # type: ignore[arg-type]
    return found.id


def read_jsonl(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    content = client.files.content(file_id).content
    return [orjson.loads(line) for line in content.splitlines() if line.strip()]


def sdk(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0)


@pytest.fixture(scope="package")
def fake() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="package")
def server(fake: RunningFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder: Path = tmp_path_factory.mktemp("batches")
    config = batches_config(fake.url, batches="{poll_interval_seconds: 0.2}")
    with run_server(config, folder, timeout=60) as running:
        yield running


@pytest.fixture(scope="package")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with sdk(server) as c:
        yield c
