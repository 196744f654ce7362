"""The five route_policy examples of the reference, through HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import config_with_auth
from tests.auth.test_access_policy import USERS
from tests.fixtures.identity_stubs import IdentityStubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def status(server: RunningServer, path: str, token: str | None = None, method: str = "GET") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"model": "up/model-1", "messages": []} if method == "POST" else None
    return httpx.request(
        method, f"{server.base_url}{path}", headers=headers, json=body, timeout=30
    ).status_code


def with_custom(stubs: IdentityStubs, rules: str, policy: str = "") -> str:
    stubs.custom_users.update({token: {**user, "message": "ok"} for token, user in USERS.items()})
    return f"""    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
    route_policy:
{rules}{policy}"""


def test_example_1_route_blocking_without_authentication(tmp_path: Path) -> None:
    rules = """    route_policy:
    - permit: {paths: ["/v1/health", "/v1/version"]}
      description: Public monitoring routes
    - permit: {paths: "/v1/chat/completions"}
      description: Allow inference
"""
    with run_server(config_with_auth(rules), tmp_path) as server:
        assert status(server, "/v1/health") == 200 and status(server, "/v1/version") == 200
        assert status(server, "/v1/version/") == 200  # the same route, judged as /v1/version
        assert status(server, "/v1/chat/completions", method="POST") == 400  # reached the route
        blocked = httpx.get(f"{server.base_url}/v1/models")
        assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "route_forbidden"


def test_example_2_role_based_route_access(stubs: IdentityStubs, tmp_path: Path) -> None:
    rules = """    - permit: {paths: "/v1/chat/completions"}
      when: user with developer in roles
    - permit: {paths: ["/v1/files*", "/v1/models*"]}
      when: user with user in roles
    - permit: {paths: "*"}
      when: user with admin in roles
"""
    with run_server(config_with_auth(with_custom(stubs, rules)), tmp_path) as server:
        assert status(server, "/v1/chat/completions", "t-dev", "POST") == 400
        assert status(server, "/v1/models", "t-dev") == 403
        assert status(server, "/v1/models", "t-user1") == 200
        assert status(server, "/v1/models/up/model-1", "t-user1") == 200
        assert status(server, "/v1/providers", "t-user1") == 403
        assert status(server, "/v1/providers", "t-admin") == 200


def test_example_3_mixed_public_and_protected(stubs: IdentityStubs, tmp_path: Path) -> None:
    rules = """    - permit: {paths: ["/v1/health", "/v1/version"]}
    - permit: {paths: "/v1/admin*"}
      when: user with admin in roles
    - permit: {paths: "/v1/chat/completions"}
      when: user with developer in roles
"""
    with run_server(config_with_auth(with_custom(stubs, rules)), tmp_path) as server:
        assert status(server, "/v1/health") == 200
        assert status(server, "/v1/admin/anything", "t-admin") == 404  # allowed, no such route
        assert status(server, "/v1/admin/anything", "t-dev") == 403
        assert status(server, "/v1/models", "t-admin") == 403


def test_example_4_regex_patterns(stubs: IdentityStubs, tmp_path: Path) -> None:
    rules = """    - permit: {paths: ["/v1/health", "/v1/version"]}
    - permit: {paths: "regex:^/v1/(files|providers|models)(/.*)?$"}
      when: user with user in roles
    - permit: {paths: "regex:^/v1/(chat|inference)/.*$"}
      when: user with developer in roles
    - forbid: {paths: "*"}
      description: Deny all other routes by default
"""
    with run_server(config_with_auth(with_custom(stubs, rules)), tmp_path) as server:
        assert status(server, "/v1/providers", "t-user1") == 200
        assert status(server, "/v1/models/up/model-1", "t-user1") == 200
        assert status(server, "/v1/modelsXXX", "t-user1") == 403
        assert status(server, "/v1/chat/completions", "t-dev", "POST") == 400
        assert status(server, "/v1/chat/completions", "t-user1", "POST") == 403


def test_example_5_route_and_resource_policies_together(
    stubs: IdentityStubs, tmp_path: Path
) -> None:
    rules = """    - permit: {paths: "/v1/chat/completions"}
      when: user with developer in roles
"""
    policy = """    access_policy:
    - permit: {actions: [read], resource: "model::llama-3-2-3b"}
      when: user with developer in roles
"""
    with run_server(config_with_auth(with_custom(stubs, rules, policy)), tmp_path) as server:

        def chat(model: str, token: str) -> int:
            r = httpx.post(
                f"{server.base_url}/v1/chat/completions",
                headers={"Authorization": f"Bearer {token}"},
                json={"model": model, "messages": [{"role": "user", "content": "x"}]},
                timeout=30,
            )
            return r.status_code

        assert chat("up/llama-3-2-3b", "t-dev") == 502  # both checks passed; the upstream is down
        assert chat("up/mistral-7b", "t-dev") == 404  # resource-level denial
        assert chat("up/llama-3-2-3b", "t-user1") == 403  # route-level denial


def test_documented_conditional_auth_starts_with_route_policy_and_a_disabled_provider(
    tmp_path: Path,
) -> None:
    """Seed 003's example with AUTH_PROVIDER and KEYCLOAK_URL unset: no auth, the policy applies."""
    auth = """    provider_config:
      type: ${env.AUTH_PROVIDER:+oauth2_token}
      audience: "llama-stack"
      jwks:
        uri: ${env.KEYCLOAK_URL}/realms/llamastack/protocol/openid-connect/certs
      issuer: ${env.KEYCLOAK_URL}/realms/llamastack
    route_policy:
    - forbid: {paths: "/v1/files*"}
    - permit: {paths: "*"}
"""
    disabled = """  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config: {url: "${env.OLLAMA_URL}"}
"""
    config = config_with_auth(auth).replace("  inference:\n", "  inference:\n" + disabled, 1)
    env = {"AUTH_PROVIDER": "", "KEYCLOAK_URL": "", "OLLAMA_URL": ""}
    with run_server(config, tmp_path, env=env) as server:
        assert status(server, "/v1/models") == 200  # no token needed: authentication is off
        assert status(server, "/v1/files") == 403
        log = server.log()
        assert "KEYCLOAK_URL" not in log and "OLLAMA_URL" not in log
