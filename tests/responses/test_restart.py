"""Responses, conversations and prompts survive a restart of the server."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import run_server
from tests.responses.conftest import responses_config
from tests.responses.helpers import texts


@pytest.mark.slow
def test_everything_is_still_there_after_a_restart(
    script: RunningScript, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("restart")
    config = responses_config(script.url)
    with run_server(config, folder, timeout=60) as first:
        client = openai.OpenAI(base_url=f"{first.base_url}/v1", api_key="x", max_retries=0)
        response = client.responses.create(model="script/echo", input="remember me")
        conversation = client.conversations.create(items=[{"role": "user", "content": "kept"}])
        prompt = httpx.post(
            f"{first.base_url}/v1/prompts", json={"prompt": "p1"}, timeout=10
        ).json()
    with run_server(config, folder, timeout=60) as second:
        client = openai.OpenAI(base_url=f"{second.base_url}/v1", api_key="x", max_retries=0)
        assert client.responses.retrieve(response.id).output_text == "You said: remember me"
        follow = client.responses.create(
            model="script/echo", input="and now?", previous_response_id=response.id
        )
        assert follow.status == "completed"
        assert script.llm.requests[-1]["messages"][0] == {"role": "user", "content": "remember me"}
        assert texts(client.conversations.items.list(conversation.id)) == ["kept"]
        fetched = httpx.get(f"{second.base_url}/v1/prompts/{prompt['prompt_id']}", timeout=10)
        assert fetched.json()["prompt"] == "p1"


@pytest.mark.slow
def test_shutdown_writes_every_queued_response(
    script: RunningScript, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("flush")
    config = responses_config(script.url)
    with run_server(config, folder, timeout=60) as first:
        client = openai.OpenAI(base_url=f"{first.base_url}/v1", api_key="x", max_retries=0)
        ids = [client.responses.create(model="script/echo", input=f"r{i}").id for i in range(30)]
    # stopped with SIGTERM right after the last answer
    with run_server(config, folder, timeout=60) as second:
        client = openai.OpenAI(base_url=f"{second.base_url}/v1", api_key="x", max_retries=0)
        assert [client.responses.retrieve(i).output_text for i in ids] == [
            f"You said: r{i}" for i in range(30)
        ]


@pytest.mark.slow
def test_durable_writes_survive_a_killed_process(
    script: RunningScript, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("durable")
    durable = responses_config(script.url).replace(
        "    provider_type: inline::builtin\n    config: {}",
        "    provider_type: inline::builtin\n    config: {durable_writes: true}",
    )
    assert "durable_writes: true" in durable
    with run_server(durable, folder, timeout=60) as first:
        client = openai.OpenAI(base_url=f"{first.base_url}/v1", api_key="x", max_retries=0)
        ids = [client.responses.create(model="script/echo", input=f"d{i}").id for i in range(10)]
        first.process.kill()  # SIGKILL: nothing is flushed on the way out
        first.process.wait()
    with run_server(durable, folder, timeout=60) as second:
        client = openai.OpenAI(base_url=f"{second.base_url}/v1", api_key="x", max_retries=0)
        assert [client.responses.retrieve(i).status for i in ids] == ["completed"] * 10


def test_guardrails_without_a_safety_api_are_unavailable(
    script: RunningScript, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = f"""
version: 2
providers:
  inference:
  - {{provider_id: script, provider_type: remote::openai-compatible, config: {{base_url: "{script.url}"}}}}
  responses:
  - {{provider_id: builtin, provider_type: inline::builtin, config: {{}}}}
models:
- {{model_id: echo, provider_id: script}}
"""
    with run_server(config, tmp_path_factory.mktemp("nosafety")) as server:
        body = {"model": "script/echo", "input": "hi", "guardrails": ["any"]}
        response = httpx.post(f"{server.base_url}/v1/responses", json=body, timeout=10)
        assert response.status_code == 503
        assert "safety" in response.json()["error"]["message"]
        assert "conversations: no SQL backend is declared" in server.log()
        plain = httpx.post(
            f"{server.base_url}/v1/responses", json={"model": "script/echo", "input": "hi"}
        )
        assert plain.json()["output"][0]["content"][0]["text"] == "You said: hi"
