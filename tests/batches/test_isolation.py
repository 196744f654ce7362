"""Two users on one server: batches, their output files and datasets stay their owner's."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.batches.conftest import batches_config, chat_line, jsonl, read_jsonl, upload
from tests.batches.test_batches import finished
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.server import RunningServer, run_server

pytestmark = pytest.mark.slow

DATASETIO = """  datasetio:
  - {provider_id: localfs, provider_type: inline::localfs, config: {}}
"""
POLICY = """
server:
  auth:
    provider_config: {{type: custom, endpoint: "{url}/validate"}}
    access_policy:
    - permit: {{actions: [read], resource: "model::*"}}
    - permit: {{actions: [create], resource: "sql_record::openai_files::*"}}
    - permit: {{actions: [read, update, delete], resource: "sql_record::openai_files::*"}}
      when: user is owner
    - permit: {{actions: [create], resource: "sql_record::batches::*"}}
    - permit: {{actions: [read, update, delete], resource: "sql_record::batches::*"}}
      when: user is owner
    - permit: {{actions: [create], resource: "dataset::*"}}
    - permit: {{actions: [read, update, delete], resource: "dataset::*"}}
      when: user is owner
"""


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users["alice-token"] = {"principal": "alice", "access_attributes": {}}
        running.custom_users["bob-token"] = {"principal": "bob", "access_attributes": {}}
        yield running


@pytest.fixture(scope="module")
def secured(
    fake: RunningFake, stubs: IdentityStubs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    base = batches_config(fake.url, batches="{poll_interval_seconds: 0.2}")
    config = base.replace("storage:\n", DATASETIO + "storage:\n", 1) + POLICY.format(url=stubs.url)
    with run_server(config, tmp_path_factory.mktemp("isolation"), timeout=60) as running:
        yield running


def sdk(server: RunningServer, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=token, max_retries=0)


def test_another_users_batches_and_files_are_not_found(secured: RunningServer) -> None:
    alice, bob = sdk(secured, "alice-token"), sdk(secured, "bob-token")
    batch = alice.batches.create(
        input_file_id=upload(alice, jsonl([chat_line(0)])),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    done = finished(alice, batch.id)
    assert done.status == "completed"
    assert len(read_jsonl(alice, done.output_file_id)) == 1
    with pytest.raises(openai.NotFoundError):
        bob.batches.retrieve(batch.id)
    with pytest.raises(openai.NotFoundError):
        bob.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        bob.files.content(done.output_file_id or "")
    assert [b.id for b in bob.batches.list()] == []
    assert batch.id in [b.id for b in alice.batches.list()]
    # bob cannot run a batch over alice's input file either
    with pytest.raises(openai.BadRequestError):
        bob.batches.create(
            input_file_id=batch.input_file_id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
        )


def test_another_users_datasets_are_not_found(secured: RunningServer) -> None:
    base = f"{secured.base_url}/v1beta"
    alice = {"Authorization": "Bearer alice-token"}
    bob = {"Authorization": "Bearer bob-token"}
    body = {"dataset_id": "alice-ds", "purpose": "eval/question-answer",
            "source": {"type": "rows", "rows": [{"a": 1}]}}  # fmt: skip
    assert httpx.post(f"{base}/datasets", json=body, headers=alice).status_code == 200
    assert httpx.get(f"{base}/datasetio/iterrows/alice-ds", headers=alice).json()["data"] == [
        {"a": 1}
    ]
    assert httpx.get(f"{base}/datasetio/iterrows/alice-ds", headers=bob).status_code == 404
    appended = httpx.post(
        f"{base}/datasetio/append-rows/alice-ds", json={"rows": [{"a": 2}]}, headers=bob
    )
    assert appended.status_code == 404
    assert httpx.get(f"{base}/datasets", headers=bob).json()["data"] == []
    assert httpx.delete(f"{base}/datasets/alice-ds", headers=bob).status_code == 404
    assert httpx.get(f"{base}/datasets/alice-ds", headers=alice).status_code == 200
