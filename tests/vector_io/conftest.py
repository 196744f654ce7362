"""Servers with files + vector_io for each provider, in front of a bag-of-words embedding stub."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from tests.fixtures.fake_embeddings import DIMENSION, RunningEmbedder, run_fake_embeddings
from tests.fixtures.server import RunningServer, run_server
from tests.fixtures.services import (
    PG_HOST,
    PG_PORT,
    PostgresDB,
    postgres_db,
    run_blocking,
    unavailable,
)

__all__ = ["postgres_db"]

PROVIDERS = ["sqlite-vec", "faiss", "pgvector"]
MAX_FILE_BYTES = 200_000


def vector_io_block(provider: str, pg: PostgresDB | None) -> str:
    """The providers.vector_io entry of `provider` (each persists its records differently)."""
    if provider == "sqlite-vec":
        # records through a KV reference, vectors in their own file
        return """  - provider_id: vec
    provider_type: inline::sqlite-vec
    config: {db_path: "${env.SQLITE_STORE_DIR}/sqlite_vec.db", persistence: {backend: kv_main, namespace: "vector_io::sqlite_vec"}}"""
    if provider == "faiss":
        # the older inline form the reference example writes
        return """  - provider_id: vec
    provider_type: inline::faiss
    config:
      kvstore: {type: sqlite, namespace: null, db_path: "${env.SQLITE_STORE_DIR}/faiss_store.db"}"""
    assert pg is not None
    # records in a table of the same database (no persistence configured)
    return f"""  - provider_id: vec
    provider_type: remote::pgvector
    config: {{host: {pg.host}, port: {pg.port}, db: {pg.db}, user: {pg.user}}}"""


def stack_config(
    embed_url: str,
    provider: str,
    pg: PostgresDB | None = None,
    *,
    server: str = "",
    extra_models: str = "",
) -> str:
    """A run config with an embedding model, localfs files and one vector_io provider."""
    return f"""version: 2
providers:
  inference:
  - {{provider_id: emb, provider_type: remote::openai-compatible, config: {{base_url: "{embed_url}", max_retries: 0}}}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql_main, table_name: openai_files}}
      max_file_size_bytes: {MAX_FILE_BYTES}
  vector_io:
{vector_io_block(provider, pg)}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: bow-embed, provider_id: emb, model_type: embedding, metadata: {{embedding_dimension: {DIMENSION}}}}}
{extra_models}
{server}"""


@pytest.fixture(scope="session")
def embedder() -> Iterator[RunningEmbedder]:
    with run_fake_embeddings() as running:
        yield running


def pg_for(provider: str, request: pytest.FixtureRequest) -> PostgresDB | None:
    """The test run's PostgreSQL database when the provider needs it (skips if unreachable)."""
    if provider != "pgvector":
        return None
    db: PostgresDB = request.getfixturevalue("postgres_db")
    found: list[bool] = []

    async def check() -> None:
        import asyncpg

        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database=db.db)
        try:
            found.append(
                bool(
                    await conn.fetchval(
                        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
                    )
                )
            )
        finally:
            await conn.close()

    run_blocking(check)
    if not found[0]:
        unavailable(
            "the pgvector extension is not installed (run scripts/install-pgvector as root)"
        )
    return db


@pytest.fixture(scope="module", params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def stack(
    provider: str,
    embedder: RunningEmbedder,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    """One server per provider, shared by a module's tests."""
    pg = pg_for(provider, request)
    tmp = tmp_path_factory.mktemp(f"vio-{provider}")
    with run_server(stack_config(embedder.url, provider, pg), tmp) as running:
        yield running


def sdk(server: RunningServer, token: str | None = None) -> openai.OpenAI:
    """An OpenAI client for `server`."""
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=token or "none", max_retries=0)


@pytest.fixture
def client(stack: RunningServer) -> openai.OpenAI:
    return sdk(stack)


def upload(client: openai.OpenAI, name: str, text: str | bytes) -> str:
    """Upload a file and return its id."""
    data = text.encode() if isinstance(text, str) else text
    return client.files.create(file=(name, data), purpose="assistants").id


def attach(client: openai.OpenAI, store_id: str, file_id: str, **extra: Any) -> Any:
    """Attach a file and wait until it is no longer in progress."""
    return client.vector_stores.files.create_and_poll(
        vector_store_id=store_id, file_id=file_id, poll_interval_ms=50, **extra
    )


def wait_batch(client: openai.OpenAI, store_id: str, batch_id: str, timeout: float = 20) -> Any:
    """Poll a file batch until it is no longer in progress."""
    deadline = time.monotonic() + timeout
    while True:
        batch = client.vector_stores.file_batches.retrieve(batch_id, vector_store_id=store_id)
        if batch.status != "in_progress" or time.monotonic() > deadline:
            return batch
        time.sleep(0.05)


def top_files(page: Any) -> list[str]:
    """The filenames of a search page, best first."""
    return [r.filename for r in page]


def server_dir(tmp: Path) -> Path:
    """A fresh folder for a server's stores."""
    tmp.mkdir(parents=True, exist_ok=True)
    return tmp
