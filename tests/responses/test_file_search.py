"""file_search inside the loop, end to end: uploads embedded by the real MiniLM, cited answers."""

from __future__ import annotations

import time

import openai
import pytest

from tests.fixtures.scripted_llm import RunningScript

DOCUMENTS = {
    "volcano.txt": "Mount Etna in Sicily is one of the most active volcanoes in Europe; lava "
    "flows from its craters reach the villages of the eastern slopes.",
    "bread.txt": "Sourdough bread rises with a starter of wild yeast and lactic bacteria; the "
    "dough ferments overnight before baking.",
    "chess.txt": "In chess the knight moves in an L shape and can jump over other pieces.",
}


@pytest.fixture(scope="module")
def knowledge(client: openai.OpenAI) -> tuple[str, dict[str, str]]:
    """A vector store holding the three documents, and their file ids by name."""
    ids = {}
    for name, text in DOCUMENTS.items():
        uploaded = client.files.create(file=(name, text.encode()), purpose="assistants")
        ids[name] = uploaded.id
    store = client.vector_stores.create(name="kb", file_ids=list(ids.values()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        counts = client.vector_stores.retrieve(store.id).file_counts
        if counts.completed == len(ids):
            break
        assert counts.failed == 0
        time.sleep(0.1)
    else:
        pytest.fail("files were not ingested in time")
    return store.id, ids


def test_file_search_finds_and_cites_the_right_file(
    client: openai.OpenAI, script: RunningScript, knowledge: tuple[str, dict[str, str]]
) -> None:
    store_id, ids = knowledge
    response = client.responses.create(
        model="script/searcher",
        input="Which volcano sends lava towards villages?",
        tools=[{"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 2}],
        include=["file_search_call.results"],
    )
    assert response.status == "completed"
    search, answer = response.output[0], response.output[-1]
    assert search.type == "file_search_call" and search.status == "completed"
    assert search.queries == ["Which volcano sends lava towards villages?"]
    assert search.results is not None and len(search.results) == 2
    assert search.results[0].file_id == ids["volcano.txt"]
    assert search.results[0].filename == "volcano.txt"
    assert "Etna" in (search.results[0].text or "")
    assert answer.type == "message"
    part = answer.content[0]
    assert part.type == "output_text"
    assert part.text == "The notes answer this."  # the marker is gone ...
    assert len(part.annotations) == 1  # ... and became a citation at its place
    citation = part.annotations[0]
    assert citation.type == "file_citation"
    assert citation.file_id == ids["volcano.txt"] and citation.filename == "volcano.txt"
    assert citation.index == len("The notes answer this")
    tool_message = script.llm.requests[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and "Etna" in tool_message["content"]


def test_results_are_only_shown_when_included(
    client: openai.OpenAI, knowledge: tuple[str, dict[str, str]]
) -> None:
    store_id, _ = knowledge
    response = client.responses.create(
        model="script/searcher",
        input="How does sourdough rise?",
        tools=[{"type": "file_search", "vector_store_ids": [store_id]}],
    )
    search = response.output[0]
    assert search.type == "file_search_call" and search.results is None
    again = client.responses.retrieve(response.id, include=["file_search_call.results"])
    assert again.output[0].results  # type: ignore[union-attr]


def test_streamed_file_search_events(
    client: openai.OpenAI, knowledge: tuple[str, dict[str, str]]
) -> None:
    store_id, ids = knowledge
    events = list(
        client.responses.create(
            model="script/searcher",
            input="How does a knight move?",
            tools=[{"type": "file_search", "vector_store_ids": [store_id]}],
            stream=True,
        )
    )
    kinds = [e.type for e in events]
    search_kinds = [k for k in kinds if k.startswith("response.file_search_call")]
    assert search_kinds == [
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
    ]
    assert kinds.index("response.file_search_call.completed") < kinds.index(
        "response.output_text.delta"
    )
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert streamed == "The notes answer this."
    added = [e for e in events if e.type == "response.output_text.annotation.added"]
    assert [a.annotation.file_id for a in added] == [ids["chess.txt"]]  # type: ignore[union-attr]
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_a_follow_up_sees_the_search_it_did(
    client: openai.OpenAI, script: RunningScript, knowledge: tuple[str, dict[str, str]]
) -> None:
    store_id, _ = knowledge
    tools = [{"type": "file_search", "vector_store_ids": [store_id]}]
    first = client.responses.create(model="script/searcher", input="Etna lava?", tools=tools)  # type: ignore[arg-type]
    client.responses.create(model="script/echo", input="thanks", previous_response_id=first.id)
    messages = script.llm.requests[-1]["messages"]
    roles = [m["role"] for m in messages]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    assert messages[1]["tool_calls"][0]["function"]["name"] == "file_search"
    assert "Etna" in messages[2]["content"]
