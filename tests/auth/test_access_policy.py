"""The access_policy examples of the reference, through HTTP (custom auth supplies identities)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.conftest import config_with_auth
from tests.fixtures.identity_stubs import IdentityStubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

USERS = {
    "t-user1": {"principal": "user-1", "access_attributes": {"roles": ["user"]}},
    "t-user2": {"principal": "user-2", "access_attributes": {"roles": ["user"]}},
    "t-user3": {"principal": "user-3", "access_attributes": {"roles": ["user"]}},
    "t-admin": {"principal": "root", "access_attributes": {"roles": ["admin"], "teams": ["ml"]}},
    "t-ann": {"principal": "ann", "access_attributes": {"roles": ["user"], "teams": ["ml"]}},
    "t-ben": {"principal": "ben", "access_attributes": {"roles": ["user"], "teams": ["ml"]}},
    "t-cat": {"principal": "cat", "access_attributes": {"roles": ["user"], "teams": ["sales"]}},
    "t-dev": {"principal": "dev", "access_attributes": {"roles": ["developer"]}},
}


def custom(stubs: IdentityStubs, policy: str) -> str:
    stubs.custom_users.update({token: {**user, "message": "ok"} for token, user in USERS.items()})
    return f"""    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
    access_policy:
{policy}"""


@pytest.fixture
def serve(stubs: IdentityStubs, tmp_path: Path) -> Iterator[object]:
    def start(policy: str, extra: str = "") -> object:
        return run_server(config_with_auth(custom(stubs, policy), extra), tmp_path)

    yield start


def call(
    server: RunningServer, method: str, path: str, token: str, json: Any = None
) -> httpx.Response:
    return httpx.request(
        method,
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        json=json,
    )


def ids(server: RunningServer, token: str) -> set[str]:
    return {m["id"] for m in call(server, "GET", "/v1/models", token).json()["data"]}


def test_principal_rules(serve) -> None:  # type: ignore[no-untyped-def]
    policy = """    - permit: {principal: user-1, actions: [create, read, delete]}
      description: user-1 has full access to all resources
    - permit: {principal: user-2, actions: [read], resource: "model::model-1"}
      description: user-2 has read access to model-1 only
"""
    with serve(policy) as server:
        assert len(ids(server, "t-user1")) == 4
        assert ids(server, "t-user2") == {"up/model-1"}
        assert call(server, "GET", "/v1/models/up/mistral-7b", "t-user2").status_code == 404
        assert ids(server, "t-user3") == set()
        created = call(
            server, "POST", "/v1/models", "t-user1", json={"model_id": "new", "provider_id": "up"}
        )
        assert created.status_code == 200
        denied = call(
            server, "POST", "/v1/models", "t-user2", json={"model_id": "x", "provider_id": "up"}
        )
        assert denied.status_code == 403 and denied.json()["error"]["type"] == "permission_error"
        assert call(server, "DELETE", "/v1/models/up/new", "t-user1").status_code == 204


def test_roles_and_teams_policy(serve) -> None:  # type: ignore[no-untyped-def]
    policy = """    - permit: {actions: [read], resource: "model::*"}
      description: all users have read access to models
    - forbid: {actions: [create, delete], resource: "model::*"}
      unless: user with admin in roles
      description: only user with admin role can create or delete models
    - permit: {actions: [create, read, delete]}
      when: user is owner
      description: users can create resources other than models and read and delete those they own
    - permit: {actions: [read]}
      when: user in owner teams
      description: any user has read access to any resource created by a user with the same team
"""
    with serve(policy) as server:
        assert len(ids(server, "t-cat")) == 4
        r = call(
            server, "POST", "/v1/models", "t-ann", json={"model_id": "mine", "provider_id": "up"}
        )
        assert r.status_code == 403
        r = call(
            server,
            "POST",
            "/v1/models",
            "t-admin",
            json={"model_id": "admins", "provider_id": "up"},
        )
        assert r.status_code == 200
        explain = call(
            server,
            "POST",
            "/v1/access/explain",
            "t-admin",
            json={
                "action": "create",
                "resource": "model::up/x",
                "principal": "ann",
                "attributes": {"roles": ["user"]},
            },
        ).json()
        assert explain == {
            "allowed": False,
            "rule_index": 1,
            "rule_description": "only user with admin role can create or delete models",
            "reason": "access_policy[1] forbids it",
        }
        team = call(
            server,
            "POST",
            "/v1/access/explain",
            "t-ben",
            json={
                "action": "read",
                "resource": "vector_db::v1",
                "owner": {"principal": "ann", "attributes": {"teams": ["ml"]}},
            },
        ).json()
        assert team["allowed"] is True and team["rule_index"] == 3
        stranger = call(
            server,
            "POST",
            "/v1/access/explain",
            "t-cat",
            json={
                "action": "read",
                "resource": "vector_db::v1",
                "owner": {"principal": "ann", "attributes": {"teams": ["ml"]}},
            },
        ).json()
        assert stranger["allowed"] is False and stranger["rule_index"] is None


def test_regex_rules(serve) -> None:  # type: ignore[no-untyped-def]
    policy = r"""    - permit: {actions: [read], resource: "regex:model::(llama|mistral)-.*"}
      when: user with developer in roles
    - permit: {actions: [read], resource: "regex:model::.*-3\\.\\d+-.*"}
      when: user with user in roles
"""
    with serve(policy) as server:
        assert ids(server, "t-dev") == {"up/llama-3-2-3b", "up/mistral-7b"}
        assert ids(server, "t-user1") == {"up/gpt-3.5-turbo"}


@pytest.mark.parametrize(
    ("rules", "where"),
    [
        (
            '    access_policy:\n    - forbid: {actions: [read], resource: "regex:model::(gpt"}\n',
            "server.auth.access_policy[0].forbid.resource",
        ),
        (
            '    route_policy:\n    - forbid: {paths: ["/v1/files", "regex:/v1/(admin"]}\n'
            '    - permit: {paths: "*"}\n',
            "server.auth.route_policy[0].forbid.paths",
        ),
    ],
)
def test_invalid_policy_regex_is_a_config_error_for_validate_and_run(
    stubs: IdentityStubs, tmp_path: Path, rules: str, where: str
) -> None:
    """A forbid rule whose regex cannot compile would forbid nothing: refuse the config."""
    import subprocess

    from tests.fixtures.server import corral_command

    path = tmp_path / "bad.yaml"
    auth = f"""    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}\n"""
    path.write_text(config_with_auth(auth + rules))
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "regex:" in text)
    env = {**os.environ, "SQLITE_STORE_DIR": str(tmp_path)}
    for args in (("config", "validate", str(path)), ("run", str(path), "--port", "9")):
        result = subprocess.run(
            corral_command(*args), capture_output=True, text=True, env=env, timeout=60
        )
        assert result.returncode == 2, args
        assert (
            f"bad.yaml:{line} {where}" in result.stderr
            and "invalid regular expression" in result.stderr
        ), (
            args,
            result.stderr,
        )
        assert "Traceback" not in result.stderr


def test_default_policy_shares_config_models_and_keeps_created_ones_private(
    stubs: IdentityStubs, tmp_path: Path
) -> None:
    auth = f"""    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
"""
    stubs.custom_users.update({token: {**user, "message": "ok"} for token, user in USERS.items()})
    with run_server(config_with_auth(auth), tmp_path) as server:
        assert len(ids(server, "t-ann")) == 4 and len(ids(server, "t-cat")) == 4
        assert (
            call(
                server,
                "POST",
                "/v1/models",
                "t-ann",
                json={"model_id": "anns", "provider_id": "up"},
            ).status_code
            == 200
        )
        assert "up/anns" in ids(server, "t-ann")
        assert "up/anns" not in ids(server, "t-cat")
        assert call(server, "GET", "/v1/models/up/anns", "t-cat").status_code == 404
        assert call(server, "DELETE", "/v1/models/up/anns", "t-cat").status_code == 404


def test_invalid_condition_is_a_config_error_naming_the_rule(
    stubs: IdentityStubs, tmp_path: Path
) -> None:
    import subprocess

    from tests.fixtures.server import corral_command

    path = tmp_path / "bad.yaml"
    path.write_text(
        config_with_auth(
            custom(stubs, "    - permit: {actions: [read]}\n      when: user iz owner\n")
        )
    )
    result = subprocess.run(
        corral_command("config", "validate", str(path)), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert (
        "server.auth.access_policy[0]" in result.stderr
        and "invalid condition 'user iz owner'" in result.stderr
    )


def test_stored_completions_are_isolated_per_owner(stubs: IdentityStubs, tmp_path: Path) -> None:
    import time

    from tests.fixtures.fake_openai import run_fake_openai

    stubs.custom_users.update({token: {**user, "message": "ok"} for token, user in USERS.items()})
    with run_fake_openai() as fake:
        config = f"""version: 2
providers:
  inference:
  - {{provider_id: fake, provider_type: remote::openai-compatible, config: {{base_url: "{fake.url}"}}}}
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
    access_policy:
    - permit: {{actions: [read], resource: "model::*"}}
    - permit: {{actions: [read, delete], resource: "sql_record::inference_store::*"}}
      when: user is owner
"""
        with run_server(config, tmp_path) as server:

            def chat(token: str) -> str:
                r = call(
                    server,
                    "POST",
                    "/v1/chat/completions",
                    token,
                    json={
                        "model": "fake/fake-chat",
                        "messages": [{"role": "user", "content": token}],
                    },
                )
                assert r.status_code == 200
                return str(r.json()["id"])

            anns, cats = chat("t-ann"), chat("t-cat")
            time.sleep(0.5)
            assert call(server, "GET", f"/v1/chat/completions/{anns}", "t-ann").status_code == 200
            assert call(server, "GET", f"/v1/chat/completions/{anns}", "t-cat").status_code == 404
            listed = {
                c["id"] for c in call(server, "GET", "/v1/chat/completions", "t-cat").json()["data"]
            }
            assert listed == {cats}
