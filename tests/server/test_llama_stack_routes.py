"""Routes Llama Stack 0.7.x serves, through HTTP on corral: file processors, admin, rerank, vector-io."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import RunningFake, run_fake_openai
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.server import RunningServer, run_server
from tests.vector_io.corpus import minimal_pdf

pytestmark = pytest.mark.slow

CONFIG = """
version: 2
providers:
  inference:
  - {{provider_id: sentence-transformers, provider_type: inline::sentence-transformers}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql, table_name: files}}
  file_processors:
  - provider_id: pypdf
    provider_type: inline::pypdf
    config: {{max_file_size_bytes: {limit}}}
storage:
  backends:
    sql: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
{auth}
"""

AUTH = """server:
  auth:
    provider_config: {{type: custom, endpoint: "{url}/validate"}}
"""
PROCESS = "/v1alpha/file-processors/process"
TEXT = " ".join(f"Sentence {i} about llamas grazing in the Andes." for i in range(400))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    config = CONFIG.format(limit=200_000, auth="")
    with run_server(config, tmp_path_factory.mktemp("ls-routes")) as running:
        yield running


def test_a_pdf_upload_comes_back_as_chunks(server: RunningServer) -> None:
    pdf = minimal_pdf("Corral processes PDF files into chunks.")
    r = httpx.post(
        f"{server.base_url}{PROCESS}", files={"file": ("doc.pdf", pdf, "application/pdf")}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    [chunk] = body["chunks"]
    assert "Corral processes PDF files" in chunk["content"]
    assert chunk["chunk_id"] == chunk["chunk_metadata"]["chunk_id"]
    assert chunk["metadata"]["filename"] == "doc.pdf"
    assert chunk["metadata"]["document_id"] == chunk["chunk_metadata"]["document_id"]
    assert chunk["chunk_metadata"]["content_token_count"] > 0
    assert body["metadata"]["processor"] == "pypdf" and body["metadata"]["page_count"] == 1


def test_a_stored_file_is_processed_with_the_requested_chunking(server: RunningServer) -> None:
    uploaded = httpx.post(
        f"{server.base_url}/v1/files",
        files={"file": ("notes.txt", TEXT.encode())},
        data={"purpose": "assistants"},
    ).json()
    strategy = (
        '{"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 0}}'
    )
    r = httpx.post(
        f"{server.base_url}{PROCESS}",
        files={"file_id": (None, uploaded["id"]), "chunking_strategy": (None, strategy)},
    )
    assert r.status_code == 200, r.text
    chunks = r.json()["chunks"]
    assert len(chunks) > 5  # ~4000 tokens in 200-token chunks
    assert all(c["chunk_metadata"]["content_token_count"] <= 200 for c in chunks)
    assert chunks[0]["metadata"]["file_id"] == uploaded["id"]


def test_process_refuses_bad_forms_and_oversized_files(server: RunningServer) -> None:
    url = f"{server.base_url}{PROCESS}"
    neither = httpx.post(url, files={"options": (None, "{}")})
    assert neither.status_code == 400
    both = httpx.post(url, files={"file": ("a.txt", b"x"), "file_id": (None, "file-1")})
    assert both.status_code == 400
    bad_json = httpx.post(url, files={"file": ("a.txt", b"x"), "chunking_strategy": (None, "{")})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["param"] == "chunking_strategy"
    missing = httpx.post(url, files={"file_id": (None, "file-missing")})
    assert missing.status_code == 404
    big = httpx.post(url, files={"file": ("big.txt", b"x" * 300_000)})
    assert big.status_code == 413 and "200000 bytes" in big.json()["error"]["message"]


def test_the_default_cap_is_100_mib(tmp_path: Path) -> None:
    with run_server(CONFIG.format(limit=104857600, auth=""), tmp_path) as running:
        # the cap is checked from Content-Length before any of the body is read
        head = (
            f"POST {PROCESS} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            "content-type: multipart/form-data; boundary=x\r\n"
            f"content-length: {101 * 1024 * 1024}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            sock.sendall(head.encode() + b"--x\r\n")
            answer = sock.recv(65536).decode()
        assert answer.startswith("HTTP/1.1 413")
        assert "104857600 bytes" in answer


def test_admin_routes_answer_like_llama_stack(server: RunningServer) -> None:
    base = f"{server.base_url}/v1alpha/admin"
    providers = httpx.get(f"{base}/providers").json()["data"]
    assert {p["provider_id"] for p in providers} == {"sentence-transformers", "fs", "pypdf"}
    one = httpx.get(f"{base}/providers/pypdf").json()
    assert one["api"] == "file_processors" and one["provider_type"] == "inline::pypdf"
    assert one["health"]["status"] == "OK" and one["config"]["max_file_size_bytes"] == 200_000
    assert httpx.get(f"{base}/providers/nope").status_code == 404
    routes = httpx.get(f"{base}/inspect/routes").json()["data"]
    process = [r for r in routes if r["route"] == PROCESS]
    assert process == [{"route": PROCESS, "method": "POST", "provider_types": ["inline::pypdf"]}]
    assert httpx.get(f"{base}/health").json() == {"status": "OK"}
    assert httpx.get(f"{base}/version").json()["version"]


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users["ops-token"] = {"principal": "ops", "access_attributes": {}}
        yield running


def test_admin_health_and_version_need_a_token_when_auth_is_on(
    stubs: IdentityStubs, tmp_path: Path
) -> None:
    config = CONFIG.format(limit=1000, auth=AUTH.format(url=stubs.url))
    with run_server(config, tmp_path) as running:
        base = running.base_url
        assert httpx.get(f"{base}/v1/health").status_code == 200  # public, as before
        for path in ("health", "version", "providers", "inspect/routes"):
            assert httpx.get(f"{base}/v1alpha/admin/{path}").status_code == 401, path
            ok = httpx.get(
                f"{base}/v1alpha/admin/{path}", headers={"authorization": "Bearer ops-token"}
            )
            assert ok.status_code == 200, path


VLLM_CONFIG = """
version: 2
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config: {{base_url: "{url}", max_retries: 0}}
  - provider_id: plain
    provider_type: remote::openai-compatible
    config: {{base_url: "{url}", max_retries: 0}}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config: {{persistence: {{backend: kv, namespace: faiss}}}}
storage:
  backends:
    kv: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
  stores:
    metadata: {{backend: kv, namespace: registry}}
models:
- {{model_id: reranker, provider_id: vllm, model_type: rerank}}
- {{model_id: other-reranker, provider_id: plain, model_type: rerank}}
- {{model_id: chat, provider_id: vllm}}
- {{model_id: emb, provider_id: vllm, model_type: embedding, metadata: {{embedding_dimension: 8}}}}
vector_stores:
  default_embedding_model: {{provider_id: vllm, model_id: emb}}
"""


@pytest.fixture(scope="module")
def vllm_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, RunningFake]]:
    with run_fake_openai() as fake:
        config = VLLM_CONFIG.format(url=fake.url)
        with run_server(config, tmp_path_factory.mktemp("vllm-routes")) as running:
            yield running, fake


def test_rerank_goes_to_vllms_rerank_endpoint(
    vllm_server: tuple[RunningServer, RunningFake],
) -> None:
    server, fake = vllm_server
    url = f"{server.base_url}/v1alpha/inference/rerank"
    body = {
        "model": "vllm/reranker",
        "query": "llamas in the andes",
        "items": ["cats sleep", "llamas graze in the andes", {"type": "text", "text": "andes"}],
        "max_num_results": 2,
    }
    r = httpx.post(url, json=body)
    assert r.status_code == 200, r.text
    assert [d["index"] for d in r.json()["data"]] == [1, 2]
    scores = [d["relevance_score"] for d in r.json()["data"]]
    assert scores == sorted(scores, reverse=True)
    sent = [q for q in fake.state.requests if q["path"] == "/v1/rerank"][-1]["body"]
    assert sent["model"] == "reranker" and sent["top_n"] == 2
    assert sent["documents"][2] == "andes"
    chat = httpx.post(url, json={**body, "model": "vllm/chat"})
    assert chat.status_code == 400 and "rerank model" in chat.json()["error"]["message"]
    plain = httpx.post(url, json={**body, "model": "plain/other-reranker"})
    assert plain.status_code == 400 and "cannot rerank" in plain.json()["error"]["message"]
    empty = httpx.post(url, json={**body, "items": []})
    assert empty.status_code == 400


def _fake_vector(text: str, dims: int = 8) -> list[float]:
    """The vector the stub upstream answers for `text` (tests/fixtures/fake_openai.py)."""
    seed = hashlib.sha256(text.encode()).digest()
    return [(seed[j % 32] - 128) / 128 for j in range(dims)]


def test_legacy_vector_io_insert_and_query(vllm_server: tuple[RunningServer, RunningFake]) -> None:
    server, _ = vllm_server
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0)
    store = client.vector_stores.create(name="chunks")
    chunks = [
        {
            "content": text,
            "chunk_id": f"c{i}",
            "metadata": {"document_id": f"doc{i}", "source": "test"},
            "chunk_metadata": {"document_id": f"doc{i}", "chunk_id": f"c{i}"},
            "embedding": _fake_vector(text),
            "embedding_model": "vllm/emb",
            "embedding_dimension": 8,
        }
        for i, text in enumerate(["alpha text", "beta text", "gamma text"])
    ]
    insert = httpx.post(
        f"{server.base_url}/v1/vector-io/insert",
        json={"vector_store_id": store.id, "chunks": chunks},
    )
    assert insert.status_code == 204, insert.text
    query = httpx.post(
        f"{server.base_url}/v1/vector-io/query",
        json={
            "vector_store_id": store.id,
            "query": "beta text",
            "params": {"max_chunks": 2, "score_threshold": -1.0},
        },
    )
    assert query.status_code == 200, query.text
    answer = query.json()
    assert len(answer["chunks"]) == len(answer["scores"]) == 2
    top = answer["chunks"][0]
    assert top["chunk_id"] == "c1" and top["metadata"] == {"document_id": "doc1", "source": "test"}
    assert top["embedding"] == chunks[1]["embedding"]
    assert answer["scores"][0] == pytest.approx(1.0, abs=1e-5)
    filtered = httpx.post(
        f"{server.base_url}/v1/vector-io/query",
        json={
            "vector_store_id": store.id,
            "query": "beta text",
            "params": {
                "max_chunks": 3,
                "filters": {"type": "eq", "key": "document_id", "value": "doc2"},
            },
        },
    ).json()
    assert [c["chunk_id"] for c in filtered["chunks"]] == ["c2"]  # no threshold unless asked
    wrong = httpx.post(
        f"{server.base_url}/v1/vector-io/insert",
        json={"vector_store_id": store.id, "chunks": [{**chunks[0], "embedding": [0.1, 0.2]}]},
    )
    assert wrong.status_code == 400 and "chunks[0].embedding" in wrong.json()["error"]["param"]
    unknown = httpx.post(
        f"{server.base_url}/v1/vector-io/query", json={"vector_store_id": "vs_nope", "query": "x"}
    )
    assert unknown.status_code == 404
