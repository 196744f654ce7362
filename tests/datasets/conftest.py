"""A corral server with files and datasetio (no model needed), and a folder it may read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.server import RunningServer, run_server


def datasets_config(allowed: Path, extra: str = "") -> str:
    return f"""
version: 2
providers:
  files:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql_main, table_name: openai_files}}
  datasetio:
  - provider_id: localfs
    provider_type: inline::localfs
    config: {{allowed_paths: ["{allowed}"]}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
{extra}
"""


@pytest.fixture(scope="package")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("allowed")


@pytest.fixture(scope="package")
def server(allowed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("datasets")
    with run_server(datasets_config(allowed), folder, timeout=60) as running:
        yield running
