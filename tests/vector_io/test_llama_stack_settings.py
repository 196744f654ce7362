"""The ``vector_stores:`` groups of Llama Stack 0.7 drive ingestion and search, over HTTP.

One server whose run config sets ``file_ingestion_params``,
``chunk_retrieval_params``, ``contextual_retrieval_params`` and corral's
``attach_wait_seconds``; a bag-of-words embedding stub and an echoing chat stub
(the contextual strategy's model) stand in for the upstreams.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from tests.fixtures.fake_embeddings import RunningEmbedder
from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.server import RunningServer, run_server
from tests.vector_io.conftest import sdk, stack_config, upload

pytestmark = pytest.mark.slow

SETTINGS = """
vector_stores:
  default_provider_id: vec
  default_embedding_model: {provider_id: emb, model_id: bow-embed}
  file_ingestion_params: {default_chunk_size_tokens: 120, default_chunk_overlap_tokens: 20}
  chunk_retrieval_params: {chunk_multiplier: 2, default_reranker_strategy: weighted}
  contextual_retrieval_params:
    model: {provider_id: chat, model_id: ctx-model}
    default_timeout_seconds: 30
    max_document_tokens: 1000
  attach_wait_seconds: 10
"""

LONG = " ".join(f"Paragraph {i} tells of corral store number {i}." for i in range(60))


@pytest.fixture(scope="module")
def chat() -> Iterator[RunningFake]:
    with run_fake_openai() as running:
        yield running


@pytest.fixture(scope="module")
def server(
    embedder: RunningEmbedder, chat: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    config = stack_config(
        embedder.url,
        "sqlite-vec",
        extra_models="- {model_id: ctx-model, provider_id: chat}",
        server=SETTINGS,
    ).replace(
        "  files:\n",
        f'  - {{provider_id: chat, provider_type: remote::openai-compatible, config: {{base_url: "{chat.url}", max_retries: 0}}}}\n  files:\n',
        1,
    )
    with run_server(config, tmp_path_factory.mktemp("vs-settings")) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return sdk(server)


def test_a_small_file_comes_back_completed_with_the_configured_chunk_size(
    client: openai.OpenAI,
) -> None:
    store = client.vector_stores.create(name="small")
    file_id = upload(client, "small.txt", LONG)
    attached = client.vector_stores.files.create(vector_store_id=store.id, file_id=file_id)
    assert attached.status == "completed"  # no polling: the attach waited for indexing
    strategy = attached.chunking_strategy
    assert strategy is not None and strategy.type == "static"
    static = strategy.static
    assert (static.max_chunk_size_tokens, static.chunk_overlap_tokens) == (120, 20)
    chunks = client.vector_stores.files.content(file_id=file_id, vector_store_id=store.id).data
    assert len(chunks) > 3  # 120-token windows over a ~700-token text


def test_search_query_is_a_list_of_strings(server: RunningServer, client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="queries")
    client.vector_stores.files.create(
        vector_store_id=store.id, file_id=upload(client, "q.txt", "Llamas graze on the hills.")
    )
    url = f"{server.base_url}/v1/vector_stores/{store.id}/search"
    one = httpx.post(url, json={"query": "llamas"}).json()
    assert one["search_query"] == ["llamas"]
    many = httpx.post(url, json={"query": ["llamas", "hills"], "search_mode": "hybrid"}).json()
    assert many["search_query"] == ["llamas", "hills"]
    assert many["data"][0]["filename"] == "q.txt"


def test_contextual_chunking_prefixes_each_chunk_with_the_models_context(
    client: openai.OpenAI, chat: RunningFake
) -> None:
    store = client.vector_stores.create(name="contextual")
    file_id = upload(client, "ctx.txt", "Corral serves llamas. " * 40)
    before = len(chat.state.requests)
    attached = client.vector_stores.files.create(
        vector_store_id=store.id,
        file_id=file_id,
        chunking_strategy={  # type: ignore[arg-type]
            "type": "contextual",
            "contextual": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 10},
        },
    )
    assert attached.status == "completed", attached.last_error
    assert attached.chunking_strategy is not None
    assert attached.chunking_strategy.type == "contextual"  # type: ignore[comparison-overlap]
    calls = [r for r in chat.state.requests[before:] if r["path"] == "/v1/chat/completions"]
    chunks = client.vector_stores.files.content(file_id=file_id, vector_store_id=store.id).data
    assert len(calls) == len(chunks) > 1
    assert calls[0]["body"]["model"] == "ctx-model"  # the configured default model
    prompt = calls[0]["body"]["messages"][0]["content"]
    assert prompt.index("<document>") < prompt.index("<chunk>")
    # the stub answers "echo: <prompt>", which is put before the chunk
    assert all((c.text or "").startswith("echo: <document>") for c in chunks)


def test_contextual_chunking_refuses_a_document_over_the_token_limit(
    client: openai.OpenAI,
) -> None:
    store = client.vector_stores.create(name="too-big")
    file_id = upload(client, "big.txt", "word " * 1500)
    attached = client.vector_stores.files.create(
        vector_store_id=store.id,
        file_id=file_id,
        chunking_strategy={"type": "contextual", "contextual": {}},  # type: ignore[arg-type]
    )
    assert attached.status == "failed"
    assert attached.last_error is not None and "1000 tokens" in attached.last_error.message


def test_an_unchunkable_contextual_prompt_is_a_400(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="bad-prompt")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.create(
            vector_store_id=store.id,
            file_id=upload(client, "p.txt", "text"),
            chunking_strategy={  # type: ignore[arg-type]
                "type": "contextual",
                "contextual": {"context_prompt": "no placeholders"},
            },
        )
