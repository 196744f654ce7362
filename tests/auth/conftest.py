"""Shared pieces of the authentication tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        yield running


def config_with_auth(auth_block: str, extra: str = "") -> str:
    """A run config with two config models (no upstream needed) and the given server.auth block."""
    return f"""version: 2
providers:
  inference:
  - {{provider_id: up, provider_type: remote::openai-compatible, config: {{base_url: "http://127.0.0.1:9/v1"}}}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: model-1, provider_id: up}}
- {{model_id: llama-3-2-3b, provider_id: up}}
- {{model_id: mistral-7b, provider_id: up}}
- {{model_id: gpt-3.5-turbo, provider_id: up}}
server:
  auth:
{auth_block}
{extra}"""
