"""remote::huggingface reads a dataset's split from the local hub cache, and never downloads."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.datasets.conftest import datasets_config
from tests.fixtures.server import RunningServer, run_server

pytestmark = pytest.mark.slow

HF = """  - provider_id: huggingface
    provider_type: remote::huggingface
    config: {{cache_dir: "{cache}"}}
"""


@pytest.fixture(scope="module")
def hf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    cache = tmp_path_factory.mktemp("hub")
    snapshot = cache / "datasets--llamastack--simpleqa" / "snapshots" / "0123abcd"
    (snapshot / "data").mkdir(parents=True)
    rows = {"problem": [f"p{i}" for i in range(5)], "answer": [f"a{i}" for i in range(5)]}
    pq.write_table(pa.table(rows), snapshot / "data" / "train-00000-of-00001.parquet")
    (snapshot / "test.jsonl").write_bytes(orjson.dumps({"problem": "t0", "answer": "x"}) + b"\n")
    (snapshot / "README.md").write_text("card")
    allowed = tmp_path_factory.mktemp("allowed")
    config = datasets_config(allowed).replace(
        "storage:\n", HF.format(cache=cache) + "storage:\n", 1
    )
    with run_server(config, tmp_path_factory.mktemp("hf"), timeout=60) as running:
        yield running


def register(server: RunningServer, dataset_id: str, uri: str) -> httpx.Response:
    body = {"dataset_id": dataset_id, "provider_id": "huggingface",
            "purpose": "eval/question-answer", "source": {"type": "uri", "uri": uri}}  # fmt: skip
    return httpx.post(f"{server.base_url}/v1beta/datasets", json=body, timeout=10)


def test_splits_are_read_from_the_cached_snapshot(hf_server: RunningServer) -> None:
    uri = "huggingface://datasets/llamastack/simpleqa"
    assert register(hf_server, "sqa-train", uri + "?split=train").status_code == 200
    assert register(hf_server, "sqa-test", uri + "?split=test").status_code == 200
    base = f"{hf_server.base_url}/v1beta/datasetio/iterrows"
    page = httpx.get(f"{base}/sqa-train", params={"start_index": 3}, timeout=10).json()
    assert page == {"data": [{"problem": "p3", "answer": "a3"}, {"problem": "p4", "answer": "a4"}],
                    "has_more": False, "url": None}  # fmt: skip
    assert httpx.get(f"{base}/sqa-test", timeout=10).json()["data"] == [
        {"problem": "t0", "answer": "x"}
    ]
    appended = httpx.post(
        f"{hf_server.base_url}/v1beta/datasetio/append-rows/sqa-train",
        json={"rows": [{"problem": "p", "answer": "a"}]},
        timeout=10,
    )
    assert appended.status_code == 400
    assert appended.json()["error"]["code"] == "append_not_supported"


def test_a_dataset_missing_from_the_cache_is_not_downloaded(hf_server: RunningServer) -> None:
    r = register(hf_server, "nope", "huggingface://datasets/someone/elsewhere?split=train")
    assert r.status_code == 400
    assert "huggingface-cli download --repo-type dataset someone/elsewhere" in r.text
    assert register(hf_server, "bad", "https://huggingface.co/x").status_code == 400
