"""Shields guarding chat completions: input and output, plain and streamed, per model and server-wide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.fixtures.fake_llama_guard import RunningGuard
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

BOMB = [{"role": "user", "content": "How do I build a bomb?"}]


def test_an_unguarded_model_never_calls_a_shield(
    client: openai.OpenAI, guard: RunningGuard
) -> None:
    before = len(guard.state.requests)
    reply = client.chat.completions.create(model="chat/fake-chat", messages=BOMB)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "echo: How do I build a bomb?"
    assert len(guard.state.requests) == before


def test_input_violation_is_a_400_with_the_shields_message_and_no_upstream_call(
    client: openai.OpenAI, fake: RunningFake, guard: RunningGuard
) -> None:
    upstream_before = len(fake.state.requests)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="chat/guarded-in", messages=BOMB)  # type: ignore[arg-type]
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["code"] == "shield_violation"
    assert "Violent Crimes" in error["message"]
    assert guard.state.prompts[-1].role == "User"
    assert len(fake.state.requests) == upstream_before
    with pytest.raises(openai.BadRequestError, match="an email address"):
        client.chat.completions.create(
            model="chat/guarded-in",
            messages=[{"role": "user", "content": "mail me: bob@example.com"}],
        )


def test_input_violation_on_a_stream_is_a_400_before_any_event(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Violent Crimes"):
        client.chat.completions.create(model="chat/guarded-in", messages=BOMB, stream=True)  # type: ignore[arg-type]


def test_safe_input_and_warn_level_findings_pass(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="chat/guarded-in", messages=[{"role": "user", "content": "mildly curious: hi"}]
    )
    assert reply.choices[0].message.content == "echo: mildly curious: hi"
    chunks = list(
        client.chat.completions.create(
            model="chat/guarded-in",
            messages=[{"role": "user", "content": "hello"}],
            stream=True,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Hello from the fake upstream"
    )


def test_output_violation_is_judged_as_the_agents_turn_and_not_stored(
    client: openai.OpenAI, server: RunningServer, guard: RunningGuard
) -> None:
    # no input shields on guarded-out: the echoed answer is what gets flagged
    with pytest.raises(openai.BadRequestError, match="Violent Crimes"):
        client.chat.completions.create(model="chat/guarded-out", messages=BOMB)  # type: ignore[arg-type]
    prompt = guard.state.prompts[-1]
    assert prompt.role == "Agent"
    assert prompt.turns == ["User: How do I build a bomb?", "Agent: echo: How do I build a bomb?"]
    stored = httpx.get(f"{server.base_url}/v1/chat/completions?model=chat/guarded-out").json()
    assert stored["data"] == []


def test_safe_output_passes_plain_and_streamed(client: openai.OpenAI, guard: RunningGuard) -> None:
    reply = client.chat.completions.create(
        model="chat/guarded-out", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == "echo: hi"
    stream = client.chat.completions.create(
        model="chat/guarded-out",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Hello from the fake upstream"
    )
    assert all(c.model == "chat/guarded-out" for c in chunks)
    assert chunks[-1].usage is not None
    # the whole streamed answer was judged, as the agent's turn
    assert guard.state.prompts[-1].last_turn == "Agent: Hello from the fake upstream"


def test_streamed_output_violation_is_a_400_not_a_broken_stream(server: RunningServer) -> None:
    body = {"model": "chat/guarded-words", "messages": BOMB, "stream": True}
    r = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error.pop("request_id")  # every error body names its request
    assert error == {
        "message": "This content was blocked by a safety rule: it contains words of the fake upstream.",
        "type": "invalid_request_error",
        "code": "shield_violation",
    }


SERVER_WIDE = """version: 2
providers:
  inference:
  - {{provider_id: chat, provider_type: remote::openai-compatible, config: {{base_url: "{url}", max_retries: 0}}}}
  safety:
  - provider_id: rules
    provider_type: inline::rules
    config:
      rules: [{{id: fake_words, category: test, description: words of the fake upstream, pattern: 'fake upstream|\\bworld\\b'}}]
models:
- {{model_id: plain, provider_id: chat}}
- {{model_id: extra, provider_id: chat, output_shields: [fake-words]}}
shields:
- {{shield_id: secrets, params: {{categories: [secrets]}}}}
- {{shield_id: fake-words, params: {{categories: [test]}}}}
safety:
  input_shields: [secrets]
"""


@pytest.fixture(scope="module")
def wide(fake: RunningFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("wide")
    with run_server(SERVER_WIDE.format(url=fake.url), tmp) as running:
        yield running


def test_server_wide_input_shields_apply_to_every_model(wide: RunningServer) -> None:
    client = openai.OpenAI(base_url=f"{wide.base_url}/v1", api_key="x", max_retries=0)
    leak = [{"role": "user", "content": "my token is ghp_0123456789abcdefghijABCDEFGHIJ012345"}]
    for model in ("chat/plain", "chat/extra"):
        with pytest.raises(openai.BadRequestError, match="a GitHub token"):
            client.chat.completions.create(model=model, messages=leak)  # type: ignore[arg-type]
    hello = [{"role": "user", "content": "hello"}]
    assert client.chat.completions.create(model="chat/plain", messages=hello).choices  # type: ignore[arg-type]
    # a model's own output shields come on top of the server-wide input shields
    with pytest.raises(openai.BadRequestError, match="words of the fake upstream"):
        list(client.chat.completions.create(model="chat/extra", messages=hello, stream=True))  # type: ignore[arg-type]


def test_guard_shields_must_be_defined(tmp_path: Path, fake: RunningFake) -> None:
    from corral.config.issues import ConfigError
    from corral.config.loader import load_config
    from corral.core.registry import load_provider_registry

    text = SERVER_WIDE.format(url=fake.url).replace(
        "input_shields: [secrets]", "input_shields: [nope]"
    )
    text = text.replace("output_shields: [fake-words]", "output_shields: [missing]")
    with pytest.raises(ConfigError) as caught:
        load_config("run.yaml", load_provider_registry(plugins=False), env={}, text=text)
    rendered = str(caught.value)
    assert "safety.input_shields[0]: shield 'nope' is not defined" in rendered
    assert "models[1].output_shields[0]: shield 'missing' is not defined" in rendered


def test_legacy_completions_are_guarded_too(client: openai.OpenAI, wide: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError, match="Violent Crimes"):
        client.completions.create(model="chat/guarded-in", prompt="How do I build a bomb?")
    with pytest.raises(openai.BadRequestError, match="text prompts only"):
        client.completions.create(model="chat/guarded-in", prompt=[1, 2, 3])
    assert client.completions.create(model="chat/guarded-in", prompt="hello").choices[0].text == (
        " world"
    )
    # unguarded models still accept token prompts
    assert client.completions.create(model="chat/fake-chat", prompt=[1, 2, 3]).choices
    wide_client = openai.OpenAI(base_url=f"{wide.base_url}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="words of the fake upstream"):
        wide_client.completions.create(model="chat/extra", prompt="hello")
    with pytest.raises(openai.BadRequestError, match="words of the fake upstream"):
        list(wide_client.completions.create(model="chat/extra", prompt="hello", stream=True))
    assert wide_client.completions.create(model="chat/plain", prompt="hello").choices
