"""A fake upstream (the judge) and a corral server with datasets and scoring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server


def scoring_config(upstream: str) -> str:
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
  - provider_id: llm-as-judge
    provider_type: inline::llm-as-judge
    config: {{judge_model: fake/fake-chat}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: fake-chat, provider_id: fake}}
scoring_fns:
- scoring_fn_id: config::contains
  provider_id: basic
  provider_scoring_fn_id: subset-of
  description: from the run config
"""


@pytest.fixture(scope="package")
def fake() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="package")
def server(fake: RunningFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("scoring")
    with run_server(scoring_config(fake.url), folder, timeout=60) as running:
        yield running
