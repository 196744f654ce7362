"""A fake upstream and a corral server with datasets, scoring, eval and responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server


def eval_config(upstream: str, eval_extra: str = "poll_interval_seconds: 0.2") -> str:
    return f"""
version: 2
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0, timeout: 10}}
  datasetio:
  - provider_id: localfs
    provider_type: inline::localfs
    config: {{}}
  scoring:
  - provider_id: basic
    provider_type: inline::basic
    config: {{}}
  eval:
  - provider_id: builtin
    provider_type: inline::meta-reference
    config: {{{eval_extra}}}
  responses:
  - provider_id: builtin
    provider_type: inline::builtin
    config: {{}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: fake-chat, provider_id: fake}}
- {{model_id: slow-0.1, provider_id: fake}}
"""


@pytest.fixture(scope="package")
def fake() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="package")
def server(fake: RunningFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("eval")
    with run_server(eval_config(fake.url), folder, timeout=60) as running:
        yield running
