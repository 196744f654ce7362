"""kubernetes, github_token and custom providers against loopback stubs of their services."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import config_with_auth
from tests.fixtures.identity_stubs import IdentityStubs
from tests.fixtures.server import run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def explain_me(base_url: str, token: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/access/explain",
        headers={"Authorization": f"Bearer {token}"},
        json={"action": "read", "resource": "model::up/model-1"},
    )


def test_kubernetes_self_subject_review(stubs: IdentityStubs, tmp_path: Path) -> None:
    stubs.k8s_users["sa-token"] = {
        "username": "system:serviceaccount:ns:sa",
        "uid": "u-1",
        "groups": ["system:serviceaccounts", "ml"],
    }
    auth = f"""    provider_config:
      type: kubernetes
      api_server_url: "{stubs.url}"
      claims_mapping: {{username: roles, groups: roles, uid: uid_attr}}
    access_policy:
    - permit: {{actions: [read]}}
      when: user with ml in roles
"""
    with run_server(config_with_auth(auth), tmp_path) as server:
        headers = {"Authorization": "Bearer sa-token"}
        assert len(httpx.get(f"{server.base_url}/v1/models", headers=headers).json()["data"]) == 4
        review = stubs.k8s_requests[-1]
        assert review["token"] == "sa-token"
        assert review["body"] == {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
        }
        bad = httpx.get(f"{server.base_url}/v1/models", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


def test_github_user_and_orgs(stubs: IdentityStubs, tmp_path: Path) -> None:
    stubs.github_users["gh-token"] = {"login": "octocat", "id": 1}
    stubs.github_orgs["gh-token"] = ["llama-org"]
    auth = f"""    provider_config:
      type: github_token
      github_api_base_url: "{stubs.url}/gh"
    access_policy:
    - permit: {{principal: octocat, actions: [read], resource: "model::model-1"}}
"""
    with run_server(config_with_auth(auth), tmp_path) as server:
        headers = {"Authorization": "Bearer gh-token"}
        data = httpx.get(f"{server.base_url}/v1/models", headers=headers).json()["data"]
        assert [m["id"] for m in data] == ["up/model-1"]
        decision = httpx.post(
            f"{server.base_url}/v1/access/explain",
            headers=headers,
            json={"action": "read", "resource": "model::model-1"},
        ).json()
        assert decision["allowed"] is True and decision["rule_index"] == 0
        assert (
            httpx.get(
                f"{server.base_url}/v1/models", headers={"Authorization": "Bearer x"}
            ).status_code
            == 401
        )


def test_custom_endpoint_gets_the_documented_body_and_is_cached(
    stubs: IdentityStubs, tmp_path: Path
) -> None:
    stubs.custom_users["tok-1"] = {
        "access_attributes": {"roles": ["admin"]},
        "message": "ok",
        "principal": "ann",
    }
    stubs.custom_users["tok-2"] = {"message": "no attributes"}
    auth = f"""    provider_config:
      type: custom
      endpoint: "{stubs.url}/validate"
"""
    with run_server(config_with_auth(auth), tmp_path) as server:
        before = len(stubs.custom_requests)
        for _ in range(3):
            r = httpx.get(
                f"{server.base_url}/v1/models?key=value", headers={"Authorization": "Bearer tok-1"}
            )
            assert r.status_code == 200
        assert len(stubs.custom_requests) == before + 1  # validated once, then cached
        sent = stubs.custom_requests[-1]
        assert set(sent) == {"api_key", "request"} and sent["api_key"] == "tok-1"
        assert set(sent["request"]) == {"path", "headers", "params"}
        assert sent["request"]["path"] == "/v1/models"
        assert sent["request"]["params"] == {"key": ["value"]}
        assert "authorization" not in {k.lower() for k in sent["request"]["headers"]}
        who = explain_me(server.base_url, "tok-2").json()
        assert who["allowed"] is True  # default policy: config models are shared
        assert (
            httpx.get(
                f"{server.base_url}/v1/models", headers={"Authorization": "Bearer bad"}
            ).status_code
            == 401
        )
        assert "tok-1" not in server.log()
