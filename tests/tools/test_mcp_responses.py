"""``mcp`` tools in POST /v1/responses, against real MCP servers on loopback."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import openai
import orjson
import pytest

from tests.fixtures.mcp_servers import RunningMcp
from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import RunningServer, free_port
from tests.responses.conformance import EVENT, RESPONSE, violations

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def create(server: RunningServer, **body: Any) -> httpx.Response:
    body.setdefault("model", "script/caller")
    return httpx.post(f"{server.base_url}/v1/responses", json=body, timeout=30)


def ok(server: RunningServer, **body: Any) -> dict[str, Any]:
    response = create(server, **body)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def kinds(response: dict[str, Any]) -> list[str]:
    return [item["type"] for item in response["output"]]


def mcp(url: str, label: str = "calc", **fields: Any) -> dict[str, Any]:
    return {"type": "mcp", "server_label": label, "server_url": url, **fields}


def text(response: dict[str, Any]) -> str:
    message = response["output"][-1]
    assert message["type"] == "message"
    return str(message["content"][0]["text"])


def test_lists_and_calls_a_tool_by_server_url(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    done = ok(agent_server, input='call add {"a": 2, "b": 3}', tools=[mcp(mcp_server.http_url)])
    assert kinds(done) == ["mcp_list_tools", "mcp_call", "message"]
    listing, call = done["output"][:2]
    assert listing["server_label"] == "calc" and listing["error"] is None
    assert {t["name"] for t in listing["tools"]} == {"add", "whoami", "fail", "nap", "big"}
    add = next(t for t in listing["tools"] if t["name"] == "add")
    assert add["input_schema"]["required"] == ["a", "b"]
    assert call["server_label"] == "calc" and call["name"] == "add"
    assert orjson.loads(call["arguments"]) == {"a": 2, "b": 3}
    assert (call["output"], call["error"], call["status"]) == ("5", None, "completed")
    assert text(done) == "Tool said: 5"
    assert done["status"] == "completed"


def test_a_connector_over_sse_is_used_by_id(agent_server: RunningServer) -> None:
    tool = {"type": "mcp", "server_label": "old", "connector_id": "legacy"}
    done = ok(agent_server, input='call add {"a": 40, "b": 2}', tools=[tool])
    assert kinds(done) == ["mcp_list_tools", "mcp_call", "message"]
    assert done["output"][1]["output"] == "42"
    assert done["tools"][0]["connector_id"] == "legacy"


def test_allowed_tools_limit_what_the_model_sees(
    agent_server: RunningServer, mcp_server: RunningMcp, script: RunningScript
) -> None:
    done = ok(
        agent_server,
        input='call add {"a": 1, "b": 1}',
        tools=[mcp(mcp_server.http_url, allowed_tools=["add", "nap"])],
    )
    assert [t["name"] for t in done["output"][0]["tools"]] == ["add", "nap"]
    offered = {t["function"]["name"] for t in script.llm.requests[-1]["tools"]}
    assert offered == {"add", "nap"}
    as_filter = ok(
        agent_server,
        input="hello",
        tools=[mcp(mcp_server.http_url, allowed_tools={"tool_names": ["big"]})],
    )
    assert [t["name"] for t in as_filter["output"][0]["tools"]] == ["big"]


def test_the_authorization_reaches_the_server_and_is_never_echoed_or_stored(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    secret = "tok-" + "7" * 20
    tool = mcp(mcp_server.http_url, authorization=secret, headers={"X-Trace": "abc"})
    done = ok(agent_server, input="call whoami {}", tools=[tool])
    digest = hashlib.sha256(f"Bearer {secret}".encode()).hexdigest()
    assert done["output"][1]["output"] == f"sha256:{digest}"
    assert "authorization" not in done["tools"][0]
    assert done["tools"][0]["headers"] == {"X-Trace": "<redacted>"}
    stored = httpx.get(f"{agent_server.base_url}/v1/responses/{done['id']}", timeout=10)
    items = httpx.get(f"{agent_server.base_url}/v1/responses/{done['id']}/input_items", timeout=10)
    for body in (orjson.dumps(done).decode(), stored.text, items.text, agent_server.log()):
        assert secret not in body
    refused = create(
        agent_server, input="hi", tools=[mcp(mcp_server.http_url, headers={"Authorization": "x"})]
    )
    assert refused.status_code == 400
    assert "use authorization" in refused.json()["error"]["message"]


def test_a_failing_tool_becomes_an_item_with_an_error(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    done = ok(agent_server, input="call fail {}", tools=[mcp(mcp_server.http_url)])
    call = done["output"][1]
    assert call["status"] == "failed" and call["output"] is None
    assert "broke on purpose" in call["error"]
    assert text(done).startswith("Tool said: Error:")
    assert done["status"] == "completed"


def test_a_slow_tool_times_out_into_an_error_item(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    start = time.monotonic()
    done = ok(agent_server, input='call nap {"seconds": 60}', tools=[mcp(mcp_server.http_url)])
    assert time.monotonic() - start < 15
    call = done["output"][1]
    assert call["status"] == "failed" and "did not answer within 2s" in call["error"]
    assert done["status"] == "completed"


def test_a_server_that_is_down_or_refused_is_a_listing_error(agent_server: RunningServer) -> None:
    for url, reason in (
        (f"http://127.0.0.1:{free_port()}/mcp", "cannot connect"),
        ("http://169.254.169.254/mcp", "link-local"),
    ):
        done = ok(agent_server, model="script/echo", input="hi", tools=[mcp(url)])
        assert kinds(done) == ["mcp_list_tools", "message"]
        assert reason in done["output"][0]["error"]
        assert done["status"] == "completed"


def test_bad_mcp_tools_are_refused_before_anything_runs(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    cases = [
        ({"type": "mcp", "server_label": "x"}, 400, "exactly one of server_url and connector_id"),
        ({"type": "mcp", "server_label": "x", "connector_id": "nope"}, 404, "not found"),
        (mcp("file:///etc/passwd"), 400, "scheme"),
    ]
    for tool, status, message in cases:
        refused = create(agent_server, input="hi", tools=[tool])
        assert refused.status_code == status, refused.text
        assert message in refused.json()["error"]["message"]
    twice = create(agent_server, input="hi", tools=[mcp(mcp_server.http_url)] * 2)
    assert twice.status_code == 400


def test_approval_round_trip(
    agent_server: RunningServer, mcp_server: RunningMcp, script: RunningScript
) -> None:
    tools = [mcp(mcp_server.http_url, require_approval="always")]
    before = mcp_server.calls["add"]
    asked = ok(agent_server, input='call add {"a": 5, "b": 6}', tools=tools)
    assert kinds(asked) == ["mcp_list_tools", "mcp_approval_request"]
    request = asked["output"][1]
    assert (request["server_label"], request["name"]) == ("calc", "add")
    assert orjson.loads(request["arguments"]) == {"a": 5, "b": 6}
    assert mcp_server.calls["add"] == before  # nothing ran yet
    answer = {
        "type": "mcp_approval_response",
        "approval_request_id": request["id"],
        "approve": True,
    }
    done = ok(agent_server, input=[answer], tools=tools, previous_response_id=asked["id"])
    assert kinds(done) == ["mcp_call", "message"]  # the listing is reused, not repeated
    assert done["output"][0]["approval_request_id"] == request["id"]
    assert done["output"][0]["output"] == "11"
    assert text(done) == "Tool said: 11"
    assert mcp_server.calls["add"] == before + 1
    again = create(agent_server, input=[answer], tools=tools, previous_response_id=done["id"])
    assert again.status_code == 400  # answered already


def test_a_denied_call_is_not_run_and_the_model_is_told(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    tools = [mcp(mcp_server.http_url, require_approval={"always": ["add"], "never": ["nap"]})]
    asked = ok(agent_server, input='call add {"a": 1, "b": 2}', tools=tools)
    request = asked["output"][-1]
    assert request["type"] == "mcp_approval_request"
    answer = {
        "type": "mcp_approval_response",
        "approval_request_id": request["id"],
        "approve": False,
        "reason": "not today",
    }
    done = ok(agent_server, input=[answer], tools=tools, previous_response_id=asked["id"])
    assert kinds(done) == ["message"]
    assert text(done) == "Tool said: The user did not approve this tool call: not today"
    unasked = ok(agent_server, input='call nap {"seconds": 0}', tools=tools)
    assert kinds(unasked) == ["mcp_list_tools", "mcp_call", "message"]
    unknown = {**answer, "approval_request_id": "mcpr_nope"}
    bad = create(agent_server, input=[unknown], tools=tools, previous_response_id=asked["id"])
    assert bad.status_code == 400


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    out = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            out.append(orjson.loads(line[6:]))
    return out


def test_streamed_events(agent_server: RunningServer, mcp_server: RunningMcp) -> None:
    body = {
        "model": "script/caller",
        "input": 'call add {"a": 2, "b": 2}',
        "tools": [mcp(mcp_server.http_url)],
        "stream": True,
    }
    with httpx.stream(
        "POST", f"{agent_server.base_url}/v1/responses", json=body, timeout=30
    ) as response:
        events = sse_events(response)
    types = [e["type"] for e in events]
    expected = [
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.completed",
    ]
    positions = [types.index(t) for t in expected]
    assert positions == sorted(positions)
    call_done = [
        e
        for e in events
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "mcp_call"
    ]
    assert call_done[0]["item"]["output"] == "4"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


@pytest.mark.parametrize("stream", [False, True])
def test_a_failure_never_breaks_the_response(agent_server: RunningServer, stream: bool) -> None:
    down = mcp(f"http://127.0.0.1:{free_port()}/sse", label="gone")
    body = {"model": "script/caller", "input": 'call add {"a": 1, "b": 1}', "tools": [down]}
    if not stream:
        done = ok(agent_server, **body)
        assert done["status"] == "completed"
        return
    with httpx.stream(
        "POST", f"{agent_server.base_url}/v1/responses", json={**body, "stream": True}, timeout=30
    ) as response:
        events = sse_events(response)
    assert events[-1]["type"] == "response.completed"
    assert "response.mcp_list_tools.failed" in [e["type"] for e in events]


def test_mcp_responses_and_events_conform(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    """Every object and event against the OpenResponses/OpenAI field rules."""
    cases = [
        ('call add {"a": 1, "b": 2}', [mcp(mcp_server.http_url)]),
        ("call fail {}", [mcp(mcp_server.http_url, headers={"X-A": "b"})]),
        ("call add {}", [mcp(mcp_server.http_url, require_approval="always")]),
        ("hi", [mcp(f"http://127.0.0.1:{free_port()}/mcp")]),
    ]
    for text_in, tools in cases:
        body = {"model": "script/caller", "input": text_in, "tools": tools, "stream": True}
        with httpx.stream(
            "POST", f"{agent_server.base_url}/v1/responses", json=body, timeout=30
        ) as response:
            events = sse_events(response)
        problems = [p for event in events for p in violations(EVENT, event, event["type"])]
        assert problems == [], text_in
        final = events[-1]["response"]
        assert violations(RESPONSE, final) == []
        stored = httpx.get(f"{agent_server.base_url}/v1/responses/{final['id']}", timeout=10)
        assert violations(RESPONSE, stored.json()) == []


def test_the_openai_sdk_reads_mcp_items_and_approvals(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    client = openai.OpenAI(base_url=f"{agent_server.base_url}/v1", api_key="x", max_retries=0)
    tool: Any = mcp(mcp_server.http_url, require_approval={"never": ["add"]})
    done = client.responses.create(
        model="script/caller", input='call add {"a": 3, "b": 4}', tools=[tool]
    )
    listing, call, message = done.output
    assert listing.type == "mcp_list_tools" and {t.name for t in listing.tools} >= {"add"}
    assert call.type == "mcp_call" and call.output == "7"
    assert done.output_text == "Tool said: 7"
    asked = client.responses.create(model="script/caller", input='call big {"n": 3}', tools=[tool])
    request = asked.output[-1]
    assert request.type == "mcp_approval_request" and request.name == "big"
    answer: Any = {
        "type": "mcp_approval_response",
        "approval_request_id": request.id,
        "approve": True,
    }
    follow = client.responses.create(
        model="script/caller", input=[answer], tools=[tool], previous_response_id=asked.id
    )
    assert follow.output[0].type == "mcp_call" and follow.output_text == "Tool said: xxx"


def test_a_listing_is_reused_only_for_the_same_server(
    agent_server: RunningServer, mcp_server: RunningMcp
) -> None:
    first = ok(agent_server, model="script/echo", input="hi", tools=[mcp(mcp_server.http_url)])
    assert kinds(first) == ["mcp_list_tools", "message"]
    same = ok(
        agent_server,
        model="script/echo",
        input="again",
        tools=[mcp(mcp_server.http_url)],
        previous_response_id=first["id"],
    )
    assert kinds(same) == ["message"]  # reused
    moved = ok(
        agent_server,
        model="script/echo",
        input="again",
        tools=[mcp(mcp_server.sse_url)],  # same label, another endpoint
        previous_response_id=same["id"],
    )
    assert kinds(moved) == ["mcp_list_tools", "message"]
