"""The Batches API over HTTP with the openai SDK, against a fake upstream."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter

import httpx
import openai
import pytest
from openai.types import Batch

from tests.batches.conftest import (
    batches_config,
    chat_line,
    jsonl,
    read_jsonl,
    sdk,
    upload,
)
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.polling import wait_until
from tests.fixtures.server import RunningServer, run_server

pytestmark = pytest.mark.slow

DONE = ("completed", "failed", "cancelled", "expired")


def finished(client: openai.OpenAI, batch_id: str, timeout: float = 30.0) -> Batch:
    def probe() -> Batch | None:
        batch = client.batches.retrieve(batch_id)
        return batch if batch.status in DONE else None

    return wait_until(probe, timeout=timeout, what=f"batch {batch_id} to finish")


def completed(client: openai.OpenAI, batch_id: str) -> int:
    counts = client.batches.retrieve(batch_id).request_counts
    return 0 if counts is None else counts.completed


def contents(fake: RunningFake, tag: str) -> list[str]:
    out = []
    for request in fake.state.requests:
        for message in request["body"].get("messages", []):
            if str(message.get("content", "")).startswith(tag):
                out.append(message["content"])
    return out


def test_a_chat_batch_runs_every_line_and_writes_the_output_file(
    client: openai.OpenAI, fake: RunningFake
) -> None:
    lines = [chat_line(i) for i in range(5)]
    for line in lines:
        line["body"]["messages"][0]["content"] = f"simple {line['custom_id']}"
    file_id = upload(client, jsonl(lines))
    batch = client.batches.create(
        input_file_id=file_id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "nightly"},
    )
    assert batch.status == "validating"
    assert batch.metadata == {"job": "nightly"}
    done = finished(client, batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed) == (5, 5)
    assert done.request_counts.failed == 0
    assert done.error_file_id is None
    assert done.completed_at is not None and done.in_progress_at is not None
    assert done.model == "fake/fake-chat"
    assert done.usage is not None  # the fake answers with 5 prompt and 3 completion tokens
    assert (done.usage.input_tokens, done.usage.output_tokens) == (25, 15)
    assert done.usage.total_tokens == 40
    output = read_jsonl(client, done.output_file_id)
    assert [o["custom_id"] for o in output] == [f"req-{i}" for i in range(5)]
    first = output[0]
    assert first["error"] is None
    assert first["response"]["status_code"] == 200
    assert first["id"].startswith("batch_req_") and first["response"]["request_id"] == first["id"]
    body = first["response"]["body"]
    assert body["model"] == "fake/fake-chat"
    assert body["choices"][0]["message"]["content"] == "echo: simple req-0"
    assert client.files.retrieve(done.output_file_id or "").purpose == "batch_output"
    assert Counter(contents(fake, "simple ")) == {f"simple req-{i}": 1 for i in range(5)}


def test_embeddings_and_completions_batches(client: openai.OpenAI) -> None:
    embed = [
        {"custom_id": f"e{i}", "method": "POST", "url": "/v1/embeddings",
         "body": {"model": "fake/fake-embed", "input": f"text {i}"}}
        for i in range(3)
    ]  # fmt: skip
    batch = client.batches.create(
        input_file_id=upload(client, jsonl(embed)),
        endpoint="/v1/embeddings",
        completion_window="24h",
    )
    output = read_jsonl(client, finished(client, batch.id).output_file_id)
    assert [len(o["response"]["body"]["data"][0]["embedding"]) for o in output] == [8, 8, 8]
    prompts = [
        {"custom_id": "c0", "method": "POST", "url": "/v1/completions",
         "body": {"model": "fake/fake-chat", "prompt": "hello"}}
    ]  # fmt: skip
    batch = client.batches.create(
        input_file_id=upload(client, jsonl(prompts)),
        endpoint="/v1/completions",
        completion_window="24h",
    )
    output = read_jsonl(client, finished(client, batch.id).output_file_id)
    assert output[0]["response"]["body"]["choices"][0]["text"] == " world"


def test_lines_the_upstream_refuses_go_to_the_error_file(client: openai.OpenAI) -> None:
    lines = [
        chat_line(0),
        chat_line(1, model="fake/error-500"),
        chat_line(2),
        chat_line(3, model="fake/error-400"),
    ]
    batch = client.batches.create(
        input_file_id=upload(client, jsonl(lines)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    done = finished(client, batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (2, 2)
    assert [o["custom_id"] for o in read_jsonl(client, done.output_file_id)] == ["req-0", "req-2"]
    errors = read_jsonl(client, done.error_file_id)
    assert [e["custom_id"] for e in errors] == ["req-1", "req-3"]
    assert errors[0]["response"]["status_code"] == 502
    assert errors[0]["response"]["body"]["error"]["type"] == "upstream_error"
    assert errors[1]["response"]["status_code"] >= 400


def test_malformed_input_fails_the_batch_naming_each_line(client: openai.OpenAI) -> None:
    lines: list[object] = [
        chat_line(0),
        b"{not json",
        {"method": "POST", "url": "/v1/chat/completions", "body": {}},
        {**chat_line(3), "url": "/v1/embeddings"},
        chat_line(4, stream=True),
        chat_line(5, model="nope/missing"),
        {**chat_line(6), "body": {"model": "fake/fake-chat", "messages": "hi"}},
        chat_line(0),  # custom_id used twice
        chat_line(8, temperature="hot"),
    ]
    batch = client.batches.create(
        input_file_id=upload(client, jsonl(lines)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    done = finished(client, batch.id)
    assert done.status == "failed"
    assert done.failed_at is not None
    assert done.errors is not None and done.errors.data is not None
    found = [(e.line, e.code, e.param) for e in done.errors.data]
    assert found == [
        (2, "invalid_json_line", None),
        (3, "missing_required_parameter", "custom_id"),
        (4, "invalid_url", "url"),
        (5, "streaming_unsupported", "body.stream"),
        (6, "model_not_found", "body.model"),
        (7, "invalid_request", "body.messages"),
        (8, "duplicate_custom_id", "custom_id"),
        (9, "invalid_request", "body.temperature"),
    ]
    assert done.output_file_id is None


def test_bad_create_requests_are_400s(client: openai.OpenAI, server: RunningServer) -> None:
    good = upload(client, jsonl([chat_line(0)]))
    other = upload(client, jsonl([chat_line(0)]), purpose="assistants")
    base = {"input_file_id": good, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    cases = [
        ({**base, "endpoint": "/v1/responses"}, "endpoint"),
        ({**base, "completion_window": "1h"}, "completion_window"),
        ({**base, "input_file_id": "file-missing"}, "input_file_id"),
        ({**base, "input_file_id": other}, "input_file_id"),
    ]
    for body, param in cases:
        r = httpx.post(f"{server.base_url}/v1/batches", json=body, timeout=10)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == param
    missing = httpx.get(f"{server.base_url}/v1/batches/batch_nope", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "batch_not_found"


def test_cancel_stops_the_remaining_lines(client: openai.OpenAI, fake: RunningFake) -> None:
    lines = [chat_line(i, model="fake/slow-0.3") for i in range(40)]
    for line in lines:
        line["body"]["messages"][0]["content"] = f"cancel {line['custom_id']}"
    batch = client.batches.create(
        input_file_id=upload(client, jsonl(lines)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    wait_until(
        lambda: completed(client, batch.id) >= 2,
        timeout=20,
        what="two lines done",
    )
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status in ("cancelling", "cancelled")
    done = finished(client, batch.id)
    assert done.status == "cancelled"
    assert done.cancelled_at is not None and done.cancelling_at is not None
    assert done.request_counts is not None
    count = done.request_counts.completed
    assert 2 <= count < 40
    output = read_jsonl(client, done.output_file_id)
    assert len(output) == count
    seen = len(contents(fake, "cancel "))
    assert seen < 40
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(
            finished(client, client.batches.create(
                input_file_id=upload(client, jsonl([chat_line(0)])),
                endpoint="/v1/chat/completions", completion_window="24h",
            ).id).id
        )  # fmt: skip


def test_an_idempotency_key_returns_the_first_batch(client: openai.OpenAI) -> None:
    file_id = upload(client, jsonl([chat_line(0)]))
    args = {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    first = client.batches.create(**args, extra_body={"idempotency_key": "nightly-1"})  # type: ignore[arg-type]
    again = client.batches.create(**args, extra_body={"idempotency_key": "nightly-1"})  # type: ignore[arg-type]
    assert again.id == first.id
    with pytest.raises(openai.ConflictError):
        client.batches.create(
            **args,  # type: ignore[arg-type]
            metadata={"changed": "yes"},
            extra_body={"idempotency_key": "nightly-1"},
        )
    fresh = client.batches.create(**args)  # type: ignore[arg-type]
    assert fresh.id != first.id


def test_list_pages_newest_first(client: openai.OpenAI) -> None:
    file_id = upload(client, jsonl([chat_line(0)]))
    ids = [
        client.batches.create(
            input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
        ).id
        for _ in range(3)
    ]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == ids[::-1][:2]
    assert page.has_more
    rest = client.batches.list(limit=2, after=ids[1])
    assert rest.data[0].id == ids[0]


def test_fifty_lines_survive_a_restart_without_redoing_finished_lines(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("restart")
    concurrency = 4
    config = batches_config(
        fake.url,
        batches=f"{{max_concurrent_requests_per_batch: {concurrency}, poll_interval_seconds: 0.2}}",
    )
    lines = [chat_line(i, model="fake/slow-0.05") for i in range(50)]
    for line in lines:
        line["body"]["messages"][0]["content"] = f"restart {line['custom_id']}"
    with run_server(config, folder, timeout=60) as first:
        client = sdk(first)
        batch = client.batches.create(
            input_file_id=upload(client, jsonl(lines)),
            endpoint="/v1/chat/completions",
            completion_window="24h",
        )
        wait_until(
            lambda: completed(client, batch.id) >= 10,
            timeout=20,
            what="ten lines done",
        )
    before = Counter(contents(fake, "restart "))
    assert 10 <= sum(before.values()) < 50
    with run_server(config, folder, timeout=60) as second:
        client = sdk(second)
        stored = client.batches.retrieve(batch.id)
        assert stored.request_counts is not None
        kept = stored.request_counts.completed
        assert kept >= 10
        done = finished(client, batch.id)
        assert done.status == "completed"
        assert done.request_counts is not None
        assert (done.request_counts.total, done.request_counts.completed) == (50, 50)
        assert done.usage is not None and done.usage.input_tokens == 50 * 5  # each line once
        output = read_jsonl(client, done.output_file_id)
    assert [o["custom_id"] for o in output] == [f"req-{i}" for i in range(50)]
    assert all(o["response"]["status_code"] == 200 for o in output)
    seen = Counter(contents(fake, "restart "))
    assert set(seen) == {f"restart req-{i}" for i in range(50)}
    # Only lines in flight when the first server stopped ran twice; stored ones never did.
    assert sum(seen.values()) - 50 <= concurrency
    assert sum(before.values()) - kept <= concurrency


def test_two_servers_never_run_the_same_line(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("replicas")
    config = batches_config(
        fake.url,
        batches="{max_concurrent_requests_per_batch: 3, poll_interval_seconds: 0.1}",
    )
    with (
        run_server(config, folder, timeout=60) as one,
        run_server(config, folder, timeout=60) as two,
    ):
        clients = [sdk(one), sdk(two)]
        ids = []
        for b in range(4):
            lines = [chat_line(i, model="fake/slow-0.05") for i in range(8)]
            for line in lines:
                line["body"]["messages"][0]["content"] = f"replica {b}-{line['custom_id']}"
            client = clients[b % 2]
            ids.append(
                client.batches.create(
                    input_file_id=upload(client, jsonl(lines)),
                    endpoint="/v1/chat/completions",
                    completion_window="24h",
                ).id
            )
        for batch_id in ids:
            assert finished(clients[0], batch_id).status == "completed"
    seen = Counter(contents(fake, "replica "))
    assert len(seen) == 32
    assert set(seen.values()) == {1}


def test_lines_count_against_the_creators_quota_and_wait_for_it(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("quota")
    plain = batches_config(fake.url, batches="{poll_interval_seconds: 0.2}")
    quota = """
server:
  quota:
    kvstore: {backend: kv_main, namespace: quota}
    anonymous_max_requests: 12
    period: day
"""
    lines = [chat_line(i) for i in range(20)]
    for line in lines:
        line["body"]["messages"][0]["content"] = f"quota {line['custom_id']}"
    with run_server(plain + quota, folder, timeout=60) as limited:
        client = sdk(limited)
        # two requests (upload, create) leave ten of the creator's twelve for the lines
        batch = client.batches.create(
            input_file_id=upload(client, jsonl(lines)),
            endpoint="/v1/chat/completions",
            completion_window="24h",
        )
        wait_until(lambda: len(contents(fake, "quota ")) >= 10, timeout=20, what="ten lines")
        # The other ten wait for the quota window (a day): none may reach the upstream.
        time.sleep(0.5)
        assert len(contents(fake, "quota ")) == 10
    with run_server(plain, folder, timeout=60) as free:
        done = finished(sdk(free), batch.id)
        assert done.request_counts is not None
        assert (done.status, done.request_counts.completed) == ("completed", 20)
    assert Counter(contents(fake, "quota ")) == {f"quota req-{i}": 1 for i in range(20)}


def test_a_killed_server_loses_its_batch_to_the_next_once_the_lease_runs_out(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("killed")
    config = batches_config(
        fake.url,
        batches="{max_concurrent_requests_per_batch: 2, poll_interval_seconds: 0.2, "
        "lease_seconds: 2, flush_interval_seconds: 0.1}",
    )
    lines = [chat_line(i, model="fake/slow-0.05") for i in range(40)]
    for line in lines:
        line["body"]["messages"][0]["content"] = f"killed {line['custom_id']}"
    with run_server(config, folder, timeout=60) as first:
        client = sdk(first)
        batch = client.batches.create(
            input_file_id=upload(client, jsonl(lines)),
            endpoint="/v1/chat/completions",
            completion_window="24h",
        )
        wait_until(lambda: completed(client, batch.id) >= 8, timeout=20, what="eight lines")
        first.process.kill()  # SIGKILL: no flush, no lease release
        first.process.wait()
    with run_server(config, folder, timeout=60) as second:
        done = finished(sdk(second), batch.id, timeout=60)
        assert done.status == "completed"
        assert done.request_counts is not None and done.request_counts.completed == 40
        output = read_jsonl(sdk(second), done.output_file_id)
    assert [o["custom_id"] for o in output] == [f"req-{i}" for i in range(40)]
    seen = Counter(contents(fake, "killed "))
    assert set(seen) == {f"killed req-{i}" for i in range(40)}
    # run again: at most the lines in flight and those finished in the last 0.1 s interval
    assert sum(seen.values()) - 40 <= 2 + 6


def test_lines_not_run_before_the_window_closes_are_answered_batch_expired(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("expired")
    config = batches_config(
        fake.url, batches="{max_concurrent_requests_per_batch: 1, poll_interval_seconds: 0.2}"
    )
    lines = [chat_line(i, model="fake/slow-0.05") for i in range(30)]
    with run_server(config, folder, timeout=60) as first:
        client = sdk(first)
        batch = client.batches.create(
            input_file_id=upload(client, jsonl(lines)),
            endpoint="/v1/chat/completions",
            completion_window="24h",
        )
        wait_until(lambda: completed(client, batch.id) >= 3, timeout=20, what="three lines")
    # The window cannot be shortened through the API: move the stored deadline into the past.
    with sqlite3.connect(folder / "store" / "sql.db") as db:
        db.execute("UPDATE batches SET expires_at = 1 WHERE id = ?", (batch.id,))
    with run_server(config, folder, timeout=60) as second:
        client = sdk(second)
        done = finished(client, batch.id)
        output = read_jsonl(client, done.output_file_id)
        errors = read_jsonl(client, done.error_file_id)
    assert done.status == "expired" and done.expired_at is not None
    assert done.request_counts is not None
    assert done.request_counts.completed == len(output) >= 3
    assert done.request_counts.failed == len(errors) == 30 - len(output)
    assert [o["custom_id"] for o in output + errors] == [f"req-{i}" for i in range(30)]
    assert errors[0]["response"] is None
    assert errors[0]["error"]["code"] == "batch_expired"
