"""The files API (inline::localfs) and store creation checks, through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from tests.fixtures.fake_embeddings import RunningEmbedder
from tests.fixtures.server import RunningServer, run_server
from tests.vector_io.conftest import MAX_FILE_BYTES, attach, sdk, stack_config, upload

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


@pytest.fixture(scope="module")
def server(embedder: RunningEmbedder, files_dir: Path) -> Iterator[RunningServer]:
    chat = (
        "- {model_id: chatty, provider_id: emb}\n"
        "- {model_id: broken-embed, provider_id: emb, model_type: embedding, "
        "metadata: {embedding_dimension: 256}}"
    )
    with run_server(stack_config(embedder.url, "sqlite-vec", extra_models=chat), files_dir) as s:
        yield s


@pytest.fixture
def client(server: RunningServer) -> openai.OpenAI:
    return sdk(server)


def stored_files(files_dir: Path) -> list[str]:
    return sorted(p.name for p in (files_dir / "store" / "files").iterdir())


def test_upload_get_content_list_and_delete(client: openai.OpenAI, files_dir: Path) -> None:
    data = b"line one\nline two\n"
    created = client.files.create(file=("notes.txt", data), purpose="assistants")
    assert created.object == "file" and created.filename == "notes.txt"
    assert created.bytes == len(data) and created.purpose == "assistants"
    assert created.expires_at is not None and created.expires_at > created.created_at
    assert client.files.retrieve(created.id).filename == "notes.txt"
    assert client.files.content(created.id).read() == data
    assert created.id in stored_files(files_dir)
    assert created.id in [f.id for f in client.files.list()]
    gone = client.files.delete(created.id)
    assert gone.deleted is True
    assert created.id not in stored_files(files_dir)
    with pytest.raises(openai.NotFoundError) as missing:
        client.files.retrieve(created.id)
    assert missing.value.body["code"] == "file_not_found"  # type: ignore[index]


def test_listing_pages_and_filters_by_purpose(client: openai.OpenAI) -> None:
    ids = [upload(client, f"page{i}.txt", f"page {i}") for i in range(3)]
    batch = client.files.create(file=("input.jsonl", b"{}\n"), purpose="batch").id
    first = client.files.list(limit=2, order="asc", purpose="assistants")
    mine = [f.id for f in first.data]
    assert len(mine) == 2 and first.has_more is True
    everything = [f.id for f in client.files.list(order="asc", purpose="assistants").data]
    assert everything[-3:] == ids and batch not in everything
    after = client.files.list(limit=100, order="asc", purpose="assistants", after=mine[-1])
    assert [f.id for f in after.data] == everything[2:]
    assert [f.id for f in client.files.list(purpose="batch").data] == [batch]
    newest = client.files.list(limit=1).data[0].id
    assert newest == batch


def test_expires_after_sets_the_expiry(server: RunningServer) -> None:
    r = httpx.post(
        f"{server.base_url}/v1/files",
        files={"file": ("short.txt", b"soon gone")},
        data={
            "purpose": "user_data",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "3600",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["expires_at"] == body["created_at"] + 3600
    bad = httpx.post(
        f"{server.base_url}/v1/files",
        files={"file": ("short.txt", b"x")},
        data={
            "purpose": "user_data",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "5",
        },
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "expires_after.seconds"


def test_oversize_uploads_are_refused_with_413_and_leave_nothing(
    server: RunningServer, files_dir: Path
) -> None:
    before = stored_files(files_dir)
    big = b"x" * (MAX_FILE_BYTES + 1)
    client = sdk(server)
    with pytest.raises(openai.APIStatusError) as refused:
        client.files.create(file=("big.txt", big), purpose="assistants")
    assert refused.value.status_code == 413
    assert refused.value.body["code"] == "file_too_large"  # type: ignore[index]

    # A chunked body has no Content-Length: the limit is enforced while streaming.
    boundary = "corral-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(MAX_FILE_BYTES // 10_000 + 2):
            yield b"y" * 10_000
        yield f"\r\n--{boundary}--\r\n".encode()

    r = httpx.post(
        f"{server.base_url}/v1/files",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413
    error = r.json()["error"]
    assert error.pop("request_id")  # every error body names its request
    assert error == {
        "message": f"file is larger than the {MAX_FILE_BYTES} bytes this server accepts "
        "(inline::localfs max_file_size_bytes)",
        "type": "invalid_request_error",
        "code": "file_too_large",
    }
    assert stored_files(files_dir) == before  # no partial upload left behind


def test_bad_upload_forms_are_400(server: RunningServer, files_dir: Path) -> None:
    before = stored_files(files_dir)
    url = f"{server.base_url}/v1/files"
    no_purpose = httpx.post(url, files={"file": ("a.txt", b"a")})
    assert no_purpose.status_code == 400 and no_purpose.json()["error"]["param"] == "purpose"
    wrong = httpx.post(url, files={"file": ("a.txt", b"a")}, data={"purpose": "homework"})
    assert wrong.status_code == 400 and "assistants" in wrong.json()["error"]["message"]
    no_file = httpx.post(url, files={"other": ("a.txt", b"a")}, data={"purpose": "assistants"})
    assert no_file.status_code == 400 and no_file.json()["error"]["param"] == "file"
    not_multipart = httpx.post(url, json={"purpose": "assistants"})
    assert not_multipart.status_code == 400
    assert stored_files(files_dir) == before


def test_store_creation_validates_the_embedding_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as ambiguous:
        client.vector_stores.create(name="no-model")  # two embedding models, no default
    assert ambiguous.value.body["param"] == "embedding_model"  # type: ignore[index]
    explicit = client.vector_stores.create(
        name="explicit", extra_body={"embedding_model": "emb/bow-embed", "embedding_dimension": 256}
    )
    assert explicit.id.startswith("vs_")
    with pytest.raises(openai.BadRequestError) as mismatch:
        client.vector_stores.create(
            name="bad", extra_body={"embedding_model": "bow-embed", "embedding_dimension": 384}
        )
    assert mismatch.value.body["param"] == "embedding_dimension"  # type: ignore[index]
    assert "256" in mismatch.value.body["message"]  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as unknown:
        client.vector_stores.create(name="bad", extra_body={"embedding_model": "no-such-model"})
    assert unknown.value.body["param"] == "embedding_model"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as not_embedding:
        client.vector_stores.create(name="bad", extra_body={"embedding_model": "emb/chatty"})
    assert "embedding" in not_embedding.value.body["message"]  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as provider:
        client.vector_stores.create(name="bad", extra_body={"provider_id": "nope"})
    assert provider.value.body["param"] == "provider_id"  # type: ignore[index]
    assert "bad" not in [s.name for s in client.vector_stores.list(limit=100)]


def test_unknown_file_ids_at_creation_become_failed_files(client: openai.OpenAI) -> None:
    good = client.files.create(file=("ok.txt", b"Corral ships stores."), purpose="assistants")
    store = client.vector_stores.create(
        name="mixed",
        file_ids=["file-does-not-exist", good.id],
        extra_body={"embedding_model": "bow-embed"},
    )
    files = {f.id: f for f in client.vector_stores.files.list(vector_store_id=store.id).data}
    missing = files["file-does-not-exist"]
    assert missing.status == "failed" and missing.last_error is not None
    assert missing.last_error.code == "invalid_file"
    assert "not found" in missing.last_error.message
    batch = client.vector_stores.file_batches.create(
        vector_store_id=store.id, file_ids=["file-also-missing"]
    )
    assert batch.file_counts.failed == 1 and batch.status == "failed"
    with pytest.raises(openai.NotFoundError):  # alone, an unknown file is still a 404
        client.vector_stores.files.create(vector_store_id=store.id, file_id="file-nope")


def test_an_embedding_failure_marks_the_file_failed_with_the_reason(client: openai.OpenAI) -> None:
    store = client.vector_stores.create(
        name="broken", extra_body={"embedding_model": "broken-embed"}
    )
    file_id = upload(client, "fine.txt", "Perfectly good text.")
    done = attach(client, store.id, file_id)
    assert done.status == "failed"
    assert done.last_error is not None and done.last_error.code == "server_error"
    assert "embedding backend exploded" in done.last_error.message
    assert client.vector_stores.retrieve(store.id).file_counts.failed == 1


def test_bad_vector_store_requests_are_400(server: RunningServer, client: openai.OpenAI) -> None:
    store = client.vector_stores.create(
        name="bad-requests", extra_body={"embedding_model": "bow-embed"}
    )
    base = f"{server.base_url}/v1/vector_stores"
    cases = [
        (f"{base}/{store.id}/search", {"query": ""}, "query"),
        (f"{base}/{store.id}/search", {"query": "x", "max_num_results": 500}, "max_num_results"),
        (f"{base}/{store.id}/search", {"query": "x", "search_mode": "psychic"}, "search_mode"),
        (f"{base}/{store.id}/files", {}, "file_id"),
        (f"{base}/{store.id}/file_batches", {"file_ids": []}, "body"),
        (base, {"chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 5}}},
         "chunking_strategy"),
    ]  # fmt: skip
    for url, body, param in cases:
        r = httpx.post(url, json=body)
        assert r.status_code == 400, (url, body, r.text)
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error" and param in error["param"], error
    not_json = httpx.post(
        f"{base}/{store.id}/search", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve("vs_missing")


def test_llama_stack_client_uses_the_same_routes(server: RunningServer) -> None:
    from llama_stack_client import LlamaStackClient

    with LlamaStackClient(base_url=server.base_url, max_retries=0) as client, sdk(server) as oai:
        uploaded = client.files.create(
            file=("lava.txt", b"Volcanoes erupt lava."), purpose="assistants"
        )
        store = client.vector_stores.create(
            name="via-llama-stack-client", embedding_model="bow-embed", embedding_dimension=256
        )
        assert store.metadata is not None
        assert store.metadata["embedding_model"] == "emb/bow-embed"
        client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id)
        attach(oai, store.id, uploaded.id)  # already attached: polls until completed
        page = client.vector_stores.search(
            vector_store_id=store.id, query="lava", extra_body={"search_mode": "hybrid"}
        )
        assert [r.filename for r in page.data] == ["lava.txt"]
