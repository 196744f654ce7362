"""GET /metrics after a known workload, through a real `corral run` (streams included)."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.auth.test_access_policy import USERS
from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.identity_stubs import run_identity_stubs
from tests.fixtures.server import run_server
from tests.observe.conftest import scrape, upstream_config, value

pytestmark = pytest.mark.slow

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
CHAT = {"gen_ai_request_model": "fake/fake-chat", "gen_ai_operation_name": "chat"}


def authed(stubs_url: str, quota: bool = True) -> str:
    auth = f"""  auth:
    provider_config: {{type: custom, endpoint: "{stubs_url}/validate"}}"""
    return auth + "\n" + QUOTA if quota else auth


QUOTA = """  quota:
    kvstore: {type: sqlite, db_path: "${env.SQLITE_STORE_DIR}/quota.db"}
    anonymous_max_requests: 100
    authenticated_max_requests: 1000
    period: day"""


def test_exact_counts_and_token_sums_after_a_known_workload(tmp_path: Path) -> None:
    with run_identity_stubs() as stubs, run_fake_openai() as fake:
        stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        config = upstream_config(fake.url, server=authed(stubs.url))
        with run_server(config, tmp_path) as server:
            client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="t-ann", max_retries=0)
            for _ in range(3):  # 5 input + 3 output tokens each
                client.chat.completions.create(model="fake/fake-chat", messages=MESSAGES)
            for _ in range(2):  # the client did not ask for usage: corral counts it anyway
                chunks = list(client.chat.completions.create(
                    model="fake/fake-chat", messages=MESSAGES, stream=True))  # fmt: skip
                assert all(c.usage is None for c in chunks) and chunks[-1].choices
            chunks = list(client.chat.completions.create(
                model="fake/fake-chat", messages=MESSAGES, stream=True,
                stream_options={"include_usage": True}))  # fmt: skip
            assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 10
            client.embeddings.create(model="fake/fake-embed", input=["a", "b"])
            with pytest.raises(openai.NotFoundError):
                client.chat.completions.create(model="nope", messages=MESSAGES)
            assert httpx.get(f"{server.base_url}/metrics").status_code == 401
            bad = httpx.get(f"{server.base_url}/v1/models", headers={"Authorization": "Bearer x"})
            assert bad.status_code == 401

            samples = scrape(server, "t-ann")

    chat_ok = {
        "gen_ai_request_model": "fake/fake-chat",
        "http_route": "/v1/chat/completions",
        "http_response_status_class": "2xx",
    }
    assert value(samples, "http_server_request_duration_seconds_count", **chat_ok) == 6
    assert value(samples, "http_server_request_duration_seconds_count",
                 http_route="/v1/chat/completions", http_response_status_class="4xx",
                 gen_ai_request_model="") == 1  # fmt: skip
    tokens = "gen_ai_client_token_usage"
    assert value(samples, f"{tokens}_sum", **CHAT, gen_ai_token_type="input") == 3 * 5 + 3 * 5
    assert value(samples, f"{tokens}_sum", **CHAT, gen_ai_token_type="output") == 3 * 3 + 3 * 5
    assert value(samples, f"{tokens}_count", **CHAT, gen_ai_token_type="output") == 6
    assert value(samples, f"{tokens}_sum", gen_ai_operation_name="embeddings",
                 gen_ai_token_type="input") == 2  # fmt: skip
    operation = "gen_ai_client_operation_duration_seconds_count"
    assert value(samples, operation, **CHAT, gen_ai_provider_name="fake", error_type="") == 6
    assert value(samples, "gen_ai_server_time_to_first_token_seconds_count", **CHAT) == 3
    assert value(samples, "gen_ai_server_time_per_output_token_seconds_count", **CHAT) == 3
    assert value(samples, "corral_errors_total", type="not_found_error",
                 code="model_not_found") == 1  # fmt: skip
    assert value(samples, "corral_errors_total", type="authentication_error") == 2
    assert value(samples, "corral_auth_outcomes_total", outcome="failure") == 2
    assert value(samples, "corral_auth_outcomes_total", outcome="success") == 8
    # Counted before the scrape's own request finished: the 8 calls that passed auth.
    assert value(samples, "corral_quota_decisions_total", decision="admitted") == 8
    assert value(samples, "corral_inference_store_queue_depth") == 0
    assert value(samples, "corral_inference_store_dropped_writes") == 0
    # No raw principal or prompt anywhere in the label values.
    labels = {v for (_, ls) in samples for _, v in ls}
    assert "ann" not in labels and "hi" not in labels


def test_metrics_can_be_public_or_off(tmp_path: Path) -> None:
    with run_identity_stubs() as stubs, run_fake_openai() as fake:
        public = upstream_config(fake.url, "telemetry:\n  metrics: {public: true}\n",
                                 server=authed(stubs.url))  # fmt: skip
        with run_server(public, tmp_path) as server:
            assert httpx.get(f"{server.base_url}/v1/models").status_code == 401
            samples = scrape(server)  # no token
            assert value(samples, "corral_auth_outcomes_total", outcome="failure") == 1
        off = upstream_config(fake.url, "telemetry:\n  metrics: {enabled: false}\n")
        with run_server(off, tmp_path) as server:
            assert httpx.get(f"{server.base_url}/metrics").status_code == 404
            ok = httpx.get(f"{server.base_url}/v1/models")
            assert ok.status_code == 200 and "x-request-id" in ok.headers


def test_two_workers_report_one_consistent_view(tmp_path: Path) -> None:
    with run_fake_openai() as fake:
        config = upstream_config(fake.url, server="  workers: 2")
        with run_server(config, tmp_path, timeout=120) as server:
            for _ in range(20):
                response = httpx.post(f"{server.base_url}/v1/chat/completions",
                                      json={"model": "fake/fake-chat", "messages": MESSAGES})  # fmt: skip
                assert response.status_code == 200
            for _ in range(6):  # whichever worker answers the scrape, the totals are the same
                samples = scrape(server)
                assert value(samples, "http_server_request_duration_seconds_count",
                             http_route="/v1/chat/completions") == 20  # fmt: skip
                assert value(samples, "gen_ai_client_token_usage_sum",
                             gen_ai_token_type="input") == 100  # fmt: skip
