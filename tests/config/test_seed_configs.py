"""The run-config blocks of the reference documents load on corral unchanged."""

from __future__ import annotations

import pytest
import yaml

from corral.config.auth import AuthConfig
from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig, load_config
from corral.config.server import CORSConfig, ServerConfig
from corral.core.registry import load_provider_registry

SEED_EXAMPLE = """
version: 2
apis:
- agents
- inference
- vector_io
- safety
providers:
  inference:
  - provider_id: ollama
    provider_type: remote::ollama
    config:
      url: ${env.OLLAMA_URL:=http://localhost:11434}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      kvstore:
        type: sqlite
        namespace: null
        db_path: ${env.SQLITE_STORE_DIR:=~/.llama/distributions/ollama}/faiss_store.db
  safety:
  - provider_id: llama-guard
    provider_type: inline::llama-guard
    config: {}
  agents:
  - provider_id: builtin
    provider_type: inline::builtin
    config:
      persistence:
        agent_state: {backend: kv_default, namespace: agents}
        responses: {backend: sql_default, table_name: responses}
storage:
  backends:
    kv_default:
      type: kv_sqlite
      db_path: ${env.SQLITE_STORE_DIR:=~/.llama/distributions/ollama}/kvstore.db
    sql_default:
      type: sql_sqlite
      db_path: ${env.SQLITE_STORE_DIR:=~/.llama/distributions/ollama}/sqlstore.db
  stores:
    metadata: {backend: kv_default, namespace: registry}
    inference: {backend: sql_default, table_name: inference_store, max_write_queue_size: 10000, num_writers: 4}
    conversations: {backend: sql_default, table_name: openai_conversations}
    prompts: {backend: kv_default, namespace: prompts}
models:
- metadata: {}
  model_id: ${env.INFERENCE_MODEL}
  provider_id: ollama
  provider_model_id: null
shields: []
server:
  port: 8321
"""

AUTH_BLOCKS = [
    {
        "provider_config": {
            "type": "oauth2_token",
            "jwks": {"uri": "https://my-token-issuing-svc.com/jwks"},
        }
    },
    {
        "provider_config": {
            "type": "oauth2_token",
            "jwks": {"uri": "https://k/openid/v1/jwks", "token": "t", "key_recheck_period": 3600},
            "tls_cafile": "/path/to/ca.crt",
            "issuer": "https://k",
            "audience": "https://k",
        }
    },
    {
        "provider_config": {
            "type": "kubernetes",
            "api_server_url": "https://kubernetes.default.svc",
            "claims_mapping": {"username": "roles", "groups": "roles", "uid": "uid_attr"},
            "verify_tls": True,
            "tls_cafile": "/path/to/ca.crt",
        }
    },
    {
        "provider_config": {
            "type": "github_token",
            "github_api_base_url": "https://api.github.com",
        },
        "access_policy": [
            {
                "permit": {"principal": "user-1", "actions": ["create", "read", "delete"]},
                "description": "user-1 has full access to all resources",
            },
            {
                "permit": {
                    "principal": "user-2",
                    "actions": ["read"],
                    "resource": "model::model-1",
                },
                "description": "user-2 has read access to model-1 only",
            },
        ],
    },
    {"provider_config": {"type": "custom", "endpoint": "https://auth.example.com/validate"}},
    {
        "access_policy": [
            {"permit": {"actions": ["read"], "resource": "model::*"}},
            {
                "forbid": {"actions": ["create", "delete"], "resource": "model::*"},
                "unless": "user with admin in roles",
            },
            {"permit": {"actions": ["create", "read", "delete"]}, "when": "user is owner"},
            {"permit": {"actions": ["read"]}, "when": "user in owner teams"},
        ]
    },
    {
        "route_policy": [
            {
                "permit": {"paths": ["/v1/health", "/v1/version"]},
                "description": "Public monitoring routes",
            },
            {
                "permit": {"paths": "regex:^/v1/(files|providers|models)(/.*)?$"},
                "when": "user with user in roles",
            },
            {"forbid": {"paths": "*"}, "description": "Deny all other routes by default"},
        ]
    },
]


def load(text: str, **env: str) -> LoadedConfig:
    return load_config("seed.yaml", load_provider_registry(plugins=False), env=env, text=text)


def test_the_reference_example_loads_its_agents_section_as_responses() -> None:
    loaded = load(SEED_EXAMPLE, INFERENCE_MODEL="llama3.2:3b")
    assert [p.entry.provider_type for p in loaded.providers] == [
        "remote::ollama",
        "inline::faiss",
        "inline::llama-guard",
        "inline::builtin",
    ]
    assert loaded.providers[3].api == "responses"
    faiss = loaded.providers[1].config
    assert faiss.kvstore.db_path.endswith("/faiss_store.db")  # type: ignore[attr-defined]
    assert any(
        "providers.agents is the older name of providers.responses" in w for w in loaded.warnings
    )
    assert loaded.run.all_models()[0].model_id == "llama3.2:3b"
    assert loaded.run.storage.stores.inference.num_writers == 4  # type: ignore[union-attr]


def test_the_reference_example_requires_inference_model() -> None:
    with pytest.raises(ConfigError, match="INFERENCE_MODEL is required"):
        load(SEED_EXAMPLE)


@pytest.mark.parametrize("block", AUTH_BLOCKS)
def test_every_documented_auth_block_parses(block: dict[str, object]) -> None:
    AuthConfig.model_validate(block)


def test_documented_cors_and_tls_blocks_parse() -> None:
    cors = CORSConfig.model_validate(
        yaml.safe_load("""
allow_origins: ["https://myapp.com", "https://staging.myapp.com"]
allow_credentials: true
allow_methods: ["GET", "POST", "PUT", "DELETE"]
allow_headers: ["Content-Type", "Authorization"]
allow_origin_regex: "https://.*\\\\.example\\\\.com"
expose_headers: ["X-Total-Count"]
max_age: 86400
""")
    )
    assert cors.max_age == 86400
    defaults = CORSConfig()
    assert (defaults.allow_origins, defaults.allow_methods, defaults.max_age) == (["*"], ["*"], 600)
    server = ServerConfig.model_validate(
        {"port": 8321, "tls_certfile": "/c.pem", "tls_keyfile": "/k.pem", "cors": True}
    )
    assert server.cors_settings().allow_origin_regex  # type: ignore[union-attr]


def test_safety_example_shapes_parse() -> None:
    from tests.safety.test_seed_examples import VLLM_TWO_PROVIDERS

    loaded = load(VLLM_TWO_PROVIDERS, INFERENCE_MODEL="llama3.2:3b", SAFETY_MODEL="llama-guard3:1b")
    assert [m.provider_id for m in loaded.run.all_models()] == ["vllm-0", "vllm-1"]
    shield = loaded.run.all_shields()[0]
    assert (shield.shield_id, shield.provider_id) == ("llama-guard3:1b", "llama-guard")


def test_bedrock_example_parses_and_the_shield_id_defaults_to_the_guardrail() -> None:
    text = """version: 2
providers:
  safety:
  - provider_id: bedrock
    provider_type: remote::bedrock
    config:
      aws_access_key_id: ${env.AWS_ACCESS_KEY_ID}
      aws_secret_access_key: ${env.AWS_SECRET_ACCESS_KEY}
shields:
- provider_id: bedrock
  params:
    guardrailVersion: ${env.GUARDRAIL_VERSION}
  provider_shield_id: ${env.GUARDRAIL_ID}
"""
    loaded = load(
        text,
        AWS_ACCESS_KEY_ID="a",
        AWS_SECRET_ACCESS_KEY="b",
        GUARDRAIL_VERSION="1",
        GUARDRAIL_ID="gr",
    )
    shield = loaded.run.all_shields()[0]
    assert (shield.shield_id, shield.params) == ("gr", {"guardrailVersion": "1"})
