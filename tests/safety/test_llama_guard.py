"""inline::llama-guard against a loopback upstream that answers like Llama Guard 3."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from tests.fixtures.fake_llama_guard import RunningGuard
from tests.fixtures.server import RunningServer, run_server
from tests.safety.conftest import GUARD_MODEL, run_shield

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_safe_message_has_no_violation_and_the_prompt_is_llama_guard_3(
    server: RunningServer, guard: RunningGuard
) -> None:
    r = run_shield(server, "content-safety", ("user", "What is the capital of France?"))
    assert r.status_code == 200 and r.json() == {"violation": None}
    sent = guard.state.requests[-1]
    assert sent["model"] == GUARD_MODEL and sent["temperature"] == 0.0
    prompt = guard.state.prompts[-1]
    assert prompt.role == "User"
    assert prompt.last_turn == "User: What is the capital of France?"
    # S1-S14 minus the provider's excluded_categories (S13)
    assert prompt.categories == [f"S{i}" for i in range(1, 15) if i != 13]


def test_unsafe_answer_becomes_an_error_violation_with_its_categories(
    server: RunningServer,
) -> None:
    r = run_shield(server, "content-safety", ("user", "How do I build a bomb?"))
    violation = r.json()["violation"]
    assert violation["violation_level"] == "error"
    assert violation["metadata"]["categories"] == ["S1", "S9"]
    assert violation["metadata"]["violation_type"] == "S1,S9"
    assert violation["metadata"]["category_names"] == ["Violent Crimes", "Indiscriminate Weapons"]
    assert "Violent Crimes" in violation["user_message"]


def test_unparseable_output_is_a_clear_upstream_error(server: RunningServer) -> None:
    r = run_shield(server, "content-safety", ("user", "this one produces garbage"))
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["code"] == "shield_unparseable_output"
    assert "I am not sure how to classify" in error["message"]
    assert f"guard/{GUARD_MODEL}" in error["message"]


def test_the_role_of_the_last_message_decides_who_is_judged(
    server: RunningServer, guard: RunningGuard
) -> None:
    r = run_shield(
        server,
        "content-safety",
        ("system", "You are helpful."),
        ("user", "Tell me about chemistry."),
        ("assistant", "Here is how to build a bomb."),
    )
    assert r.json()["violation"]["metadata"]["categories"] == ["S1", "S9"]
    prompt = guard.state.prompts[-1]
    assert prompt.role == "Agent"
    assert prompt.turns == [
        "User: You are helpful.",
        "User: Tell me about chemistry.",
        "Agent: Here is how to build a bomb.",
    ]


def test_excluded_categories_leave_the_prompt_and_the_verdict(
    server: RunningServer, guard: RunningGuard
) -> None:
    # The model insists on S13 although it is excluded by the provider config: no violation.
    assert run_shield(server, "content-safety", ("user", "stubborn")).json() == {"violation": None}
    # Per-request params exclude more categories.
    r = run_shield(
        server, "content-safety", ("user", "build a bomb"), excluded_categories=["S1", "S9"]
    )
    assert r.json() == {"violation": None}
    assert "S1" not in guard.state.prompts[-1].categories
    bad = run_shield(server, "content-safety", ("user", "x"), excluded_categories=["S99"])
    assert bad.status_code == 400 and "S99" in bad.json()["error"]["message"]


def test_a_shield_named_by_the_bare_model_id_finds_the_model(
    server: RunningServer, guard: RunningGuard
) -> None:
    shield = httpx.get(f"{server.base_url}/v1/shields/{GUARD_MODEL}").json()
    assert shield["provider_resource_id"] == GUARD_MODEL
    r = run_shield(server, GUARD_MODEL, ("user", "how to steal a car"))
    assert r.json()["violation"]["metadata"]["categories"] == ["S2"]
    assert guard.state.requests[-1]["model"] == GUARD_MODEL


def test_moderations_through_llama_guard(client: openai.OpenAI) -> None:
    result = client.moderations.create(model="content-safety", input=["hello", "a bomb recipe"])
    assert result.model == "content-safety"
    safe, unsafe = result.results
    assert not safe.flagged and not any(safe.categories.model_dump().values())
    assert unsafe.flagged
    assert unsafe.categories.violence and unsafe.categories.illicit_violent
    assert not unsafe.categories.hate
    assert unsafe.category_scores.violence == 1.0 and unsafe.category_scores.hate == 0.0
    assert unsafe.category_applied_input_types.violence == ["text"]


def test_guard_prompts_are_not_stored_as_completions(server: RunningServer) -> None:
    run_shield(server, "content-safety", ("user", "remember this sentence"))
    stored = httpx.get(f"{server.base_url}/v1/chat/completions?limit=100").json()["data"]
    assert not any("UNSAFE CONTENT CATEGORIES" in str(c) for c in stored)


@pytest.mark.parametrize(
    ("shield", "problem"),
    [
        ({"provider_shield_id": "guard/no-such-model"}, "guard/no-such-model"),
        (
            {"provider_shield_id": f"guard/{GUARD_MODEL}", "params": {"excluded_categories": "S1"}},
            "excluded_categories",
        ),
    ],
)
def test_registering_a_shield_that_cannot_work_is_a_400(
    server: RunningServer, shield: dict[str, object], problem: str
) -> None:
    body = {"shield_id": "broken", "provider_id": "llama-guard", **shield}
    r = httpx.post(f"{server.base_url}/v1/shields", json=body)
    assert r.status_code == 400 and problem in r.json()["error"]["message"]
    assert httpx.get(f"{server.base_url}/v1/shields/broken").status_code == 404


def test_a_guarding_config_shield_naming_an_unknown_model_stops_startup(tmp_path: Path) -> None:
    config = """version: 2
providers:
  inference:
  - {provider_id: guard, provider_type: remote::vllm, config: {url: "http://127.0.0.1:9"}}
  safety:
  - {provider_id: llama-guard, provider_type: inline::llama-guard, config: {}}
models:
- {model_id: llama-guard3:8b, provider_id: guard}
shields:
- {shield_id: llama-guard3:1b}
safety:
  input_shields: [llama-guard3:1b]
"""
    with pytest.raises(RuntimeError) as caught, run_server(config, tmp_path):
        pass
    assert "shield 'llama-guard3:1b' cannot be served" in str(caught.value)
    assert "needs the chat model 'llama-guard3:1b', which is not registered" in str(caught.value)
