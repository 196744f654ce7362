"""Store references must name a declared backend of the right family."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.config.issues import ConfigError
from corral.config.loader import load_config
from corral.config.storage import KVReference
from corral.core.registry import ProviderRegistry
from corral.storage.manager import StorageManager


def load(text: str) -> object:
    return load_config("run.yaml", ProviderRegistry(), env={}, text=text)


def test_reference_to_undefined_backend_names_store_and_backend() -> None:
    with pytest.raises(ConfigError) as err:
        load(
            "version: 2\nstorage:\n  backends: {}\n  stores:\n    metadata: {backend: kv_nope, namespace: r}\n"
        )
    assert "storage.stores.metadata" in str(err.value)
    assert "kv_nope" in str(err.value)


def test_kv_store_on_sql_backend_is_rejected() -> None:
    text = """version: 2
storage:
  backends:
    sql_main: {type: sql_sqlite, db_path: /tmp/x.db}
    kv_main: {type: kv_sqlite, db_path: /tmp/y.db}
  stores:
    metadata: {backend: sql_main, namespace: registry}
    inference: {backend: kv_main, table_name: inference_store}
"""
    with pytest.raises(ConfigError) as err:
        load(text)
    message = str(err.value)
    assert "storage.stores.metadata needs a KV backend but 'sql_main'" in message
    assert "storage.stores.inference needs a SQL backend but 'kv_main'" in message


async def test_any_backend_name_works_and_paths_expand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    loaded = load_config(
        "run.yaml",
        ProviderRegistry(),
        env={},
        text="version: 2\nstorage:\n  backends:\n    kv_main: {type: kv_sqlite, db_path: ~/deep/er/kv.db}\n",
    )
    manager = StorageManager(loaded.run.storage)
    await manager.open()
    try:
        store = manager.kv(KVReference(backend="kv_main", namespace="registry"))
        await store.set("k", "v")
        assert await store.get("k") == "v"
    finally:
        await manager.close()
    assert (tmp_path / "deep" / "er" / "kv.db").exists()
