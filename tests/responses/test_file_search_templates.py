"""file_search results reach the model written with the run config's ``vector_stores`` templates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import run_server
from tests.responses.conftest import responses_config

pytestmark = pytest.mark.slow

TEMPLATES = """
  file_search_params:
    header_template: "HEADER file_search found {num_chunks}\\n"
    footer_template: "FOOTER\\n"
  context_prompt_params:
    chunk_annotation_template: "R{index}: {chunk.content} | {metadata}\\n"
    context_template: "Use these for: {query}.{annotation_instruction}\\n"
  annotation_prompt_params:
    enable_annotations: false
  chunk_retrieval_params:
    max_tokens_in_context: 1
"""


@pytest.fixture(scope="module")
def templated(script: RunningScript, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = responses_config(script.url).replace(
        "vector_stores:\n  default_provider_id: sqlite-vec\n",
        "vector_stores:\n  default_provider_id: sqlite-vec\n" + TEMPLATES,
    )
    assert "HEADER" in config
    dir_: Path = tmp_path_factory.mktemp("templated")
    with run_server(config, dir_, timeout=60) as running:
        yield running.base_url


def _store(client: openai.OpenAI) -> str:
    ids = [
        client.files.create(file=(f"f{i}.txt", text.encode()), purpose="assistants").id
        for i, text in enumerate(
            [
                "Geysers in Iceland erupt hot water every few minutes near the road.",
                "Iceland geysers are fed by volcanic heat under the island.",
                "Iceland has geysers, glaciers and black sand beaches to visit.",
            ]
        )
    ]
    store = client.vector_stores.create(name="kb", file_ids=ids)
    deadline = time.monotonic() + 60
    while client.vector_stores.retrieve(store.id).file_counts.completed < len(ids):
        assert time.monotonic() < deadline, "files were not ingested in time"
        time.sleep(0.1)
    return store.id


def test_results_use_the_configured_templates_and_context_budget(
    templated: str, script: RunningScript
) -> None:
    client = openai.OpenAI(base_url=f"{templated}/v1", api_key="none", max_retries=0)
    store_id = _store(client)
    response = client.responses.create(
        model="script/searcher",
        input="Iceland geysers",
        tools=[{"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 3}],
        include=["file_search_call.results"],
    )
    assert response.status == "completed"
    search = response.output[0]
    assert search.type == "file_search_call" and len(search.results or []) == 3
    tool_message = script.llm.requests[-1]["messages"][-1]["content"]
    lines = tool_message.splitlines()
    # a 1-token budget keeps only the first of the three results (never fewer than one)
    assert lines[0] == "HEADER file_search found 1"
    assert lines[1].startswith("R1: ") and "geyser" in lines[1].lower()
    assert "'filename': 'f" in lines[1]  # {metadata}: the result's filename and score
    assert lines[2] == "FOOTER"
    # annotations are off: no citation markers and no citation instruction
    assert lines[3] == "Use these for: Iceland geysers."
    assert "<|file-" not in tool_message
