"""`/v1/access/explain` answers what enforcement does, and only admins ask about others.

Issue 15, item 7: explain said bob may read alice's stored completion (it
assumed a record without an owner) while the real GET was a 404, and any user
could ask about any principal.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import httpx
import pytest

from tests.auth.test_access_policy import USERS
from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.identity_stubs import IdentityStubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

TOKENS = ["t-user1", "t-user2", "t-admin"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="module")
def server(
    stubs: IdentityStubs, upstream: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
    config = f"""version: 2
providers:
  inference:
  - {{provider_id: fake, provider_type: remote::openai-compatible, config: {{base_url: "{upstream.url}", max_retries: 0}}}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store}}
models:
- {{model_id: fake-chat, provider_id: fake}}
server:
  auth:
    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
"""
    with run_server(config, tmp_path_factory.mktemp("explain")) as running:
        yield running


def _post(
    server: RunningServer, token: str, path: str, body: Mapping[str, object]
) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body
    )


def test_explain_agrees_with_enforcement_on_stored_completions(server: RunningServer) -> None:
    chat = {"model": "fake/fake-chat", "messages": [{"role": "user", "content": "alice's"}]}
    completion_id = _post(server, "t-user1", "/v1/chat/completions", chat).json()["id"]
    resource = f"sql_record::inference_store::{completion_id}"
    url = f"{server.base_url}/v1/chat/completions/{completion_id}"
    deadline = time.monotonic() + 10
    while httpx.get(url, headers={"Authorization": "Bearer t-user1"}).status_code != 200:
        assert time.monotonic() < deadline, "the completion was never stored"
        time.sleep(0.05)
    for token in TOKENS:
        got = httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code
        said = _post(server, token, "/v1/access/explain", {"action": "read", "resource": resource})
        assert said.status_code == 200
        assert said.json()["allowed"] is (got == 200), (token, got, said.json())
    missing = _post(
        server, "t-user1", "/v1/access/explain", {"action": "read", "resource": "model::up/nope"}
    ).json()
    assert missing["allowed"] is False and "404" in missing["reason"]


def test_explaining_another_principal_needs_the_admin_role(server: RunningServer) -> None:
    question = {"action": "read", "resource": "model::fake/fake-chat", "principal": "user-1"}
    refused = _post(server, "t-user2", "/v1/access/explain", question)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "explain_forbidden"
    pretend = {
        "action": "read",
        "resource": "model::fake/fake-chat",
        "attributes": {"roles": ["admin"]},
    }
    assert _post(server, "t-user2", "/v1/access/explain", pretend).status_code == 403
    assert _post(server, "t-admin", "/v1/access/explain", question).json()["allowed"] is True
    mine = {**question, "principal": "user-2"}
    assert _post(server, "t-user2", "/v1/access/explain", mine).status_code == 200
