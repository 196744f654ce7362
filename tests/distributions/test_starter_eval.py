"""The starter distribution evaluates and batches offline with the embedded SmolLM2."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
from llama_stack_client import LlamaStackClient
from openai.types import Batch

from tests.distributions.test_starter import REMOTE_VARS
from tests.fixtures.polling import wait_until
from tests.fixtures.server import run_server

pytestmark = pytest.mark.slow

MODEL = "llama-cpp/SmolLM2-135M-Instruct"


def test_a_small_benchmark_and_a_batch_run_end_to_end_offline(tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1", **{k: "" for k in REMOTE_VARS}}
    with run_server("starter", tmp_path, env=env, timeout=90) as server:
        client = LlamaStackClient(base_url=server.base_url, max_retries=0)
        rows: list[dict[str, Any]] = [
            {"input_query": "What is the capital of France?", "expected_answer": "Paris"},
            {"input_query": "What colour is the sky on a clear day?", "expected_answer": "blue"},
        ]
        client.datasets.register(
            purpose="eval/question-answer", source={"type": "rows", "rows": rows}, dataset_id="qa"
        )
        functions = ["basic::subset_of", "llm-as-judge::base"]
        client.benchmarks.register(benchmark_id="qa", dataset_id="qa", scoring_functions=functions)
        job = client.eval.run_eval(
            "qa",
            benchmark_config={
                "eval_candidate": {
                    "type": "model",
                    "model": MODEL,
                    "sampling_params": {"max_tokens": 16, "strategy": {"type": "greedy"}},
                },
                "scoring_params": {},
            },  # fmt: skip
        )
        wait_until(
            lambda: (
                client.eval.jobs.status(job.job_id, benchmark_id="qa").status
                in ("completed", "failed", "cancelled")
            ),
            timeout=120,
            what="the eval job",
        )
        assert client.eval.jobs.status(job.job_id, benchmark_id="qa").status == "completed"
        result = client.eval.jobs.retrieve(job.job_id, benchmark_id="qa")
        assert len(result.generations) == 2
        assert all(g["generated_answer"] for g in result.generations)
        subset = result.scores["basic::subset_of"]
        assert subset.aggregated_results["num_total"] == 2
        assert 0.0 <= float(subset.aggregated_results["accuracy"]) <= 1.0  # type: ignore[arg-type]
        judged = result.scores["llm-as-judge::base"].score_rows
        assert len(judged) == 2 and all(r["judge_feedback"] for r in judged)

        sdk = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="none", max_retries=0)
        lines = b"".join(
            orjson.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                          "body": {"model": MODEL, "max_tokens": 8,
                                   "messages": [{"role": "user", "content": f"Say {i}"}]}})
            + b"\n"
            for i in range(2)
        )  # fmt: skip
        upload = sdk.files.create(file=("in.jsonl", io.BytesIO(lines)), purpose="batch")
        batch = sdk.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
        )

        def finished() -> Batch | None:
            found = sdk.batches.retrieve(batch.id)
            return found if found.status in ("completed", "failed") else None

        done = wait_until(finished, timeout=120, what="the batch")
        assert done.status == "completed", done.errors
        output = sdk.files.content(done.output_file_id or "").content.splitlines()
        assert [orjson.loads(line)["custom_id"] for line in output] == ["r0", "r1"]
