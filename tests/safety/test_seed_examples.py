"""The reference's safety examples run unchanged: Llama Guard on a second vLLM, and the full example."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.config.test_seed_configs import SEED_EXAMPLE
from tests.fixtures.fake_llama_guard import RunningGuard, run_fake_llama_guard
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

# "Extending to handle Safety", the vLLM example, as the reference writes it.
VLLM_TWO_PROVIDERS = """
providers:
  safety:
  - provider_id: llama-guard
    provider_type: inline::llama-guard
    config: {}
  inference:
  # this vLLM server serves the "normal" inference model (e.g., llama3.2:3b)
  - provider_id: vllm-0
    provider_type: remote::vllm
    config:
      url: ${env.VLLM_URL:=http://localhost:8000}
  # this vLLM server serves the llama-guard model (e.g., llama-guard:3b)
  - provider_id: vllm-1
    provider_type: remote::vllm
    config:
      url: ${env.SAFETY_VLLM_URL:=http://localhost:8001}
models:
- metadata: {}
  model_id: ${env.INFERENCE_MODEL}
  provider_id: vllm-0
  provider_model_id: null
- metadata: {}
  model_id: ${env.SAFETY_MODEL}
  provider_id: vllm-1
  provider_model_id: null
shields:
- provider_id: llama-guard
  shield_id: ${env.SAFETY_MODEL} # Llama Guard shields are identified by the corresponding LlamaGuard model
  provider_shield_id: null
"""

SAFETY_MODEL = "llama-guard3:1b"


@pytest.fixture(scope="module")
def vllm_guard() -> Iterator[RunningGuard]:
    with run_fake_llama_guard([SAFETY_MODEL]) as running:
        yield running


@pytest.fixture(scope="module")
def seed_server(
    fake: RunningFake, vllm_guard: RunningGuard, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "VLLM_URL": fake.url.removesuffix("/v1"),
        "SAFETY_VLLM_URL": vllm_guard.url.removesuffix("/v1"),
        "INFERENCE_MODEL": "llama3.2:3b",
        "SAFETY_MODEL": SAFETY_MODEL,
    }
    with run_server(VLLM_TWO_PROVIDERS, tmp_path_factory.mktemp("seed"), env=env) as running:
        yield running


def test_guard_model_on_a_second_vllm_end_to_end(
    seed_server: RunningServer, fake: RunningFake, vllm_guard: RunningGuard
) -> None:
    base = seed_server.base_url
    shields = httpx.get(f"{base}/v1/shields").json()["data"]
    assert shields == [
        {
            "identifier": SAFETY_MODEL,
            "provider_id": "llama-guard",
            "provider_resource_id": SAFETY_MODEL,
            "type": "shield",
            "params": {},
        }
    ]
    models = {m["id"] for m in httpx.get(f"{base}/v1/models").json()["data"]}
    assert models == {"vllm-0/llama3.2:3b", f"vllm-1/{SAFETY_MODEL}"}

    def check(text: str) -> httpx.Response:
        body = {"shield_id": SAFETY_MODEL, "messages": [{"role": "user", "content": text}]}
        return httpx.post(f"{base}/v1/safety/run-shield", json=body, timeout=30)

    assert check("Hello!").json() == {"violation": None}
    assert check("how to build a bomb").json()["violation"]["metadata"]["categories"] == [
        "S1",
        "S9",
    ]
    # the guard model was called on the second vLLM, by its own name
    assert vllm_guard.state.requests[-1]["model"] == SAFETY_MODEL
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0)
    reply = client.chat.completions.create(
        model="vllm-0/llama3.2:3b", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == "echo: hi"
    assert fake.state.requests[-1]["body"]["model"] == "llama3.2:3b"
    moderation = client.moderations.create(model=SAFETY_MODEL, input="steal a car")
    assert moderation.results[0].flagged and moderation.results[0].categories.illicit


def test_the_full_reference_example_runs_with_its_llama_guard_provider(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {"OLLAMA_URL": fake.url.removesuffix("/v1"), "INFERENCE_MODEL": "fake-chat"}
    with run_server(SEED_EXAMPLE, tmp_path_factory.mktemp("full"), env=env) as server:
        providers = httpx.get(f"{server.base_url}/v1/providers").json()["data"]
        types = {p["provider_id"]: p["provider_type"] for p in providers}
        assert types == {
            "ollama": "remote::ollama",
            "faiss": "inline::faiss",  # its older inline kvstore form is served as written
            "llama-guard": "inline::llama-guard",
            "builtin": "inline::builtin",  # its agents section serves the Responses API
        }
        client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
        response = client.responses.create(model="ollama/fake-chat", input="hi")
        assert response.output_text == "echo: hi"
        assert client.responses.retrieve(response.id).status == "completed"
        assert httpx.get(f"{server.base_url}/v1/shields").json() == {"data": []}
        body = {"shield_id": "guard", "provider_shield_id": "ollama/missing-guard"}
        refused = httpx.post(f"{server.base_url}/v1/shields", json=body)
        assert refused.status_code == 400 and "ollama/missing-guard" in refused.text
        body["provider_shield_id"] = "ollama/fake-chat"
        assert httpx.post(f"{server.base_url}/v1/shields", json=body).status_code == 200
