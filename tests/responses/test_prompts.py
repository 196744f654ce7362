"""Prompts: versioned templates over HTTP, and responses that use them."""

from __future__ import annotations

from typing import Any

import httpx
import openai

from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import RunningServer


def _call(
    server: RunningServer, method: str, path: str, body: Any = None, **params: Any
) -> httpx.Response:
    return httpx.request(method, server.base_url + path, json=body, params=params, timeout=10)


def test_prompt_versions(server: RunningServer) -> None:
    created = _call(
        server, "POST", "/v1/prompts", {"prompt": "Hello {{ name }}!", "variables": ["name"]}
    )
    assert created.status_code == 200, created.text
    prompt = created.json()
    prompt_id = prompt["prompt_id"]
    assert prompt_id.startswith("pmpt_") and len(prompt_id) == 5 + 48
    assert prompt["version"] == 1 and prompt["is_default"] is True

    updated = _call(
        server,
        "PUT",
        f"/v1/prompts/{prompt_id}",
        {"prompt": "Hi {{name}}.", "variables": ["name"], "version": 1},
    )
    assert updated.json()["version"] == 2 and updated.json()["is_default"] is True
    stale = _call(server, "PUT", f"/v1/prompts/{prompt_id}", {"prompt": "x", "version": 1})
    assert stale.status_code == 409

    assert _call(server, "GET", f"/v1/prompts/{prompt_id}").json()["prompt"] == "Hi {{name}}."
    assert (
        _call(server, "GET", f"/v1/prompts/{prompt_id}", version=1).json()["prompt"]
        == "Hello {{ name }}!"
    )
    versions = _call(server, "GET", f"/v1/prompts/{prompt_id}/versions").json()["data"]
    assert [(v["version"], v["is_default"]) for v in versions] == [(1, False), (2, True)]

    default = _call(server, "PUT", f"/v1/prompts/{prompt_id}/set-default-version", {"version": 1})
    assert default.json()["version"] == 1 and default.json()["is_default"] is True
    assert _call(server, "GET", f"/v1/prompts/{prompt_id}").json()["version"] == 1
    listed = _call(server, "GET", "/v1/prompts").json()["data"]
    assert {"prompt_id": prompt_id, "version": 1} in [
        {k: p[k] for k in ("prompt_id", "version")} for p in listed
    ]

    assert _call(server, "DELETE", f"/v1/prompts/{prompt_id}").status_code == 200
    assert _call(server, "GET", f"/v1/prompts/{prompt_id}").status_code == 404


def test_prompt_errors(server: RunningServer) -> None:
    undeclared = _call(server, "POST", "/v1/prompts", {"prompt": "Hi {{who}}", "variables": []})
    assert undeclared.status_code == 400 and "who" in undeclared.json()["error"]["message"]
    assert _call(server, "GET", "/v1/prompts/pmpt_" + "0" * 48).status_code == 404
    assert _call(server, "GET", "/v1/prompts/not-a-prompt").status_code == 400
    missing_version = _call(server, "POST", "/v1/prompts", {"prompt": "x"}).json()["prompt_id"]
    assert _call(server, "GET", f"/v1/prompts/{missing_version}", version=7).status_code == 404


def test_a_response_uses_a_prompt(
    client: openai.OpenAI, server: RunningServer, script: RunningScript
) -> None:
    prompt = _call(
        server,
        "POST",
        "/v1/prompts",
        {"prompt": "You help {{user}} with {{topic}}.", "variables": ["user", "topic"]},
    ).json()
    response = client.responses.create(
        model="script/echo",
        input="hi",
        instructions="Be brief.",
        prompt={
            "id": prompt["prompt_id"],
            "variables": {"user": "Ada", "topic": {"type": "input_text", "text": "math"}},
        },
    )
    assert script.llm.requests[-1]["messages"][0] == {
        "role": "system",
        "content": "You help Ada with math.\n\nBe brief.",
    }
    assert response.prompt is not None and response.prompt.id == prompt["prompt_id"]
    assert response.prompt.version == "1"

    missing = httpx.post(
        f"{server.base_url}/v1/responses",
        json={
            "model": "script/echo",
            "input": "hi",
            "prompt": {"id": prompt["prompt_id"], "variables": {"user": "Ada"}},
        },
        timeout=10,
    )
    assert missing.status_code == 400 and "topic" in missing.json()["error"]["message"]
