"""Every ``${env...}`` form and its edge cases."""

from __future__ import annotations

import pytest

from corral.config.envsubst import substitute_env
from corral.config.redact import is_secret_name


def sub(value: object, **env: str) -> object:
    result, issues = substitute_env({"k": value}, env)
    assert issues == []
    return result.get("k", "<dropped>")


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${env.X}", {"X": "v"}, "v"),
        ("${env.X:=d}", {}, "d"),
        ("${env.X:=d}", {"X": ""}, "d"),
        ("${env.X:=d}", {"X": "set"}, "set"),
        ("${env.X:=}", {}, "<dropped>"),
        ("${env.X:d}", {}, "d"),  # older spelling of :=
        ("${env.X:__disabled__}", {}, "__disabled__"),
        ("${env.X:+on}", {"X": "1"}, "on"),
        ("${env.X:+on}", {}, "<dropped>"),
        ("${env.X:+on}", {"X": ""}, "<dropped>"),
        ("${env.X:+}", {"X": "1"}, "<dropped>"),
        ("${env.D:=~/.corral}/kv.db", {}, "~/.corral/kv.db"),
        ("http://${env.H:=localhost}:${env.P:=8000}/v1", {"P": "9"}, "http://localhost:9/v1"),
        ("pre-${env.X:+on}-post", {}, "pre--post"),
        ("${env.PORT:=8321}", {}, "8321"),
        ("no expressions", {}, "no expressions"),
        (42, {}, 42),
        (None, {}, None),
    ],
)
def test_forms(value: object, env: dict[str, str], expected: object) -> None:
    assert sub(value, **env) == expected


def test_missing_required_variable_names_it_and_its_path() -> None:
    data, issues = substitute_env({"models": [{"model_id": "${env.INFERENCE_MODEL}"}]}, {})
    assert len(issues) == 1
    assert issues[0].path == ("models", 0, "model_id")
    assert "INFERENCE_MODEL" in issues[0].problem and "required" in issues[0].problem


def test_none_values_drop_list_items_but_keep_literals() -> None:
    data, _ = substitute_env({"apis": ["inference", "${env.S:+safety}", None]}, {})
    assert data == {"apis": ["inference", None]}


def test_malformed_expression_is_reported() -> None:
    _, issues = substitute_env({"url": "http://${env.X"}, {})
    assert issues and "malformed" in issues[0].problem


def test_an_identifier_that_resolves_to_nothing_disables_its_entry() -> None:
    data, issues = substitute_env(
        {
            "providers": {
                "inference": [
                    {"provider_id": "${env.OLLAMA_URL:+ollama}", "provider_type": "remote::ollama"}
                ]
            },
            "shields": [{"shield_id": "${env.SAFETY_MODEL:=}"}],
        },
        {},
    )
    assert issues == []
    assert data["providers"]["inference"][0]["provider_id"] == "__disabled__"
    assert data["shields"][0]["shield_id"] == "__disabled__"
    on, _ = substitute_env({"p": {"provider_id": "${env.OLLAMA_URL:+ollama}"}}, {"OLLAMA_URL": "u"})
    assert on == {"p": {"provider_id": "ollama"}}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_key", True),
        ("api_token", True),
        ("token", True),
        ("client_secret", True),
        ("password", True),
        ("max_tokens", False),
        ("default_max_tokens", False),
        ("tokenizer", False),
    ],
)
def test_secret_names_are_credentials_not_token_counts(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
