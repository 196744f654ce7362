"""Datasets and datasetio over HTTP: CSV, JSONL and Parquet sources, inline rows, paging, appends."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from llama_stack_client import LlamaStackClient

from tests.fixtures.server import RunningServer

pytestmark = pytest.mark.slow

CSV = (
    b'question,answer\n"What is 2+2?",4\n"Say ""hi""\non two lines",hi\nCapital of France?,Paris\n'
    b'A 5" screen?,"small, yes"\n'
)


def upload(server: RunningServer, name: str, data: bytes) -> str:
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0)
    return client.files.create(file=(name, io.BytesIO(data)), purpose="user_data").id


def register(server: RunningServer, **body: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1beta/datasets", json=body, timeout=10)


def rows(server: RunningServer, dataset_id: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(
        f"{server.base_url}/v1beta/datasetio/iterrows/{dataset_id}", params=params, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def qa(i: int) -> dict[str, Any]:
    return {"question": f"q{i}", "answer": f"a{i}"}


def test_a_csv_upload_is_read_with_quoted_newlines_and_paged(server: RunningServer) -> None:
    file_id = upload(server, "qa.csv", CSV)
    r = register(
        server,
        dataset_id="csv-qa",
        purpose="eval/question-answer",
        source={"type": "uri", "uri": file_id},
        metadata={"origin": "test"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["identifier"] == "csv-qa" and r.json()["type"] == "dataset"
    page = rows(server, "csv-qa")
    assert page["has_more"] is False
    assert page["data"] == [
        {"question": "What is 2+2?", "answer": "4"},
        {"question": 'Say "hi"\non two lines', "answer": "hi"},
        {"question": "Capital of France?", "answer": "Paris"},
        {"question": 'A 5" screen?', "answer": "small, yes"},
    ]
    first = rows(server, "csv-qa", start_index=0, limit=2)
    assert [d["answer"] for d in first["data"]] == ["4", "hi"] and first["has_more"] is True
    last = rows(server, "csv-qa", start_index=2, limit=2)
    assert [d["answer"] for d in last["data"]] == ["Paris", "small, yes"]
    assert last["has_more"] is False
    assert rows(server, "csv-qa", start_index=5, limit=2) == {
        "data": [], "has_more": False, "url": None,
    }  # fmt: skip


def test_a_jsonl_local_file_under_allowed_paths(server: RunningServer, allowed: Path) -> None:
    path = allowed / "qa.jsonl"
    path.write_bytes(b"".join(orjson.dumps(qa(i)) + b"\n" for i in range(25)))
    r = register(
        server,
        dataset_id="local-qa",
        purpose="eval/question-answer",
        source={"type": "uri", "uri": f"file://{path}"},
    )
    assert r.status_code == 200, r.text
    page = rows(server, "local-qa", start_index=10, limit=10)
    assert [d["question"] for d in page["data"]] == [f"q{i}" for i in range(10, 20)]
    assert page["has_more"] is True
    outside = register(
        server,
        purpose="eval/question-answer",
        source={"type": "uri", "uri": "/etc/passwd"},
    )
    assert outside.status_code == 400
    assert "allowed_paths" in outside.json()["error"]["message"]
    remote = register(
        server, purpose="eval/question-answer", source={"type": "uri", "uri": "https://x/y.csv"}
    )
    assert remote.status_code == 400


def test_parquet_from_a_data_uri_an_upload_and_a_local_file(
    server: RunningServer, allowed: Path
) -> None:
    table = pa.table({"question": [f"q{i}" for i in range(3000)], "answer": list(range(3000))})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    data = sink.getvalue()
    uri = "data:application/vnd.apache.parquet;base64," + base64.b64encode(data).decode()
    assert register(
        server, dataset_id="pq-data", purpose="eval/question-answer",
        source={"type": "uri", "uri": uri},
    ).status_code == 200  # fmt: skip
    page = rows(server, "pq-data", start_index=2048, limit=3)
    assert page["data"] == [{"question": f"q{i}", "answer": i} for i in range(2048, 2051)]
    file_id = upload(server, "qa.parquet", data)
    assert register(
        server, dataset_id="pq-file", purpose="eval/question-answer",
        source={"type": "uri", "uri": f"files://{file_id}"},
    ).status_code == 200  # fmt: skip
    assert rows(server, "pq-file", start_index=2999)["data"] == [
        {"question": "q2999", "answer": 2999}
    ]
    (allowed / "qa.parquet").write_bytes(data)
    assert register(
        server, dataset_id="pq-local", purpose="eval/question-answer",
        source={"type": "uri", "uri": str(allowed / "qa.parquet")},
    ).status_code == 200  # fmt: skip
    page = rows(server, "pq-local", start_index=1023, limit=2)
    assert [d["answer"] for d in page["data"]] == [1023, 1024] and page["has_more"]


def test_inline_rows_and_appended_rows_page_together(server: RunningServer) -> None:
    r = register(
        server,
        dataset_id="inline",
        purpose="eval/messages-answer",
        source={"type": "rows", "rows": [qa(i) for i in range(3)]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["source"] == {"type": "rows", "rows": []}
    appended = httpx.post(
        f"{server.base_url}/v1beta/datasetio/append-rows/inline",
        json={"rows": [qa(i) for i in range(3, 6)]},
        timeout=10,
    )
    assert appended.status_code == 204, appended.text
    assert [d["question"] for d in rows(server, "inline")["data"]] == [f"q{i}" for i in range(6)]
    page = rows(server, "inline", start_index=2, limit=3)
    assert [d["question"] for d in page["data"]] == ["q2", "q3", "q4"] and page["has_more"]
    # rows appended to a file-backed dataset come after the file's rows
    file_id = upload(server, "two.jsonl", b"".join(orjson.dumps(qa(i)) + b"\n" for i in range(2)))
    register(server, dataset_id="grow", purpose="eval/question-answer",
             source={"type": "uri", "uri": file_id})  # fmt: skip
    httpx.post(
        f"{server.base_url}/v1beta/datasetio/append-rows/grow", json={"rows": [qa(9)]}, timeout=10
    )
    assert [d["question"] for d in rows(server, "grow")["data"]] == ["q0", "q1", "q9"]
    assert [d["question"] for d in rows(server, "grow", start_index=2)["data"]] == ["q9"]


def test_list_get_delete_and_llama_stack_client(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    client.datasets.register(
        purpose="eval/question-answer",
        source={"type": "rows", "rows": [qa(0), qa(1)]},
        dataset_id="sdk-ds",
    )
    assert "sdk-ds" in {d.identifier for d in client.datasets.list()}
    assert client.datasets.retrieve("sdk-ds").purpose == "eval/question-answer"
    page = client.datasets.iterrows("sdk-ds", limit=1)
    assert page.data == [qa(0)] and page.has_more is True
    client.datasets.unregister("sdk-ds")
    missing = httpx.get(f"{server.base_url}/v1beta/datasets/sdk-ds", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "dataset_not_found"
    bad = register(server, purpose="eval/nothing", source={"type": "rows", "rows": []})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "purpose"
