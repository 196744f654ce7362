"""The web_search tool with the Tavily, Brave and Bing providers, against loopback stubs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.fixtures.fake_search import GOOD_KEY, PAGES, RunningSearch, run_fake_search
from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import RunningServer, run_server
from tests.responses.conformance import EVENT, RESPONSE, violations
from tests.tools.conftest import tools_config

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

PROVIDERS = {
    "tavily": "remote::tavily-search",
    "brave": "remote::brave-search",
    "bing": "remote::bing-search",
}


@pytest.fixture(scope="module")
def search() -> Iterator[RunningSearch]:
    with run_fake_search() as running:
        yield running


def runtime(service: str, search: RunningSearch, key: str | None) -> str:
    config = {"base_url": search.url, "max_results": 2}
    if key is not None:
        config["api_key"] = key
    return f"""  tool_runtime:
  - provider_id: {service}
    provider_type: {PROVIDERS[service]}
    config: {json.dumps(config)}"""


GROUP = "tool_groups:\n- {{toolgroup_id: builtin::websearch, provider_id: {service}}}\n"


@pytest.fixture(scope="module", params=list(PROVIDERS))
def searching(
    request: pytest.FixtureRequest,
    script: RunningScript,
    search: RunningSearch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, RunningServer]]:
    service = str(request.param)
    tmp = tmp_path_factory.mktemp(service)
    text = tools_config(
        script.url,
        tmp,
        GROUP.format(service=service),
        tool_runtime=runtime(service, search, GOOD_KEY),
    )
    with run_server(text, tmp) as running:
        yield service, running


def create(
    server: RunningServer, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("model", "script/web-citer")
    body.setdefault("tools", [{"type": "web_search"}])
    return httpx.post(f"{server.base_url}/v1/responses", json=body, headers=headers, timeout=30)


def test_search_results_are_cited_as_url_citations(
    searching: tuple[str, RunningServer], search: RunningSearch, script: RunningScript
) -> None:
    service, server = searching
    response = create(server, input="what is corral")
    assert response.status_code == 200, response.text
    done = response.json()
    call, message = done["output"]
    assert call["type"] == "web_search_call" and call["status"] == "completed"
    assert call["action"]["query"] == "what is corral"
    assert [s["url"] for s in call["action"]["sources"]] == [PAGES[0][1], PAGES[1][1]]
    assert search.seen[-1] == (service, GOOD_KEY, "what is corral", 2)
    part = message["content"][0]
    assert part["text"] == "Corral serves models. That is all."
    (citation,) = part["annotations"]
    assert citation == {
        "type": "url_citation",
        "url": PAGES[0][1],
        "title": PAGES[0][0],
        "start_index": 0,
        "end_index": len("Corral serves models"),
    }
    shown = script.llm.requests[-1]["messages"][-1]["content"]
    assert "<|url-1|> Corral (https://corral.example/about)" in shown
    assert PAGES[0][2] in shown


def test_a_failing_search_is_a_failed_item(searching: tuple[str, RunningServer]) -> None:
    _, server = searching
    done = create(server, input="explode").json()
    call = done["output"][0]
    assert call["status"] == "failed"
    assert done["status"] == "completed"


def test_the_tool_group_is_listed_by_v1_tools(searching: tuple[str, RunningServer]) -> None:
    _, server = searching
    tools = httpx.get(f"{server.base_url}/v1/tools", timeout=10).json()["data"]
    web = [t for t in tools if t["toolgroup_id"] == "builtin::websearch"]
    assert [t["name"] for t in web] == ["web_search"]
    only = httpx.get(
        f"{server.base_url}/v1/tools", params={"toolgroup_id": "builtin::websearch"}, timeout=10
    ).json()["data"]
    assert [t["name"] for t in only] == ["web_search"]
    missing = httpx.get(f"{server.base_url}/v1/tools", params={"toolgroup_id": "x"}, timeout=10)
    assert missing.status_code == 404


def test_dated_variants_and_forcing_the_tool(
    searching: tuple[str, RunningServer], script: RunningScript
) -> None:
    _, server = searching
    for kind in ("web_search_preview", "web_search_preview_2025_03_11", "web_search_2025_08_26"):
        done = create(
            server, input="corral", tools=[{"type": kind}], tool_choice={"type": kind}
        ).json()
        assert done["output"][0]["type"] == "web_search_call", kind
        assert script.llm.requests[-2]["tool_choice"] == {
            "type": "function",
            "function": {"name": "web_search"},
        }


def test_streamed_search_events(searching: tuple[str, RunningServer]) -> None:
    _, server = searching
    body = {
        "model": "script/web-citer",
        "input": "corral",
        "tools": [{"type": "web_search"}],
        "stream": True,
    }
    with httpx.stream("POST", f"{server.base_url}/v1/responses", json=body, timeout=30) as r:
        events = [orjson.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    types = [e["type"] for e in events]
    expected = [
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_text.annotation.added",
        "response.completed",
    ]
    positions = [types.index(t) for t in expected]
    assert positions == sorted(positions)
    problems = [p for event in events for p in violations(EVENT, event, event["type"])]
    assert problems == []
    assert violations(RESPONSE, events[-1]["response"]) == []
    annotation = events[types.index("response.output_text.annotation.added")]["annotation"]
    assert annotation["type"] == "url_citation" and annotation["url"] == PAGES[0][1]


def test_the_key_may_come_from_provider_data(
    script: RunningScript, search: RunningSearch, tmp_path: Path
) -> None:
    text = tools_config(script.url, tmp_path, tool_runtime=runtime("brave", search, None))
    with run_server(text, tmp_path) as server:
        header = {"X-LlamaStack-Provider-Data": json.dumps({"brave_search_api_key": GOOD_KEY})}
        done = create(server, headers=header, input="corral").json()
        assert done["output"][0]["status"] == "completed"
        assert search.seen[-1][:2] == ("brave", GOOD_KEY)
        without = create(server, input="corral").json()
        call = without["output"][0]
        assert call["status"] == "failed" and without["status"] == "completed"
        assert GOOD_KEY not in server.log()


def test_without_a_search_provider_web_search_is_a_400(
    script: RunningScript, tmp_path: Path
) -> None:
    with run_server(tools_config(script.url, tmp_path), tmp_path) as server:
        refused = create(server, input="corral")
        assert refused.status_code == 400
        assert "web search provider" in refused.json()["error"]["message"]
