"""Older config forms are recognised, explained, and migrated to files that validate."""

from __future__ import annotations

import pytest
import yaml

from corral.config.issues import ConfigError
from corral.config.loader import load_config
from corral.config.migrate import migrate
from corral.core.registry import load_provider_registry

OLD_STORES = """version: 2
conda_env: ollama
apis: [inference, telemetry]
providers:
  inference:
  - provider_id: ollama
    provider_type: remote::ollama
    config: {url: "${env.OLLAMA_URL:http://localhost:11434}"}
  telemetry:
  - {provider_id: meta-reference, provider_type: inline::meta-reference, config: {}}
metadata_store:
  namespace: null
  type: sqlite
  db_path: ${env.SQLITE_STORE_DIR:~/.llama/distributions/ollama}/registry.db
inference_store:
  type: postgres
  host: ${env.POSTGRES_HOST:localhost}
  db: llama
  user: llama
  password: ${env.POSTGRES_PASSWORD:secret}
conversations_store:
  type: postgres
  host: ${env.POSTGRES_HOST:localhost}
  db: llama
  user: llama
  password: ${env.POSTGRES_PASSWORD:secret}
models:
- {model_id: "${env.INFERENCE_MODEL:llama3.2}", provider_id: ollama, provider_model_id: null}
"""

OLD_AUTH = """version: 2
server:
  auth:
    provider_type: custom
    config: {endpoint: "https://auth.example.com/validate"}
"""

OLD_PROVIDER_STORES = """version: 2
providers:
  inference:
  - {provider_id: up, provider_type: remote::openai-compatible, config: {base_url: "http://127.0.0.1:9/v1"}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config:
      storage_dir: /tmp/files
      metadata_store: {type: sqlite, db_path: /tmp/files_metadata.db}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      kvstore: {type: redis, host: localhost, port: 6379, namespace: null}
"""

OLD_QUOTA = """version: 2
server:
  quota:
    type: sqlite
    config: {db_path: ./quotas.db}
    limit: {max_requests: 1000, period: day}
"""


def load(text: str) -> object:
    return load_config("old.yaml", load_provider_registry(plugins=False), env={}, text=text)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            OLD_STORES,
            [
                "old.yaml:2 conda_env",
                "old.yaml:11 metadata_store",
                "old.yaml:15 inference_store",
                "old.yaml:21 conversations_store",
                "storage.backends",
            ],
        ),
        (
            OLD_AUTH,
            [
                "old.yaml:3 server.auth",
                "provider_config: {type: custom",
                "refused rather than ignored",
            ],
        ),
        (OLD_QUOTA, ["old.yaml:3 server.quota", "anonymous_max_requests"]),
        (
            OLD_PROVIDER_STORES,
            [
                "old.yaml:15 providers.vector_io[0].config.kvstore",
                "type: redis",
                "persistence: {backend:",
            ],
        ),
        (
            "version: 2\nstorage:\n  type: sqlite\n  db_path: /tmp/r.db\n",
            ["storage", "storage.backends"],
        ),
    ],
)
def test_older_forms_are_explained(text: str, needles: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load(text)
    message = str(err.value)
    for needle in needles:
        assert needle in message
    assert "corral config migrate" in message


def test_stores_migrate_to_shared_backends_and_validate() -> None:
    new, changes = migrate(yaml.safe_load(OLD_STORES))
    assert "conda_env" not in new and "telemetry" not in new["apis"]
    backends = new["storage"]["backends"]
    assert backends["kv_default"]["type"] == "kv_sqlite"
    assert list(backends) == [
        "kv_default",
        "sql_default",
    ]  # the two identical postgres blocks share one
    assert new["storage"]["stores"]["conversations"] == {
        "backend": "sql_default",
        "table_name": "openai_conversations",
    }
    assert (
        new["providers"]["inference"][0]["config"]["url"]
        == "${env.OLLAMA_URL:=http://localhost:11434}"
    )
    assert len(changes) >= 4
    loaded = load(yaml.safe_dump(new))
    assert loaded.run.storage.stores.inference.table_name == "inference_store"  # type: ignore[attr-defined]


def test_auth_and_quota_migrate_to_the_current_form() -> None:
    auth, _ = migrate(yaml.safe_load(OLD_AUTH))
    assert auth["server"]["auth"] == {
        "provider_config": {"type": "custom", "endpoint": "https://auth.example.com/validate"}
    }
    quota, _ = migrate(yaml.safe_load(OLD_QUOTA))
    assert quota["server"]["quota"] == {
        "kvstore": {"type": "sqlite", "db_path": "./quotas.db"},
        "anonymous_max_requests": 1000,
        "authenticated_max_requests": 1000,
        "period": "day",
    }


def test_inline_provider_stores_migrate_to_references_and_validate() -> None:
    new, changes = migrate(yaml.safe_load(OLD_PROVIDER_STORES))
    faiss = new["providers"]["vector_io"][0]["config"]
    assert faiss == {"persistence": {"backend": "kv_default", "namespace": "vector_io::faiss"}}
    assert new["storage"]["backends"]["kv_default"] == {
        "type": "kv_redis",
        "host": "localhost",
        "port": 6379,
    }
    files = new["providers"]["files"][0]["config"]
    assert files["metadata_store"] == {"backend": "sql_default", "table_name": "openai_files"}
    assert new["storage"]["backends"]["sql_default"]["db_path"] == "/tmp/files_metadata.db"
    assert any("providers.vector_io[0].config.kvstore" in c for c in changes)
    loaded = load(yaml.safe_dump(new))
    assert {p.entry.provider_type for p in loaded.providers} == {  # type: ignore[attr-defined]
        "remote::openai-compatible",
        "inline::localfs",
        "inline::faiss",
    }


def test_the_inline_sqlite_store_form_is_accepted_as_written() -> None:
    text = OLD_PROVIDER_STORES.replace(
        "{type: redis, host: localhost, port: 6379, namespace: null}",
        "{type: sqlite, namespace: null, db_path: /tmp/faiss_store.db}",
    )
    loaded = load(text)
    faiss = loaded.providers[2].config  # type: ignore[attr-defined]
    assert faiss.kvstore.db_path == "/tmp/faiss_store.db"


OLD_AGENTS = """
version: 2
apis: [agents, inference]
providers:
  inference:
  - {provider_id: o, provider_type: remote::ollama, config: {url: "http://localhost:11434"}}
  agents:
  - provider_id: meta-reference
    provider_type: inline::meta-reference
    config:
      persistence:
        agent_state: {backend: kv_default, namespace: agents}
        responses: {backend: sql_default, table_name: responses}
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /tmp/kv.db}
    sql_default: {type: sql_sqlite, db_path: /tmp/sql.db}
"""


def test_agents_migrate_to_responses_and_validate_without_warnings() -> None:
    new, changes = migrate(yaml.safe_load(OLD_AGENTS))
    assert "agents" not in new["providers"] and new["apis"] == ["responses", "inference"]
    (entry,) = new["providers"]["responses"]
    assert entry["provider_type"] == "inline::builtin"
    assert entry["config"]["persistence"]["responses"]["table_name"] == "responses"
    assert any("providers.agents → providers.responses" in c for c in changes)
    loaded = load(yaml.safe_dump(new))
    assert [p.api for p in loaded.providers] == ["inference", "responses"]  # type: ignore[attr-defined]
    assert loaded.warnings == []  # type: ignore[attr-defined]
