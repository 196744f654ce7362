"""Benchmarks and eval jobs over HTTP and with llama-stack-client, against the fake upstream.

The fake answers ``echo: <last message>``, so which rows are right is known in advance.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from llama_stack_client import LlamaStackClient

from tests.evaluation.conftest import eval_config
from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.polling import wait_until
from tests.fixtures.server import RunningServer, run_server

pytestmark = pytest.mark.slow

FINAL = ("completed", "failed", "cancelled")


def rows(tag: str, n: int) -> list[dict[str, Any]]:
    # even rows expect exactly what the fake will answer; odd rows expect something else
    return [
        {"input_query": f"{tag} {i}", "expected_answer": f"echo: {tag} {i}" if i % 2 == 0 else "x"}
        for i in range(n)
    ]


def setup_benchmark(client: LlamaStackClient, name: str, data: list[dict[str, Any]]) -> None:
    client.datasets.register(
        purpose="eval/question-answer", source={"type": "rows", "rows": data}, dataset_id=name
    )
    client.benchmarks.register(
        benchmark_id=name,
        dataset_id=name,
        scoring_functions=["basic::equality", "basic::subset_of"],
    )


def config(model: str = "fake/fake-chat", **extra: Any) -> dict[str, Any]:
    candidate = {"type": "model", "model": model, "sampling_params": {"max_tokens": 16}}
    return {"eval_candidate": candidate, "scoring_params": {}, **extra}


def job_status(base: str, benchmark: str, job_id: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/v1alpha/eval/benchmarks/{benchmark}/jobs/{job_id}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def wait_final(base: str, benchmark: str, job_id: str, timeout: float = 30) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        status = job_status(base, benchmark, job_id)
        return status if status["status"] in FINAL else None

    return wait_until(probe, timeout=timeout, what=f"job {job_id}")


def asked(fake: RunningFake, tag: str) -> Counter[str]:
    return Counter(
        m["content"]
        for r in fake.state.requests
        for m in r["body"].get("messages", [])
        if str(m.get("content", "")).startswith(tag + " ")
    )


def test_a_model_benchmark_runs_end_to_end_with_llama_stack_client(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    setup_benchmark(client, "echo-bench", rows("sdk", 6))
    assert client.benchmarks.retrieve("echo-bench").dataset_id == "echo-bench"
    assert "echo-bench" in {b.identifier for b in client.benchmarks.list()}
    job = client.eval.run_eval("echo-bench", benchmark_config=config())  # type: ignore[arg-type]
    assert job.status == "scheduled"
    wait_until(
        lambda: client.eval.jobs.status(job.job_id, benchmark_id="echo-bench").status in FINAL,
        timeout=30,
        what="the job",
    )
    assert client.eval.jobs.status(job.job_id, benchmark_id="echo-bench").status == "completed"
    result = client.eval.jobs.retrieve(job.job_id, benchmark_id="echo-bench")
    assert [g["generated_answer"] for g in result.generations] == [
        f"echo: sdk {i}" for i in range(6)
    ]
    equality = result.scores["basic::equality"]
    assert [r["score"] for r in equality.score_rows] == [1.0, 0.0] * 3
    assert equality.aggregated_results["accuracy"] == 0.5
    assert result.scores["basic::subset_of"].aggregated_results["num_correct"] == 3.0


def test_num_examples_evaluate_rows_and_an_agent_candidate(server: RunningServer) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    setup_benchmark(client, "few", rows("few", 10))
    job = client.eval.run_eval("few", benchmark_config=config(num_examples=3))  # type: ignore[arg-type]
    done = wait_final(server.base_url, "few", job.job_id)
    assert (done["status"], done["rows_total"], done["rows_done"]) == ("completed", 3, 3)
    evaluated = client.eval.evaluate_rows(
        "few",
        input_rows=rows("direct", 2),
        scoring_functions=["basic::equality"],
        benchmark_config=config(),  # type: ignore[arg-type]
    )
    assert [g["generated_answer"] for g in evaluated.generations] == [
        "echo: direct 0",
        "echo: direct 1",
    ]
    agent = {"eval_candidate": {"type": "agent", "config": {"model": "fake/fake-chat"}},
             "scoring_params": {}}  # fmt: skip
    r = httpx.post(
        f"{server.base_url}/v1alpha/eval/benchmarks/few/evaluations",
        json={"input_rows": rows("agent", 2), "scoring_functions": ["basic::subset_of"],
              "benchmark_config": agent},
        timeout=30,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert [g["generated_answer"] for g in r.json()["generations"]] == [
        "echo: agent 0", "echo: agent 1",
    ]  # fmt: skip


def test_bad_benchmarks_and_candidates_are_refused(server: RunningServer) -> None:
    base = f"{server.base_url}/v1alpha/eval/benchmarks"
    missing = httpx.post(
        base,
        json={"benchmark_id": "b", "dataset_id": "nope", "scoring_functions": ["basic::equality"]},
        timeout=10,
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "dataset_not_found"
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    setup_benchmark(client, "refuse", rows("refuse", 2))
    r = httpx.post(
        f"{base}/refuse/jobs", json={"benchmark_config": config("nope/model")}, timeout=10
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    unknown = httpx.get(f"{base}/refuse/jobs/evaljob-missing", timeout=10)
    assert unknown.status_code == 404


def test_cancel_stops_a_job(server: RunningServer, fake: RunningFake) -> None:
    client = LlamaStackClient(base_url=server.base_url, max_retries=0)
    setup_benchmark(client, "cancel", rows("cancel", 40))
    job = client.eval.run_eval("cancel", benchmark_config=config("fake/slow-0.1"))  # type: ignore[arg-type]
    wait_until(lambda: len(asked(fake, "cancel")) >= 2, timeout=20, what="two rows asked")
    client.eval.jobs.cancel(job.job_id, benchmark_id="cancel")
    done = wait_final(server.base_url, "cancel", job.job_id)
    assert done["status"] == "cancelled"
    r = httpx.get(
        f"{server.base_url}/v1alpha/eval/benchmarks/cancel/jobs/{job.job_id}/result", timeout=10
    )
    assert r.status_code == 409
    assert sum(asked(fake, "cancel").values()) < 40


def test_a_job_resumes_after_a_restart_without_regenerating_rows(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("eval-restart")
    concurrency = 2
    cfg = eval_config(
        fake.url,
        f"poll_interval_seconds: 0.2, flush_interval_seconds: 0.1, "
        f"max_concurrent_generations: {concurrency}",
    )
    with run_server(cfg, folder, timeout=60) as first:
        client = LlamaStackClient(base_url=first.base_url, max_retries=0)
        setup_benchmark(client, "resume", rows("resume", 30))
        job = client.eval.run_eval("resume", benchmark_config=config("fake/slow-0.1"))  # type: ignore[arg-type]
        wait_until(
            lambda: (job_status(first.base_url, "resume", job.job_id)["rows_done"] or 0) >= 6,
            timeout=20,
            what="six rows",
        )
    before = sum(asked(fake, "resume").values())
    assert 6 <= before < 30
    with run_server(cfg, folder, timeout=60) as second:
        kept = job_status(second.base_url, "resume", job.job_id)["rows_done"]
        done = wait_final(second.base_url, "resume", job.job_id, timeout=60)
        assert done["status"] == "completed" and done["rows_done"] == 30
        client = LlamaStackClient(base_url=second.base_url, max_retries=0)
        result = client.eval.jobs.retrieve(job.job_id, benchmark_id="resume")
        assert result.scores["basic::equality"].aggregated_results["accuracy"] == 0.5
    seen = asked(fake, "resume")
    assert len(seen) == 30
    assert sum(seen.values()) - 30 <= concurrency  # only rows in flight at the stop ran twice
    assert before - kept <= concurrency


def test_openapi_lists_the_new_routes(server: RunningServer) -> None:
    spec = httpx.get(f"{server.base_url}/openapi.json", timeout=10).json()
    paths = set(spec["paths"])
    assert {
        "/v1alpha/eval/benchmarks",
        "/v1alpha/eval/benchmarks/{benchmark_id}/jobs",
        "/v1alpha/eval/benchmarks/{benchmark_id}/jobs/{job_id}/result",
        "/v1beta/datasets",
        "/v1beta/datasetio/iterrows/{dataset_id}",
        "/v1/scoring/score",
        "/v1/scoring-functions",
    } <= paths, sorted(paths)


def test_datasets_and_benchmarks_of_the_run_config(
    fake: RunningFake, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("eval-config")
    resources = """
datasets:
- dataset_id: cfg-qa
  purpose: eval/question-answer
  source: {type: rows, rows: [{input_query: hi, expected_answer: "echo: hi"}]}
benchmarks:
- benchmark_id: cfg-bench
  dataset_id: cfg-qa
  scoring_functions: [basic::equality]
"""
    with run_server(eval_config(fake.url) + resources, folder, timeout=60) as running:
        client = LlamaStackClient(base_url=running.base_url, max_retries=0)
        job = client.eval.run_eval("cfg-bench", benchmark_config=config())  # type: ignore[arg-type]
        assert wait_final(running.base_url, "cfg-bench", job.job_id)["status"] == "completed"
        result = client.eval.jobs.retrieve(job.job_id, benchmark_id="cfg-bench")
        assert result.scores["basic::equality"].aggregated_results["accuracy"] == 1.0
    broken = resources.replace("dataset_id: cfg-qa\n  scoring", "dataset_id: nope\n  scoring")
    with pytest.raises(RuntimeError, match="benchmark 'cfg-bench' cannot be served"):
        with run_server(eval_config(fake.url) + broken, folder, timeout=60):
            pass
