"""access_policy on shields (``shield::<id>``), with identities from a custom auth endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.identity_stubs import run_identity_stubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

USERS = {
    "t-admin": {"principal": "admin", "access_attributes": {"roles": ["admin"]}},
    "t-alice": {"principal": "alice", "access_attributes": {"roles": ["user"]}},
    "t-bob": {"principal": "bob", "access_attributes": {"roles": ["user"]}},
}

CONFIG = """version: 2
providers:
  inference:
  - {{provider_id: chat, provider_type: remote::openai-compatible, config: {{base_url: "{upstream}", max_retries: 0}}}}
  safety:
  - {{provider_id: rules, provider_type: inline::rules, config: {{}}}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
models:
- {{model_id: guarded, provider_id: chat, input_shields: [secret-rules]}}
shields:
- {{shield_id: public-rules, params: {{categories: [pii]}}}}
- {{shield_id: secret-rules}}
server:
  auth:
    provider_config: {{type: custom, endpoint: "{auth}/validate"}}
    access_policy:
    - permit: {{actions: [create, read, delete]}}
      when: user with admin in roles
    - permit: {{actions: [read], resource: "shield::public-rules"}}
    - permit: {{actions: [read], resource: "model::*"}}
    - permit: {{actions: [create]}}
      description: anyone may register shields
    - permit: {{actions: [read, delete]}}
      when: user is owner
"""


@pytest.fixture(scope="module")
def policed(fake: RunningFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_identity_stubs() as stubs:
        stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        config = CONFIG.format(upstream=fake.url, auth=stubs.url)
        with run_server(config, tmp_path_factory.mktemp("policed")) as running:
            yield running


def call(server: RunningServer, method: str, path: str, token: str, **kw: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, f"{server.base_url}{path}", headers=headers, timeout=30, **kw)  # type: ignore[arg-type]


def shield_ids(server: RunningServer, token: str) -> set[str]:
    return {s["identifier"] for s in call(server, "GET", "/v1/shields", token).json()["data"]}


def check(server: RunningServer, token: str, shield: str) -> httpx.Response:
    body = {"shield_id": shield, "messages": [{"role": "user", "content": "a@b.co"}]}
    return call(server, "POST", "/v1/safety/run-shield", token, json=body)


def test_read_rules_decide_what_is_listed_and_usable(policed: RunningServer) -> None:
    assert shield_ids(policed, "t-admin") == {"public-rules", "secret-rules"}
    assert shield_ids(policed, "t-alice") == {"public-rules"}
    assert check(policed, "t-alice", "public-rules").json()["violation"] is not None
    assert check(policed, "t-alice", "secret-rules").status_code == 404
    assert call(policed, "GET", "/v1/shields/secret-rules", "t-alice").status_code == 404
    moderation = call(
        policed, "POST", "/v1/moderations", "t-alice", json={"model": "secret-rules", "input": "x"}
    )
    assert moderation.status_code == 404
    assert check(policed, "t-admin", "secret-rules").status_code == 200
    assert httpx.get(f"{policed.base_url}/v1/shields").status_code == 401


def test_owners_see_and_delete_their_own_shields(policed: RunningServer) -> None:
    body = {"shield_id": "alices", "provider_id": "rules"}
    assert call(policed, "POST", "/v1/shields", "t-alice", json=body).status_code == 200
    assert "alices" in shield_ids(policed, "t-alice")
    assert "alices" not in shield_ids(policed, "t-bob")
    assert call(policed, "DELETE", "/v1/shields/alices", "t-bob").status_code == 404
    assert call(policed, "DELETE", "/v1/shields/public-rules", "t-alice").status_code == 403
    assert call(policed, "DELETE", "/v1/shields/alices", "t-alice").status_code == 204


def test_guard_shields_run_with_the_servers_authority(policed: RunningServer) -> None:
    # alice cannot read secret-rules, yet it guards the model she calls
    body = {
        "model": "chat/guarded",
        "messages": [{"role": "user", "content": "key AKIAIOSFODNN7EXAMPLE"}],
    }
    blocked = call(policed, "POST", "/v1/chat/completions", "t-alice", json=body)
    assert blocked.status_code == 400 and blocked.json()["error"]["code"] == "shield_violation"
    body["messages"] = [{"role": "user", "content": "hello"}]
    assert call(policed, "POST", "/v1/chat/completions", "t-alice", json=body).status_code == 200
