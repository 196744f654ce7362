"""Stored completions of two owners never collide, even when the upstream reuses an id.

Issue 15, item 6: the second user's completion was silently dropped (the id
was the primary key), and with an access_policy the first owner kept the id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.auth.test_access_policy import USERS
from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        yield running


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="module")
def server(
    stubs: IdentityStubs, upstream: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
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
- {{model_id: fixed-id, provider_id: fake}}
server:
  auth:
    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
"""
    with run_server(config, tmp_path_factory.mktemp("owners")) as running:
        yield running


def _chat(server: RunningServer, token: str, text: str) -> str:
    r = httpx.post(
        f"{server.base_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {token}"},
        json={"model": "fake/fixed-id", "messages": [{"role": "user", "content": text}]},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _stored(server: RunningServer, token: str, completion_id: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/v1/chat/completions/{completion_id}",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_two_owners_of_one_upstream_id_each_keep_their_completion(server: RunningServer) -> None:
    first = _chat(server, "t-user1", "from user one")
    second = _chat(server, "t-user2", "from user two")
    assert first == second == "chatcmpl-reused"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        one, two = _stored(server, "t-user1", first), _stored(server, "t-user2", second)
        if one.status_code == two.status_code == 200:
            break
        time.sleep(0.05)
    assert one.json()["input_messages"] == [{"role": "user", "content": "from user one"}]
    assert two.json()["input_messages"] == [{"role": "user", "content": "from user two"}]
    assert _stored(server, "t-user3", first).status_code == 404
    listed = httpx.get(
        f"{server.base_url}/v1/chat/completions", headers={"Authorization": "Bearer t-user2"}
    ).json()
    assert [c["input_messages"][0]["content"] for c in listed["data"]] == ["from user two"]
