"""Llama Stack 0.7 run-config keys have their meaning in corral.

``registered_resources.vector_dbs`` and its migration, PostgreSQL pool and TLS
settings reaching SQLAlchemy and asyncpg, ``logging.category_levels``, external
providers from ``external_providers_dir`` and ``module:``, and the line-accurate
error that a key or provider type no Llama Stack release had still gets.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from corral.cli.logs import apply_category_levels
from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, load_config
from corral.config.migrate import migrate
from corral.config.run import LoggingConfig
from corral.config.storage import KVPostgresBackend, SqlPostgresBackend
from corral.core.registry import load_provider_registry
from corral.storage.manager import StorageManager
from tests.fixtures.server import run_server
from tests.fixtures.services import PostgresDB, postgres_db

__all__ = ["postgres_db"]

ROOT = Path(__file__).resolve().parents[2]


def load(text: str, **env: str) -> LoadedConfig:
    return load_config("run.yaml", load_provider_registry(plugins=False), env=env, text=text)


VECTOR_DBS = """
version: 2
providers:
  inference:
  - {provider_id: emb, provider_type: remote::openai-compatible, config: {base_url: "http://127.0.0.1:9/v1"}}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config: {persistence: {backend: kv, namespace: faiss}}
storage:
  backends:
    kv: {type: kv_sqlite, db_path: /tmp/x.db}
registered_resources:
  vector_dbs:
  - {vector_db_id: kb, embedding_model: emb/e, embedding_dimension: 8, provider_id: faiss}
"""


def test_vector_dbs_are_read_as_vector_stores_with_a_hint() -> None:
    loaded = load(VECTOR_DBS)
    [store] = loaded.run.all_vector_stores()
    assert (store.vector_store_id, store.provider_id) == ("kb", "faiss")
    assert any("corral config migrate" in w and "vector_dbs" in w for w in loaded.warnings)


def test_migrate_rewrites_vector_dbs(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(VECTOR_DBS)
    new = tmp_path / "new.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "corral", "config", "migrate", str(old), "-o", str(new)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "vector_dbs → registered_resources.vector_stores" in result.stderr
    data = yaml.safe_load(new.read_text())
    assert "vector_dbs" not in data["registered_resources"]
    [store] = data["registered_resources"]["vector_stores"]
    assert store["vector_store_id"] == "kb" and "vector_db_id" not in store
    loaded = load(new.read_text())
    assert [v.vector_store_id for v in loaded.run.all_vector_stores()] == ["kb"]
    assert not any("vector_dbs" in w for w in loaded.warnings)
    assert migrate(yaml.safe_load(VECTOR_DBS))[1]  # the change is reported


def test_a_provider_type_no_release_had_is_still_a_line_accurate_error() -> None:
    text = VECTOR_DBS.replace("inline::faiss", "inline::fiass")
    with pytest.raises(ConfigError) as caught:
        load(text)
    rendered = caught.value.render()
    assert "run.yaml:8 providers.vector_io[0].provider_type" in rendered
    assert "did you mean 'inline::faiss'" in rendered


def test_an_unknown_key_in_a_llama_stack_group_is_a_line_accurate_error() -> None:
    text = VECTOR_DBS + "vector_stores:\n  chunk_retrieval_params:\n    chunk_multiplyer: 3\n"
    with pytest.raises(ConfigError) as caught:
        load(text)
    rendered = caught.value.render()
    assert "run.yaml:18 vector_stores.chunk_retrieval_params.chunk_multiplyer" in rendered
    assert "did you mean 'chunk_multiplier'" in rendered


def test_template_groups_are_checked_as_llama_stack_checks_them() -> None:
    text = VECTOR_DBS + "vector_stores:\n  file_search_params:\n    header_template: 'found'\n"
    with pytest.raises(ConfigError, match=r"must contain \{num_chunks\}"):
        load(text)


def test_logging_category_levels_set_corral_loggers() -> None:
    config = LoggingConfig(category_levels={"all": "warning", "vector_io": "debug"})
    names = ("corral", "corral.vector_io", "corral.vector_stores")
    saved = {n: logging.getLogger(n).level for n in names}
    try:
        apply_category_levels(config)
        assert logging.getLogger("corral").level == logging.WARNING
        assert logging.getLogger("corral.vector_io").level == logging.DEBUG
        assert logging.getLogger("corral.vector_stores").level == logging.DEBUG
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    with pytest.raises(ValueError, match="unknown level"):
        LoggingConfig(category_levels={"core": "loud"})


def test_sql_postgres_pool_settings_reach_sqlalchemy(postgres_db: PostgresDB) -> None:
    backend = SqlPostgresBackend.model_validate(
        postgres_db.backend(
            "sql_postgres", pool_size=3, max_overflow=7, pool_recycle=90, pool_pre_ping=False
        )
    )

    async def check() -> tuple[int, int, int, bool]:
        from corral.config.storage import StorageConfig

        manager = StorageManager(StorageConfig(backends={"sql": backend}))
        await manager.open()
        try:
            engine = manager._backends["sql"]._engine
            pool = engine.sync_engine.pool
            return pool.size(), pool._max_overflow, pool._recycle, pool._pre_ping
        finally:
            await manager.close()

    assert asyncio.run(check()) == (3, 7, 90, False)


@pytest.mark.parametrize("kind", ["kv_postgres", "sql_postgres"])
def test_postgres_ssl_mode_reaches_asyncpg(postgres_db: PostgresDB, kind: str) -> None:
    """The local server speaks no TLS: `disable` connects, `require` is refused by asyncpg."""
    from corral.config.storage import StorageConfig

    model = KVPostgresBackend if kind == "kv_postgres" else SqlPostgresBackend

    async def open_with(mode: str) -> None:
        backend = model.model_validate(postgres_db.backend(kind, ssl_mode=mode))
        manager = StorageManager(StorageConfig(backends={"pg": backend}))
        await manager.open()
        await manager.close()

    asyncio.run(open_with("disable"))
    with pytest.raises(Exception, match="(?i)ssl"):
        asyncio.run(open_with("require"))


EXTERNAL = """
version: 2
external_providers_dir: {folder}
providers:
  inference:
  - {{provider_id: echo, provider_type: remote::echo, config: {{prefix: from-dir}}}}
  - provider_id: echo2
    provider_type: remote::echo-module
    module: tests.fixtures.external_providers.spec_module==0.1
    config: {{prefix: from-module}}
models:
- {{model_id: m, provider_id: echo}}
- {{model_id: m2, provider_id: echo2}}
"""

SPEC_FILE = """
adapter_type: echo
pip_packages: []
config_class: tests.fixtures.external_providers.echo_inference.EchoConfig
module: tests.fixtures.external_providers.echo_inference
api_dependencies: []
optional_api_dependencies: []
"""


def test_external_providers_load_from_a_folder_and_from_module(tmp_path: Path) -> None:
    folder = tmp_path / "providers.d"
    (folder / "remote" / "inference").mkdir(parents=True)
    (folder / "remote" / "inference" / "echo.yaml").write_text(SPEC_FILE)
    config = EXTERNAL.format(folder=folder)
    env = {"PYTHONPATH": str(ROOT)}
    with run_server(config, tmp_path, env=env) as server:
        for model, prefix in (("echo/m", "from-dir"), ("echo2/m2", "from-module")):
            body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
            answer = httpx.post(f"{server.base_url}/v1/chat/completions", json=body).json()
            assert answer["choices"][0]["message"]["content"] == f"{prefix}: hi"


def test_a_llama_stack_provider_module_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "providers.d"
    (folder / "inline" / "inference").mkdir(parents=True)
    (folder / "inline" / "inference" / "ls.yaml").write_text(
        SPEC_FILE.replace(
            "module: tests.fixtures.external_providers.echo_inference",
            "module: tests.fixtures.external_providers.llama_stack_style",
        )
    )
    with pytest.raises(ConfigError) as caught:
        load(f"version: 2\nexternal_providers_dir: {folder}\n")
    rendered = caught.value.render()
    assert "run.yaml:2 external_providers_dir" in rendered
    assert "get_provider_impl" in rendered and "create(config, deps)" in rendered
    with pytest.raises(ConfigError, match="not a folder"):
        load(f"version: 2\nexternal_providers_dir: {tmp_path / 'missing'}\n")


def test_external_apis_dir_is_named_in_a_warning(tmp_path: Path) -> None:
    (tmp_path / "weather.yaml").write_text("module: weather_api\n")
    loaded = load(f"version: 2\nexternal_apis_dir: {tmp_path}\n")
    assert any("the APIs weather are not served" in w for w in loaded.warnings)
