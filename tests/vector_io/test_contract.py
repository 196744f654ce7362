"""The vector stores contract, through HTTP with the openai SDK, on every vector_io provider.

Each test runs once per provider (sqlite-vec, faiss, pgvector) against a real
`corral run` with localfs files and a bag-of-words embedding stub, so lexical
overlap decides which chunk is closest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from tests.fixtures.fake_embeddings import RunningEmbedder
from tests.fixtures.server import RunningServer, run_server
from tests.vector_io.conftest import (
    attach,
    pg_for,
    sdk,
    stack_config,
    top_files,
    upload,
    wait_batch,
)
from tests.vector_io.corpus import CORPUS, LONG_TEXT, PDF_TEXT

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_store(stack: RunningServer) -> dict[str, Any]:
    """A store holding the whole corpus, each file with its attributes."""
    client = sdk(stack)
    store = client.vector_stores.create(name="corpus", metadata={"purpose": "tests"})
    ids = {}
    for name, (content, attributes) in CORPUS.items():
        ids[name] = upload(client, name, content)
        done = attach(client, store.id, ids[name], attributes=attributes)
        assert done.status == "completed", (name, done.last_error)
    return {"id": store.id, "files": ids}


@pytest.mark.parametrize(
    ("query", "expected", "snippet"),
    [
        ("what happens when magma erupts", "volcanoes.txt", "magma rises"),
        ("how does the moon cause tides", "tides.txt", "gravity of the moon"),
        ("knight and bishop moves", "chess.html", "L shape"),
        ("sunlight chloroplasts sugar", "plants.pdf", "chloroplasts"),
        ("yeast dough oven", "baking.md", "Knead the dough"),
    ],
)
def test_search_returns_the_right_chunk_first(
    client: openai.OpenAI, corpus_store: dict[str, Any], query: str, expected: str, snippet: str
) -> None:
    page = client.vector_stores.search(vector_store_id=corpus_store["id"], query=query)
    results = list(page)
    assert results[0].filename == expected
    assert results[0].file_id == corpus_store["files"][expected]
    assert snippet in results[0].content[0].text
    assert results[0].attributes == CORPUS[expected][1]
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_html_scripts_and_styles_are_not_indexed_and_pdf_text_is(
    client: openai.OpenAI, corpus_store: dict[str, Any]
) -> None:
    chess = client.vector_stores.files.content(
        file_id=corpus_store["files"]["chess.html"], vector_store_id=corpus_store["id"]
    )
    text = " ".join(part.text or "" for part in chess)
    assert "knight moves" in text and "zebra" not in text and "color" not in text
    pdf = client.vector_stores.files.content(
        file_id=corpus_store["files"]["plants.pdf"], vector_store_id=corpus_store["id"]
    )
    assert [part.text for part in pdf] == [PDF_TEXT]


def test_keyword_mode(client: openai.OpenAI, corpus_store: dict[str, Any]) -> None:
    store = corpus_store["id"]
    page = client.vector_stores.search(
        vector_store_id=store, query="lava", extra_body={"search_mode": "keyword"}
    )
    assert top_files(page) == ["volcanoes.txt"]
    nothing = client.vector_stores.search(
        vector_store_id=store, query="zebra", extra_body={"search_mode": "keyword"}
    )
    assert list(nothing) == []


def test_hybrid_mode_fuses_both_rankings(
    client: openai.OpenAI, corpus_store: dict[str, Any]
) -> None:
    store = corpus_store["id"]
    page = client.vector_stores.search(
        vector_store_id=store, query="moon gravity seas", extra_body={"search_mode": "hybrid"}
    )
    results = list(page)
    assert results[0].filename == "tides.txt"
    # reciprocal-rank fusion: first in both lists scores 2 / (60 + 1)
    assert results[0].score == pytest.approx(2 / 61)
    weighted = client.vector_stores.search(
        vector_store_id=store,
        query="moon gravity seas",
        extra_body={
            "search_mode": "hybrid",
            "ranking_options": {"ranker": "weighted", "score_threshold": 0.0},
        },
    )
    assert top_files(weighted)[0] == "tides.txt"


def test_filters_restrict_results_to_matching_attributes(
    client: openai.OpenAI, corpus_store: dict[str, Any]
) -> None:
    store = corpus_store["id"]

    def search(filters: Any, query: str = "magma erupts") -> list[str]:
        return top_files(
            client.vector_stores.search(vector_store_id=store, query=query, filters=filters)
        )

    assert set(search({"type": "eq", "key": "topic", "value": "cooking"})) == {"baking.md"}
    assert set(search({"type": "eq", "key": "topic", "value": "geology"})) == {
        "volcanoes.txt",
        "tides.txt",
    }
    newer = {"type": "gte", "key": "year", "value": 2022}
    assert set(search(newer)) == {"tides.txt", "chess.html", "plants.pdf"}
    compound = {
        "type": "and",
        "filters": [newer, {"type": "eq", "key": "reviewed", "value": True}],
    }
    assert set(search(compound)) == {"tides.txt", "plants.pdf"}
    either = {
        "type": "or",
        "filters": [
            {"type": "eq", "key": "topic", "value": "games"},
            {"type": "lt", "key": "year", "value": 2020},
        ],
    }
    assert search(either)[0] == "volcanoes.txt" and set(search(either)) == {
        "volcanoes.txt",
        "chess.html",
    }
    assert search({"type": "eq", "key": "topic", "value": "nothing"}) == []
    with pytest.raises(openai.BadRequestError) as bad:
        search({"type": "near", "key": "topic", "value": "x"})
    assert bad.value.body["code"] == "invalid_parameter"  # type: ignore[index]


def test_max_num_results_and_score_threshold(
    client: openai.OpenAI, corpus_store: dict[str, Any]
) -> None:
    store = corpus_store["id"]
    two = client.vector_stores.search(vector_store_id=store, query="magma moon", max_num_results=2)
    assert len(list(two)) == 2
    everything = list(client.vector_stores.search(vector_store_id=store, query="magma lava ash"))
    strict = list(
        client.vector_stores.search(
            vector_store_id=store, query="magma lava ash", ranking_options={"score_threshold": 0.3}
        )
    )
    assert [r.filename for r in strict] == ["volcanoes.txt"]
    assert len(everything) > len(strict)
    assert all(r.score >= 0.3 for r in strict)


def test_static_chunking_splits_with_overlap(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="chunks")
    file_id = upload(client, "long.txt", LONG_TEXT)
    done = attach(
        client,
        store.id,
        file_id,
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20},
        },
    )
    assert done.status == "completed"
    assert done.chunking_strategy.static.max_chunk_size_tokens == 100
    parts = [
        p.text or ""
        for p in client.vector_stores.files.content(file_id=file_id, vector_store_id=store.id)
    ]
    assert len(parts) > 3
    assert parts[0].startswith("Paragraph 0") and parts[-1].endswith("item60.")
    assert parts[0][-30:] in parts[1]  # consecutive chunks overlap
    hit = client.vector_stores.search(vector_store_id=store.id, query="item42", max_num_results=1)
    assert "item42" in list(hit)[0].content[0].text
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.files.create(
            vector_store_id=store.id,
            file_id=file_id,
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 80},
            },
        )


def test_detaching_a_file_removes_its_chunks_and_deleting_the_store_removes_it(
    client: openai.OpenAI,
) -> None:
    store = client.vector_stores.create(name="temporary")
    comets = upload(client, "comets.txt", "Comets have icy nuclei and long glowing tails.")
    rivers = upload(client, "rivers.txt", "Rivers carve valleys and carry sediment to the sea.")
    for file_id in (comets, rivers):
        assert attach(client, store.id, file_id).status == "completed"
    assert (
        top_files(client.vector_stores.search(vector_store_id=store.id, query="comet tails"))[0]
        == "comets.txt"
    )
    deleted = client.vector_stores.files.delete(file_id=comets, vector_store_id=store.id)
    assert deleted.deleted is True
    remaining = top_files(
        client.vector_stores.search(vector_store_id=store.id, query="comet tails icy")
    )
    assert "comets.txt" not in remaining
    keyword = client.vector_stores.search(
        vector_store_id=store.id, query="comets", extra_body={"search_mode": "keyword"}
    )
    assert list(keyword) == []
    assert client.vector_stores.retrieve(store.id).file_counts.total == 1
    assert client.files.retrieve(comets).id == comets  # the upload itself stays
    assert client.vector_stores.delete(store.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search(vector_store_id=store.id, query="rivers")


def test_file_batches_and_file_listing(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="batched")
    ids = [upload(client, f"note{i}.txt", f"Note number {i} mentions widget{i}.") for i in range(3)]
    batch = client.vector_stores.file_batches.create(
        vector_store_id=store.id, file_ids=ids, attributes={"source": "batch"}
    )
    assert batch.object == "vector_store.files_batch"
    finished = wait_batch(client, store.id, batch.id)
    assert finished.status == "completed"
    assert finished.file_counts.completed == 3 and finished.file_counts.total == 3
    in_batch = client.vector_stores.file_batches.list_files(
        batch_id=batch.id, vector_store_id=store.id
    )
    assert {f.id for f in in_batch} == set(ids)
    assert all(f.attributes == {"source": "batch"} for f in in_batch)
    first = client.vector_stores.files.list(vector_store_id=store.id, limit=2, order="asc")
    assert [f.id for f in first.data] == ids[:2] and first.has_more is True
    rest = client.vector_stores.files.list(
        vector_store_id=store.id, limit=2, order="asc", after=ids[1]
    )
    assert [f.id for f in rest.data] == ids[2:] and rest.has_more is False
    one = client.vector_stores.files.update(
        file_id=ids[0], vector_store_id=store.id, attributes={"source": "edited"}
    )
    assert one.attributes == {"source": "edited"}
    hits = client.vector_stores.search(
        vector_store_id=store.id,
        query="widget0 widget1",
        filters={"type": "eq", "key": "source", "value": "edited"},
    )
    assert top_files(hits) == ["note0.txt"]


def test_store_lifecycle_fields(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(
        name="life", metadata={"team": "a"}, expires_after={"anchor": "last_active_at", "days": 7}
    )
    assert store.status == "completed" and store.file_counts.total == 0
    assert store.expires_at == store.last_active_at + 7 * 86400  # type: ignore[operator]
    updated = client.vector_stores.update(store.id, name="renamed", metadata={"team": "b"})
    assert updated.name == "renamed" and updated.metadata is not None
    assert updated.metadata["team"] == "b"
    assert updated.metadata["embedding_model"] == "emb/bow-embed"  # reported like Llama Stack
    listed = [s.id for s in client.vector_stores.list(limit=100)]
    assert store.id in listed
    assert client.vector_stores.retrieve(store.id).name == "renamed"


def test_failed_files_say_why(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(name="failures")
    png = upload(client, "picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    failed = attach(client, store.id, png)
    assert failed.status == "failed"
    assert failed.last_error is not None and failed.last_error.code == "unsupported_file"
    assert "picture.png" in failed.last_error.message and "PDF" in failed.last_error.message
    empty = upload(client, "empty.txt", "   \n")
    nothing = attach(client, store.id, empty)
    assert nothing.last_error is not None and nothing.last_error.code == "invalid_file"
    assert nothing.status == "failed"
    broken = upload(client, "broken.pdf", b"%PDF-1.4 this is not really a pdf")
    broken_error = attach(client, store.id, broken).last_error
    assert broken_error is not None and broken_error.code == "invalid_file"
    counts = client.vector_stores.retrieve(store.id).file_counts
    assert counts.failed == 3 and counts.completed == 0
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-missing")


def test_stores_and_chunks_survive_a_restart(
    provider: str, embedder: RunningEmbedder, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config = stack_config(embedder.url, provider, pg_for(provider, request))
    with run_server(config, tmp_path) as first:
        client = sdk(first)
        store = client.vector_stores.create(name="durable")
        file_id = upload(client, "glaciers.txt", "Glaciers are rivers of ice that grind mountains.")
        other = upload(client, "deserts.txt", "Deserts receive little rain and have sand dunes.")
        attach(client, store.id, file_id, attributes={"kind": "ice"})
        attach(client, store.id, other)
    with run_server(config, tmp_path) as second:
        client = sdk(second)
        assert client.vector_stores.retrieve(store.id).file_counts.completed == 2
        hits = client.vector_stores.search(vector_store_id=store.id, query="ice glaciers")
        assert top_files(hits)[0] == "glaciers.txt"
        assert list(hits)[0].attributes == {"kind": "ice"}
        keyword = client.vector_stores.search(
            vector_store_id=store.id, query="dunes", extra_body={"search_mode": "keyword"}
        )
        assert top_files(keyword) == ["deserts.txt"]
        assert (
            client.files.content(file_id).read()
            == b"Glaciers are rivers of ice that grind mountains."
        )
