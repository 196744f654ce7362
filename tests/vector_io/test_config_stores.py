"""Vector stores named in the run config, and the ``vector_stores:`` defaults mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fixtures.fake_embeddings import DIMENSION, RunningEmbedder
from tests.fixtures.server import run_server
from tests.vector_io.conftest import attach, sdk, top_files, upload

from corral.config.issues import ConfigError
from corral.config.loader import load_config
from corral.core.registry import load_provider_registry

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def two_providers(embed_url: str, tail: str) -> str:
    return f"""version: 2
providers:
  inference:
  - {{provider_id: emb, provider_type: remote::openai-compatible, config: {{base_url: "{embed_url}"}}}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config: {{storage_dir: "${{env.SQLITE_STORE_DIR}}/files", metadata_store: {{type: sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/files.db"}}}}
  vector_io:
  - {{provider_id: lite, provider_type: inline::sqlite-vec, config: {{db_path: "${{env.SQLITE_STORE_DIR}}/v.db"}}}}
  - provider_id: flat
    provider_type: inline::faiss
    config: {{persistence: {{backend: kv_main, namespace: "vector_io::faiss"}}}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: bow-embed, provider_id: emb, model_type: embedding, metadata: {{embedding_dimension: {DIMENSION}}}}}
- {{model_id: bow-other, provider_id: emb, model_type: embedding}}
{tail}"""


def test_config_stores_are_created_shared_and_kept(
    embedder: RunningEmbedder, tmp_path: Path
) -> None:
    tail = """vector_stores:
- {vector_store_id: handbook, embedding_model: emb/bow-embed, embedding_dimension: 256, provider_id: flat}
registered_resources:
  vector_stores:
  - {vector_store_id: wiki, embedding_model: bow-other, provider_id: lite, vector_store_name: Team wiki}
"""
    config = two_providers(embedder.url, tail)
    with run_server(config, tmp_path) as server:
        client = sdk(server)
        handbook = client.vector_stores.retrieve("handbook")
        assert handbook.metadata["provider_id"] == "flat"  # type: ignore[index]
        wiki = client.vector_stores.retrieve("wiki")
        assert wiki.name == "Team wiki"
        # no embedding_dimension in the model's metadata: probed from the model itself
        assert wiki.metadata["embedding_dimension"] == str(DIMENSION)  # type: ignore[index]
        assert wiki.metadata["embedding_model"] == "emb/bow-other"  # type: ignore[index]
        file_id = upload(client, "holidays.txt", "Employees get twenty holiday days per year.")
        assert attach(client, "handbook", file_id).status == "completed"
    with run_server(config, tmp_path) as again:
        client = sdk(again)
        hits = client.vector_stores.search(vector_store_id="handbook", query="holiday days")
        assert top_files(hits) == ["holidays.txt"]
        assert {"handbook", "wiki"} <= {s.id for s in client.vector_stores.list()}


def test_defaults_choose_provider_and_embedding_model(
    embedder: RunningEmbedder, tmp_path: Path
) -> None:
    tail = """vector_stores:
  default_provider_id: flat
  default_embedding_model: {provider_id: emb, model_id: bow-other}
"""
    with run_server(two_providers(embedder.url, tail), tmp_path) as server:
        store = sdk(server).vector_stores.create(name="defaults")
        assert store.metadata["provider_id"] == "flat"  # type: ignore[index]
        assert store.metadata["embedding_model"] == "emb/bow-other"  # type: ignore[index]


def test_a_store_naming_an_unknown_provider_is_a_config_error(embedder: RunningEmbedder) -> None:
    text = two_providers(
        embedder.url, "vector_stores:\n- {vector_store_id: x, provider_id: nowhere}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(
            "run.yaml",
            load_provider_registry(plugins=False),
            env={"SQLITE_STORE_DIR": "/tmp"},
            text=text,
        )
    assert "vector_stores[0].provider_id: no vector_io provider has id 'nowhere'" in str(err.value)
