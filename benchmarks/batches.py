"""Batches: throughput against concurrency, and memory while a 100k-line input streams.

Against the fast fake upstream (benchmarks/upstream.py), one corral per
concurrency (``max_concurrent_requests_per_batch``) runs a batch of N chat
lines: lines/s from create to ``completed`` (validation, the lines, the output
file), and the server's CPU per line. The online path is measured at the same
concurrency with wrk on the same server (req/s and CPU per request), so the
batch's own cost per line shows. Then a 100k-line batch runs while the server's
RSS is sampled every 100 ms. Writes ``benchmarks/results/batches.json`` and ``.md``.

    python benchmarks/batches.py            # a few minutes
    python benchmarks/batches.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import load
import procs
import targets

HERE = Path(__file__).resolve().parent
LINE = (
    b'{"custom_id": "r%d", "method": "POST", "url": "/v1/chat/completions", "body": '
    b'{"model": "up/bench-model", "messages": [{"role": "user", "content": "line %d"}]}}\n'
)


def config(upstream: str, work: Path, concurrency: int) -> str:
    """The plain benchmark config with files and batches."""
    base = targets.corral_config(upstream, work, "plain").replace("apis: [inference]\n", "")
    extra = f"""  files:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      storage_dir: "{work}/files"
      metadata_store: {{backend: sql_default, table_name: openai_files}}
  batches:
  - provider_id: reference
    provider_type: inline::reference
    config: {{max_concurrent_requests_per_batch: {concurrency}, poll_interval_seconds: 0.2}}
"""
    return base.replace("storage:\n", extra + "storage:\n", 1)


def input_file(path: Path, lines: int) -> Path:
    """A JSONL batch input of `lines` chat requests."""
    with path.open("wb") as fh:
        for i in range(lines):
            fh.write(LINE % (i, i))
    return path


def run_batch(base: str, data: Path, pid: int, sample_every: float | None = None) -> dict[str, Any]:
    """Upload, create, poll until done; wall time, server CPU and (optionally) RSS samples."""
    with httpx.Client(base_url=base, timeout=300) as client:
        with data.open("rb") as fh:
            file_id = client.post(
                "/v1/files", files={"file": ("in.jsonl", fh)}, data={"purpose": "batch"}
            ).json()["id"]
        rss = [procs.rss_mb(pid)]
        cpu0, t0 = procs.cpu_seconds(pid), time.monotonic()
        batch = client.post(
            "/v1/batches",
            json={"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                  "completion_window": "24h"},
        ).json()  # fmt: skip
        while batch["status"] not in ("completed", "failed", "cancelled", "expired"):
            time.sleep(sample_every or 0.05)
            if sample_every:
                rss.append(procs.rss_mb(pid))
            batch = client.get(f"/v1/batches/{batch['id']}").json()
        seconds, cpu = time.monotonic() - t0, procs.cpu_seconds(pid) - cpu0
    counts = batch["request_counts"]
    assert batch["status"] == "completed" and counts["completed"] == counts["total"], batch
    return {
        "lines": counts["total"],
        "seconds": seconds,
        "lines_per_s": counts["total"] / seconds,
        "cpu_us_per_line": cpu / counts["total"] * 1e6,
        "rss_mb": rss,
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Throughput per concurrency (batch and online), then memory over the big input."""
    out: dict[str, Any] = {"lines": args.lines, "scenarios": {}}
    with tempfile.TemporaryDirectory(prefix="corral-batch-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        up_port = procs.free_port()
        upstream = f"http://127.0.0.1:{up_port}"
        stack.enter_context(
            procs.process([sys.executable, str(HERE / "upstream.py"), str(up_port)])
        )
        procs.wait_http(f"{upstream}/v1/models")
        data = input_file(work / "in.jsonl", args.lines)
        for c in args.concurrency:
            with ExitStack() as server:
                base, proc = start(server, upstream, work / f"c{c}", c)
                batch = run_batch(base, data, proc.pid)
                procs.wait_idle([proc.pid], window=0.3)
                cpu0 = procs.cpu_seconds(proc.pid)
                online = load.wrk(f"{base}/v1/chat/completions", "chat.lua", c, args.duration,
                                  targets.MODEL)  # fmt: skip
                online["cpu_us"] = (
                    (procs.cpu_seconds(proc.pid) - cpu0)
                    / max(online["rps"] * args.duration, 1)
                    * 1e6
                )
                del batch["rss_mb"]
                out["scenarios"][f"c={c}"] = {"batch": batch, "online": online}
                print(f"c={c}", json.dumps(out["scenarios"][f"c={c}"]), flush=True)
        with ExitStack() as server:
            base, proc = start(server, upstream, work / "big", args.big_concurrency)
            big = input_file(work / "big.jsonl", args.big_lines)
            small = run_batch(base, input_file(work / "small.jsonl", args.big_lines // 10),
                              proc.pid, 0.1)  # fmt: skip
            large = run_batch(base, big, proc.pid, 0.1)
            out["memory"] = {
                "concurrency": args.big_concurrency,
                "file_mb": big.stat().st_size / 1e6,
                "small": summary(small),
                "large": summary(large),
            }
            print("memory", json.dumps(out["memory"]), flush=True)
    return out


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """RSS at the start and at its peak, and the run's pace."""
    rss = run.pop("rss_mb")
    return {**run, "rss_start_mb": rss[0], "rss_peak_mb": max(rss)}


def start(stack: ExitStack, upstream: str, work: Path, concurrency: int) -> tuple[str, Any]:
    """One corral with `concurrency` lines in flight per batch."""
    work.mkdir(parents=True, exist_ok=True)
    port = procs.free_port()
    path = work / "corral.yaml"
    path.write_text(config(upstream, work, concurrency))
    cmd = [sys.executable, "-m", "corral", "run", str(path), "--port", str(port)]
    proc = stack.enter_context(procs.process([*cmd, "--log-level", "warning"], {}, work / "log"))
    base = f"http://127.0.0.1:{port}"
    procs.wait_http(f"{base}/v1/health", 90, proc)
    return base, proc


def markdown(results: dict[str, Any]) -> str:
    """The results as tables."""
    lines = [
        f"Batch of {results['lines']} chat lines against the fake upstream:",
        "",
        "| concurrency | batch lines/s | online req/s | batch CPU µs/line | online CPU µs/req |",
        "|---|---|---|---|---|",
    ]
    for key, s in results["scenarios"].items():
        b, o = s["batch"], s["online"]
        lines.append(
            f"| {key} | {b['lines_per_s']:.0f} | {o['rps']:.0f} | {b['cpu_us_per_line']:.0f} | "
            f"{o['cpu_us']:.0f} |"
        )
    m = results.get("memory")
    if m:
        lines += [
            "",
            f"Memory (server RSS, concurrency {m['concurrency']}):",
            "",
            "| input | lines | file MB | lines/s | RSS at start MB | RSS peak MB |",
            "|---|---|---|---|---|---|",
        ]
        for name in ("small", "large"):
            r = m[name]
            lines.append(
                f"| {name} | {r['lines']} | {m['file_mb'] / (10 if name == 'small' else 1):.1f} | "
                f"{r['lines_per_s']:.0f} | {r['rss_start_mb']:.0f} | {r['rss_peak_mb']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--big-lines", type=int, default=100_000)
    parser.add_argument("--big-concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.duration, args.concurrency = 100, 1, [4]
        args.big_lines, args.big_concurrency = 1000, 8
    t0 = time.monotonic()
    results = measure(args)
    results["wall_s"] = time.monotonic() - t0
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else ""
    (folder / f"batches{suffix}.json").write_text(json.dumps(results, indent=2))
    (folder / f"batches{suffix}.md").write_text(markdown(results))
    sys.stdout.write(markdown(results))


if __name__ == "__main__":
    main()
