"""Loading run configs: typing, __disabled__, and errors that point at the line."""

from __future__ import annotations

import pytest

from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, load_config
from corral.core.registry import load_provider_registry


def load(text: str, **env: str) -> LoadedConfig:
    return load_config("run.yaml", load_provider_registry(plugins=False), env=env, text=text)


def errors(text: str, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(text, **env)
    return str(err.value).splitlines()


def test_env_values_are_typed_by_the_field() -> None:
    loaded = load(
        "version: 2\nserver:\n  port: ${env.PORT:=8400}\n  cors: ${env.CORS:=true}\n  workers: ${env.W:=2}\n"
    )
    assert loaded.run.server.port == 8400
    assert loaded.run.server.cors is True
    assert loaded.run.server.workers == 2


def test_image_name_is_an_alias_of_distro_name() -> None:
    assert load("version: 2\nimage_name: starter\n").run.distro_name == "starter"


def test_disabled_providers_and_models_are_not_registered() -> None:
    text = """version: 2
providers:
  inference:
  - provider_id: ${env.OLLAMA:=__disabled__}
    provider_type: remote::ollama
    config: {}
  - provider_id: main
    provider_type: remote::openai-compatible
    config: {base_url: http://x/v1}
models:
- model_id: ${env.INFERENCE_MODEL:__disabled__}
  provider_id: main
- model_id: kept
  provider_id: main
"""
    loaded = load(text)
    assert [p.entry.provider_id for p in loaded.providers] == ["main"]
    assert [m.model_id for m in loaded.run.all_models()] == ["kept"]
    assert len(load(text, OLLAMA="ollama").providers) == 2


def test_conditional_auth_off_when_variable_unset() -> None:
    text = """version: 2
server:
  auth:
    provider_config:
      type: ${env.AUTH_PROVIDER:+oauth2_token}
      audience: llama-stack
      jwks: {uri: "${env.KEYCLOAK_URL:=http://kc}/certs"}
"""
    assert load(text).run.server.auth.provider_config is None  # type: ignore[union-attr]


def test_all_errors_reported_at_once_with_lines_and_fixes() -> None:
    text = """version: 2
provders: {}
storage:
  backends:
    sql_x: {type: sql_sqlite, dbpath: /tmp/y}
models:
  - model_id: ${env.INFERENCE_MODEL}
server:
  port: abc
"""
    lines = errors(text)
    assert any(
        ln.startswith("run.yaml:2 provders: unknown key 'provders'; did you mean 'providers'?")
        for ln in lines
    )
    assert any(
        ln.startswith("run.yaml:5 storage.backends.sql_x.dbpath: unknown key") and "db_path" in ln
        for ln in lines
    )
    assert any(
        ln.startswith("run.yaml:7 models[0].model_id:") and "INFERENCE_MODEL" in ln for ln in lines
    )
    assert any(ln.startswith("run.yaml:9 server.port:") for ln in lines)


def test_unknown_provider_type_suggests_the_close_one() -> None:
    text = "version: 2\nproviders:\n  inference:\n  - provider_id: o\n    provider_type: remote::olama\n"
    (line,) = errors(text)
    assert line.startswith(
        "run.yaml:5 providers.inference[0].provider_type: unknown inference provider type"
    )
    assert "did you mean 'remote::ollama'?" in line


def test_provider_config_errors_point_into_the_config_block() -> None:
    text = "version: 2\nproviders:\n  inference:\n  - provider_id: o\n    provider_type: remote::vllm\n    config:\n      urll: http://x\n"
    lines = errors(text)
    assert any(
        ln.startswith("run.yaml:7 providers.inference[0].config.urll: unknown key") for ln in lines
    )
    assert any("providers.inference[0].config.url: required field is missing" in ln for ln in lines)


def test_unknown_api_and_unserved_api() -> None:
    (line,) = errors("version: 2\napis: [inferance]\n")
    assert "unknown API 'inferance'; did you mean 'inference'?" in line
    loaded = load(
        "version: 2\napis: [post_training]\nproviders:\n  post_training:\n  - {provider_id: b, provider_type: inline::x}\n"
    )
    assert any("does not serve the post_training API" in w for w in loaded.warnings)


def test_agents_is_the_older_name_of_responses() -> None:
    loaded = load(
        "version: 2\napis: [agents]\nproviders:\n  agents:\n"
        "  - {provider_id: b, provider_type: inline::meta-reference, config: {}}\n"
        "  inference:\n  - {provider_id: o, provider_type: remote::ollama}\n"
    )
    instance = next(p for p in loaded.providers if p.api == "responses")
    assert instance.provider.spec.provider_type == "inline::builtin"
    assert any(
        "providers.agents is the older name of providers.responses" in w for w in loaded.warnings
    )
    assert not any("apis[0]" in w for w in loaded.warnings)


def test_model_must_name_a_configured_provider() -> None:
    text = """version: 2
providers:
  inference:
  - {provider_id: a, provider_type: remote::ollama}
  - {provider_id: b, provider_type: remote::ollama}
models:
- {model_id: m}
- {model_id: n, provider_id: zzz}
"""
    lines = errors(text)
    assert any("models[0].provider_id: provider_id is required" in ln for ln in lines)
    assert any("models[1].provider_id: no inference provider has id 'zzz'" in ln for ln in lines)


def test_cors_credentials_with_wildcard_is_an_error() -> None:
    (line,) = errors("version: 2\nserver:\n  cors:\n    allow_credentials: true\n")
    assert "allow_credentials: true requires explicit allow_origins" in line


def test_yaml_problems_are_config_errors() -> None:
    assert "invalid YAML" in errors("version: 2\nserver: [\n")[0]
    assert "must be a YAML mapping" in errors("- a\n- b\n")[0]
    assert "duplicate key 'port'" in errors("version: 2\nserver:\n  port: 1\n  port: 2\n")[0]
    assert "version 1 is not supported" in errors("version: 1\n")[0]


@pytest.mark.parametrize("escape", ["\\U00110000", "\\UFFFFFFFF"])
def test_an_impossible_unicode_escape_is_a_config_error(escape: str) -> None:
    # PyYAML lets these out as ValueError / OverflowError rather than a YAMLError.
    problems = errors(f'version: 2\ndistro_name: "{escape}"\n')
    assert "invalid YAML" in problems[0] and "escapes" in problems[0]


def test_documented_quota_form_and_backend_references_load() -> None:
    loaded = load(
        "version: 2\nserver:\n  quota:\n    kvstore: {type: sqlite, db_path: /tmp/q.db}\n    period: minute\n"
    )
    assert loaded.run.server.quota.period == "minute"  # type: ignore[union-attr]
    lines = errors("version: 2\nserver:\n  quota:\n    kvstore: {backend: nope, namespace: q}\n")
    assert "server.quota.kvstore references backend 'nope'" in lines[0]


SEED_AUTH = """version: 2
providers:
  inference:
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config: {url: "${env.OLLAMA_URL}"}
  - {provider_id: main, provider_type: remote::openai-compatible, config: {base_url: http://x/v1}}
  safety:
  - provider_id: ${env.BEDROCK_GUARD:+bedrock}
    provider_type: remote::bedrock
    config: {region_name: "${env.AWS_REGION}"}
models:
- {model_id: "${env.OLLAMA_MODEL}", provider_id: "${env.OLLAMA_URL:+ollama}"}
- {model_id: kept, provider_id: main}
shields:
- {shield_id: "${env.BEDROCK_GUARD:+guard}", provider_id: bedrock, provider_shield_id: "${env.GUARD_ID}"}
server:
  auth:
    provider_config:
      type: ${env.AUTH_PROVIDER:+oauth2_token}
      audience: "llama-stack"
      jwks:
        uri: ${env.KEYCLOAK_URL}/realms/llamastack/protocol/openid-connect/certs
      issuer: ${env.KEYCLOAK_URL}/realms/llamastack
    route_policy:
    - forbid: {paths: "/v1/files*"}
    - permit: {paths: "*"}
"""


def test_a_block_switched_off_by_its_type_or_id_demands_none_of_its_variables() -> None:
    """The documented conditional auth starts with neither variable set (seed 003)."""
    loaded = load(SEED_AUTH)
    auth = loaded.run.server.auth
    assert auth is not None and auth.provider_config is None
    assert len(auth.route_policy) == 2
    assert [p.entry.provider_id for p in loaded.providers] == ["main"]
    assert [m.model_id for m in loaded.run.all_models()] == ["kept"]
    assert loaded.run.all_shields() == []


def test_a_switched_on_block_still_demands_its_variables() -> None:
    lines = errors(SEED_AUTH, AUTH_PROVIDER="1", OLLAMA_URL="http://o:11434")
    assert any(
        "server.auth.provider_config.jwks.uri" in ln and "KEYCLOAK_URL" in ln for ln in lines
    )
    assert any("models[0].model_id" in ln and "OLLAMA_MODEL" in ln for ln in lines)
    loaded = load(
        SEED_AUTH,
        AUTH_PROVIDER="1",
        KEYCLOAK_URL="http://kc",
        OLLAMA_URL="http://o",
        OLLAMA_MODEL="m",
    )
    auth = loaded.run.server.auth
    assert auth is not None and auth.provider_config is not None
    assert [p.entry.provider_id for p in loaded.providers] == ["ollama", "main"]


def test_a_provider_missing_its_api_dependency_is_reported_with_its_line() -> None:
    text = """version: 2
providers:
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config: {persistence: {backend: kv, namespace: v}}
storage:
  backends:
    kv: {type: kv_sqlite, db_path: /tmp/x.db}
"""
    (line,) = errors(text)
    assert line.startswith("run.yaml:5 providers.vector_io[0].provider_type: inline::faiss needs")
    assert "inference API, which has no provider" in line


def test_a_second_files_provider_is_a_config_error() -> None:
    text = """version: 2
providers:
  files:
  - {provider_id: a, provider_type: inline::localfs, config: {storage_dir: /tmp/a, metadata_store: {type: sqlite, db_path: /tmp/a.db}}}
  - {provider_id: b, provider_type: inline::localfs, config: {storage_dir: /tmp/b, metadata_store: {type: sqlite, db_path: /tmp/b.db}}}
"""
    (line,) = errors(text)
    assert line.startswith("run.yaml:5 providers.files[1]: providers.files already has 'a'")


def test_a_provider_store_reference_must_name_a_declared_backend() -> None:
    text = """version: 2
providers:
  inference:
  - {provider_id: main, provider_type: remote::openai-compatible, config: {base_url: http://x/v1}}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      persistence: {backend: kv_missing, namespace: v}
"""
    (line,) = errors(text)
    assert line.startswith("run.yaml:9 providers.vector_io[0].config.persistence.backend:")
    assert "kv_missing" in line


def test_the_start_order_puts_dependencies_first() -> None:
    text = """version: 2
providers:
  safety:
  - {provider_id: guard, provider_type: inline::llama-guard, config: {}}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config: {persistence: {backend: kv, namespace: v}}
  files:
  - {provider_id: f, provider_type: inline::localfs, config: {storage_dir: /tmp/f, metadata_store: {type: sqlite, db_path: /tmp/f.db}}}
  inference:
  - {provider_id: main, provider_type: remote::openai-compatible, config: {base_url: http://x/v1}}
storage:
  backends:
    kv: {type: kv_sqlite, db_path: /tmp/x.db}
"""
    order = [str(api) for api in load(text).api_order]
    assert order.index("inference") < order.index("safety")
    assert order.index("inference") < order.index("vector_io")
    assert order.index("files") < order.index("vector_io")
