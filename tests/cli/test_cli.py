"""The `corral` command as a subprocess: validate, show, schema, migrate, list-*."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.server import corral_command

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def corral(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        corral_command(*args),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_validate_reports_errors_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 2\nservr: {}\nmodels:\n- model_id: ${env.NOPE_MODEL}\n")
    result = corral("config", "validate", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}:2 servr: unknown key 'servr'; did you mean 'server'?" in result.stderr
    assert "NOPE_MODEL" in result.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = corral("run", str(tmp_path / "nope.yaml"))
    assert (
        result.returncode == 2
        and "file not found" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_show_resolves_env_and_redacts_secrets(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("""version: 2
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config: {api_key: "${env.MY_KEY}"}
storage:
  backends:
    pg: {type: kv_postgres, password: hunter2-secret, db: x}
server:
  port: ${env.PORT:=9000}
""")
    result = corral("config", "show", str(path), env={"MY_KEY": "sk-live-very-secret"})
    assert result.returncode == 0, result.stderr
    assert "sk-live-very-secret" not in result.stdout and "hunter2-secret" not in result.stdout
    assert "port: 9000" in result.stdout and "********" in result.stdout


def test_schema_is_json_schema_of_the_run_config() -> None:
    result = corral("config", "schema")
    schema = json.loads(result.stdout)
    assert {"providers", "storage", "server", "models"} <= set(schema["properties"])


def test_migrate_writes_a_file_that_validates(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text("version: 2\nconda_env: x\nmetadata_store: {type: sqlite, db_path: /tmp/r.db}\n")
    new = tmp_path / "new.yaml"
    result = corral("config", "migrate", str(old), "-o", str(new))
    assert result.returncode == 0, result.stderr
    assert "comments" in result.stderr and "metadata_store" in result.stderr
    assert corral("config", "validate", str(new)).returncode == 0
    assert corral("config", "validate", str(old)).returncode == 2


def test_list_apis_and_providers() -> None:
    apis = corral("list-apis").stdout
    assert "inference (resources: models)" in apis
    providers = corral("list-providers", "inference").stdout
    assert "remote::ollama" in providers and "remote::vllm" in providers
    bad = corral("list-providers", "inferenz")
    assert bad.returncode == 2 and "unknown API" in bad.stderr


def test_run_env_flag_sets_variables(tmp_path: Path) -> None:
    import httpx

    from tests.fixtures.server import run_server

    config = tmp_path / "env.yaml"
    config.write_text("version: 2\ndistro_name: ${env.DISTRO}\n")
    bad = corral("run", str(config), "--env", "NOEQUALS")
    assert bad.returncode == 2 and "--env expects KEY=VALUE" in bad.stderr
    with run_server(config, tmp_path, extra_args=("--env", "DISTRO=from-flag")) as server:
        assert httpx.get(f"{server.base_url}/v1/health").status_code == 200
