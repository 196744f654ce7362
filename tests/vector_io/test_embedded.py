"""Retrieval offline with the embedded embedding model (inline::sentence-transformers).

No stub here: all-MiniLM-L6-v2 embeds the chunks and the queries, so the right
document must come first by meaning, not by shared words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fixtures.fake_embeddings import RunningEmbedder
from tests.fixtures.server import run_server
from tests.vector_io.conftest import attach, sdk, top_files, upload

from corral.config.loader import load_config
from corral.core.registry import load_provider_registry
from corral.distributions import resolve_config_path

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

DOCS = {
    "pets.txt": "My cat sleeps on the windowsill all afternoon and purrs when I scratch her ears.",
    "finance.txt": "Quarterly revenue grew by twelve percent thanks to strong subscription sales.",
    "baking.txt": "Whisk flour, eggs and sugar into a smooth batter, then bake the sponge for "
    "twenty minutes.",
}


def config(embed_url: str) -> str:
    return f"""version: 2
providers:
  inference:
  - {{provider_id: sentence-transformers, provider_type: inline::sentence-transformers, config: {{}}}}
  - {{provider_id: emb, provider_type: remote::openai-compatible, config: {{base_url: "{embed_url}"}}}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config: {{storage_dir: "${{env.SQLITE_STORE_DIR}}/files", metadata_store: {{backend: sql_main, table_name: openai_files}}}}
  vector_io:
  - {{provider_id: vec, provider_type: inline::sqlite-vec, config: {{db_path: "${{env.SQLITE_STORE_DIR}}/v.db"}}}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: bow-embed, provider_id: emb, model_type: embedding, metadata: {{embedding_dimension: 256}}}}
"""


def test_upload_attach_search_offline_with_minilm(
    embedder: RunningEmbedder, tmp_path: Path
) -> None:
    calls_before = embedder.state.calls
    with run_server(config(embedder.url), tmp_path, env={"HF_HUB_OFFLINE": "1"}, timeout=60) as s:
        client = sdk(s)
        # two embedding models and no vector_stores defaults: the embedded one is the default
        store = client.vector_stores.create(name="offline")
        assert store.metadata["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"  # type: ignore[index]
        assert store.metadata["embedding_dimension"] == "384"  # type: ignore[index]
        for name, text in DOCS.items():
            assert attach(client, store.id, upload(client, name, text)).status == "completed"
        for query, expected in [
            ("Which text is about a pet animal?", "pets.txt"),
            ("How did the company's income change?", "finance.txt"),
            ("instructions for making a dessert", "baking.txt"),
        ]:
            assert (
                top_files(client.vector_stores.search(vector_store_id=store.id, query=query))[0]
                == expected
            ), query
    assert embedder.state.calls == calls_before  # the stub model was never asked


def test_the_starter_distribution_serves_files_and_vector_stores_on_minilm() -> None:
    path = resolve_config_path("starter")
    loaded = load_config(path, load_provider_registry(plugins=False), env={})
    types = {p.entry.provider_type for p in loaded.providers}
    assert {"inline::localfs", "inline::sqlite-vec", "inline::sentence-transformers"} <= types
    defaults = loaded.run.vector_stores
    assert not isinstance(defaults, list)
    assert defaults.default_provider_id == "sqlite-vec"
    assert defaults.default_embedding_model is not None
    assert defaults.default_embedding_model.qualified() == "sentence-transformers/all-MiniLM-L6-v2"
