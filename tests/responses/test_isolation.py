"""Two users on one server: responses, conversations, items and prompts stay their owner's.

The policy is the reference document's multi-tenant example (responses and
conversations as ``sql_record::...`` records, readable by their owner only).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import RunningServer, run_server
from tests.responses.conftest import responses_config

POLICY = """server:
  auth:
    provider_config: {{type: custom, endpoint: "{url}/validate"}}
    access_policy:
    - permit: {{actions: [read], resource: "model::*"}}
    - permit: {{actions: [create], resource: "sql_record::openai_conversations::*"}}
    - permit: {{actions: [read, update, delete], resource: "sql_record::openai_conversations::*"}}
      when: user is owner
    - permit: {{actions: [create], resource: "sql_record::conversation_items::*"}}
    - permit: {{actions: [read, update, delete], resource: "sql_record::conversation_items::*"}}
      when: user is owner
    - permit: {{actions: [create], resource: "sql_record::responses::*"}}
    - permit: {{actions: [read, update, delete], resource: "sql_record::responses::*"}}
      when: user is owner
    - permit: {{actions: [create, read, update, delete], resource: "prompt::*"}}
      when: user is owner
"""


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users["alice-token"] = {"principal": "alice", "access_attributes": {}}
        running.custom_users["bob-token"] = {"principal": "bob", "access_attributes": {}}
        yield running


@pytest.fixture(scope="module")
def secured(
    script: RunningScript, stubs: IdentityStubs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    config = responses_config(script.url, auth=POLICY.format(url=stubs.url))
    with run_server(config, tmp_path_factory.mktemp("isolation"), timeout=60) as running:
        yield running


def _sdk(server: RunningServer, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=token, max_retries=0)


def test_another_users_records_are_not_found(secured: RunningServer) -> None:
    alice, bob = _sdk(secured, "alice-token"), _sdk(secured, "bob-token")
    conversation = alice.conversations.create(items=[{"role": "user", "content": "private"}])
    response = alice.responses.create(
        model="script/echo", input="mine", conversation=conversation.id
    )
    assert alice.responses.retrieve(response.id).output_text == "You said: mine"

    with pytest.raises(openai.NotFoundError):
        bob.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.input_items.list(response.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.create(model="script/echo", input="steal", previous_response_id=response.id)
    with pytest.raises(openai.NotFoundError):
        bob.conversations.retrieve(conversation.id)
    with pytest.raises(openai.NotFoundError):
        bob.conversations.items.list(conversation.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.create(model="script/echo", input="steal", conversation=conversation.id)
    headers = {"Authorization": "Bearer alice-token"}
    bob_headers = {"Authorization": "Bearer bob-token"}

    def listed_ids(auth: dict[str, str]) -> list[str]:
        page = httpx.get(f"{secured.base_url}/v1/responses", headers=auth, timeout=10).json()
        return [r["id"] for r in page["data"]]

    assert response.id not in listed_ids(bob_headers)
    assert response.id in listed_ids(headers)

    prompt = httpx.post(
        f"{secured.base_url}/v1/prompts", json={"prompt": "p"}, headers=headers, timeout=10
    ).json()
    path = f"{secured.base_url}/v1/prompts/{prompt['prompt_id']}"
    assert httpx.get(path, headers=bob_headers, timeout=10).status_code == 404
    assert httpx.get(path, headers=headers, timeout=10).status_code == 200
    listed = httpx.get(f"{secured.base_url}/v1/prompts", headers=bob_headers, timeout=10).json()
    assert prompt["prompt_id"] not in [p["prompt_id"] for p in listed["data"]]


def test_anonymous_callers_are_refused(secured: RunningServer) -> None:
    for path in ("/v1/responses", "/v1/conversations", "/v1/prompts"):
        response = httpx.get(secured.base_url + path, timeout=10)
        assert response.status_code == 401, path
        assert response.json()["error"]["type"] == "authentication_error"
