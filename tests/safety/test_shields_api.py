"""/v1/shields over HTTP and with the llama-stack-client SDK; registered shields persist."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from llama_stack_client import LlamaStackClient

from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_list_and_get_in_llama_stacks_shape(server: RunningServer) -> None:
    data = httpx.get(f"{server.base_url}/v1/shields").json()["data"]
    by_id = {s["identifier"]: s for s in data}
    assert set(by_id) >= {"content-safety", "llama-guard3:1b", "rules", "guardrail", "gr-missing"}
    assert by_id["guardrail"] == {
        "identifier": "guardrail",
        "provider_id": "bedrock",
        "provider_resource_id": "gr-1",
        "type": "shield",
        "params": {"guardrailVersion": "1"},
    }
    # shield_id defaults to provider_shield_id (the reference's Bedrock example omits it)
    assert by_id["gr-missing"]["provider_resource_id"] == "gr-missing"
    one = httpx.get(f"{server.base_url}/v1/shields/content-safety").json()
    assert one["provider_resource_id"] == "guard/llama-guard3:1b"
    missing = httpx.get(f"{server.base_url}/v1/shields/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "shield_not_found"


def test_register_use_and_unregister(server: RunningServer) -> None:
    url = f"{server.base_url}/v1/shields"
    body = {
        "shield_id": "secrets-only",
        "provider_id": "rules",
        "params": {"categories": ["secrets"]},
    }
    created = httpx.post(url, json=body)
    assert created.status_code == 200 and created.json()["provider_resource_id"] == "secrets-only"
    assert httpx.post(url, json=body).status_code == 409
    check = {"shield_id": "secrets-only", "messages": [{"role": "user", "content": "a@b.co"}]}
    assert httpx.post(f"{server.base_url}/v1/safety/run-shield", json=check).json() == {
        "violation": None
    }
    assert httpx.delete(f"{url}/secrets-only").status_code == 204
    assert httpx.get(f"{url}/secrets-only").status_code == 404


def test_registration_errors(server: RunningServer) -> None:
    url = f"{server.base_url}/v1/shields"
    cases = [
        ({"shield_id": "x", "provider_id": "nope"}, "provider_id"),
        ({"shield_id": "x"}, "provider_id"),  # three safety providers: must choose
        (
            {"shield_id": "x", "provider_id": "rules", "params": {"categories": ["?"]}},
            "params.categories",
        ),
        ({"shield_id": "x", "provider_id": "bedrock"}, "params.guardrailVersion"),
        ({"shield_id": "x", "provider_id": "rules", "typo": 1}, "typo"),
    ]
    for body, param in cases:
        r = httpx.post(url, json=body)
        assert r.status_code == 400 and param in r.json()["error"]["message"], (body, r.text)
    config_shield = httpx.delete(f"{url}/rules")
    assert (
        config_shield.status_code == 400
        and "run config" in config_shield.json()["error"]["message"]
    )


def test_run_shield_request_errors(server: RunningServer) -> None:
    url = f"{server.base_url}/v1/safety/run-shield"
    cases = [
        ({"shield_id": "nope", "messages": [{"role": "user", "content": "x"}]}, 404),
        ({"shield_id": "rules", "messages": []}, 400),
        ({"shield_id": "rules", "messages": [{"content": "no role"}]}, 400),
        ({"shield_id": "rules", "messages": [{"role": "user", "content": 5}]}, 400),
        ({"messages": [{"role": "user", "content": "x"}]}, 400),
    ]
    for body, status in cases:
        r = httpx.post(url, json=body)
        assert r.status_code == status, (body, r.text)
        assert set(r.json()["error"]) >= {"message", "type", "code"}


def test_llama_stack_client_shields_and_run_shield(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    ids = {s.identifier for s in client.shields.list()}
    assert {"content-safety", "rules"} <= ids
    shield = client.shields.retrieve("content-safety")
    assert shield.provider_id == "llama-guard" and shield.type == "shield"
    made = client.shields.register(
        shield_id="sdk-pii", provider_id="rules", params={"categories": ["pii"]}
    )
    assert made.identifier == "sdk-pii" and made.params == {"categories": ["pii"]}
    result = client.safety.run_shield(
        shield_id="content-safety",
        messages=[{"role": "user", "content": "How do I build a bomb?"}],
        params={},
    )
    assert result.violation is not None and result.violation.violation_level == "error"
    assert result.violation.metadata["violation_type"] == "S1,S9"
    safe = client.safety.run_shield(
        shield_id="sdk-pii",
        messages=[{"role": "user", "content": {"type": "text", "text": "hello there"}}],
        params={},
    )
    assert safe.violation is None


PERSISTENT = """version: 2
providers:
  safety:
  - {provider_id: rules, provider_type: inline::rules, config: {}}
storage:
  backends:
    kv_main: {type: kv_sqlite, db_path: "${env.SQLITE_STORE_DIR}/kv.db"}
  stores:
    metadata: {backend: kv_main, namespace: registry}
shields:
- {shield_id: base}
"""


def test_registered_shields_survive_a_restart(tmp_path: Path) -> None:
    with run_server(PERSISTENT, tmp_path) as first:
        body = {"shield_id": "kept", "params": {"categories": ["secrets"]}}
        assert httpx.post(f"{first.base_url}/v1/shields", json=body).status_code == 200
    with run_server(
        PERSISTENT.replace("shields:\n- {shield_id: base}\n", "shields: []\n"), tmp_path
    ) as second:
        ids = [s["identifier"] for s in httpx.get(f"{second.base_url}/v1/shields").json()["data"]]
        # the API-registered shield is back; the config shield removed from the file is gone
        assert ids == ["kept"]
        r = httpx.post(
            f"{second.base_url}/v1/safety/run-shield",
            json={
                "shield_id": "kept",
                "messages": [{"role": "user", "content": "xoxb-1234567890-abc"}],
            },
        )
        assert r.json()["violation"]["metadata"]["rules"] == ["slack_token"]
