"""Helpers for the observability tests: a corral config in front of the fake upstream, scraping."""

from __future__ import annotations

from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.server import RunningServer


def upstream_config(upstream: str, extra: str = "", server: str = "") -> str:
    """Two chat models and an embedding model on the fake OpenAI upstream."""
    return f"""
version: 2
apis: [inference]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", api_key: sk-upstream, max_retries: 0, timeout: 5}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store}}
models:
- {{model_id: fake-chat, provider_id: fake}}
- {{model_id: fake-embed, provider_id: fake, model_type: embedding}}
server:
{server or "  port: 0"}
{extra}
"""


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: RunningServer, token: str | None = None) -> Samples:
    """Every sample of ``GET /metrics`` keyed by (name, labels)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{server.base_url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: Samples = defaultdict(float)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] += sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)
