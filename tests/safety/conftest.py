"""One corral server with every safety provider, in front of loopback fakes of their upstreams.

- ``chat``: an OpenAI-compatible fake (echoes the last message; streams a fixed text)
- ``guard``: a vLLM-style fake hosting ``llama-guard3:1b`` that answers like Llama Guard 3
- ``bedrock``: a stub of Bedrock Runtime's ApplyGuardrail, checking SigV4 signatures
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.fixtures import fake_bedrock
from tests.fixtures.fake_bedrock import RunningBedrock, run_fake_bedrock
from tests.fixtures.fake_llama_guard import RunningGuard, run_fake_llama_guard
from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server

GUARD_MODEL = "llama-guard3:1b"


def safety_config(chat: str, guard: str, bedrock: str) -> str:
    return f"""version: 2
apis: [inference, safety]
providers:
  inference:
  - provider_id: chat
    provider_type: remote::openai-compatible
    config: {{base_url: "{chat}", max_retries: 0, timeout: 10}}
  - provider_id: guard
    provider_type: remote::vllm
    config: {{url: "{guard.removesuffix("/v1")}", max_retries: 0}}
  safety:
  - provider_id: llama-guard
    provider_type: inline::llama-guard
    config: {{excluded_categories: [S13]}}
  - provider_id: rules
    provider_type: inline::rules
    config:
      disabled_rules: [phone_number]
      rules:
      - {{id: codename, category: confidential, description: a project codename, pattern: '(?i)\\bproject bluebird\\b'}}
      - {{id: fake_words, category: test, description: words of the fake upstream, pattern: 'fake upstream'}}
      - {{id: mild, category: tone, description: a mild word, pattern: '\\bmildly\\b', level: warn}}
  - provider_id: bedrock
    provider_type: remote::bedrock
    config:
      aws_access_key_id: {fake_bedrock.ACCESS_KEY}
      aws_secret_access_key: {fake_bedrock.SECRET_KEY}
      region_name: {fake_bedrock.REGION}
      endpoint_url: "{bedrock}"
      total_max_attempts: 1
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store, max_write_queue_size: 100, num_writers: 1}}
models:
- {{model_id: fake-chat, provider_id: chat}}
- {{model_id: {GUARD_MODEL}, provider_id: guard}}
- {{model_id: guarded-in, provider_id: chat, input_shields: [content-safety, rules]}}
- {{model_id: guarded-out, provider_id: chat, output_shields: [content-safety]}}
- {{model_id: guarded-words, provider_id: chat, output_shields: [no-fake-words]}}
shields:
- {{shield_id: content-safety, provider_id: llama-guard, provider_shield_id: guard/{GUARD_MODEL}}}
- {{shield_id: {GUARD_MODEL}, provider_id: llama-guard}}
- {{shield_id: rules, provider_id: rules}}
- {{shield_id: pii-only, provider_id: rules, params: {{categories: [pii]}}}}
- {{shield_id: no-fake-words, provider_id: rules, params: {{categories: [test]}}}}
- {{shield_id: guardrail, provider_id: bedrock, provider_shield_id: gr-1, params: {{guardrailVersion: "1"}}}}
- {{provider_id: bedrock, provider_shield_id: gr-missing, params: {{guardrailVersion: "1"}}}}
safety:
  default_shield_id: rules
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="module")
def guard() -> Iterator[RunningGuard]:
    with run_fake_llama_guard([GUARD_MODEL]) as running:
        yield running


@pytest.fixture(scope="module")
def bedrock() -> Iterator[RunningBedrock]:
    with run_fake_bedrock() as running:
        yield running


@pytest.fixture(scope="module")
def server(
    fake: RunningFake,
    guard: RunningGuard,
    bedrock: RunningBedrock,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("safety")
    with run_server(safety_config(fake.url, guard.url, bedrock.url), tmp) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0)


def run_shield(
    server: RunningServer, shield_id: str, *messages: tuple[str, str], **params: object
) -> httpx.Response:
    body = {
        "shield_id": shield_id,
        "messages": [{"role": role, "content": text} for role, text in messages],
        "params": params,
    }
    return httpx.post(f"{server.base_url}/v1/safety/run-shield", json=body, timeout=30)
