"""The Responses API's overhead: a one-turn response against the same chat completion.

Both go through one corral (fake upstream, SQLite stores; the response is
stored before it is answered, the chat completion through the write queue), run
interleaved with wrk at each concurrency, medians over the repetitions. Writes
``benchmarks/results/responses.json`` and ``.md``.

    python benchmarks/responses.py            # ~1 min
    python benchmarks/responses.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import load
import procs
import targets

HERE = Path(__file__).resolve().parent
SIDES = {"chat": ("chat.lua", "chat/completions"), "response": ("responses.lua", "responses")}


def config(upstream: str, work: Path) -> str:
    """The plain benchmark config with a responses provider and its store."""
    base = targets.corral_config(upstream, work, "plain")
    base = base.replace("apis: [inference]\n", "")
    base = base.replace(
        "    inference: {backend: sql_default, table_name: inference_store}\n",
        "    inference: {backend: sql_default, table_name: inference_store}\n"
        "    responses: {backend: sql_default, table_name: responses}\n",
    )
    return base.replace(
        "storage:\n",
        "  responses:\n  - {provider_id: builtin, provider_type: inline::builtin, config: {}}\n"
        "storage:\n",
        1,
    )


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run both sides at each concurrency; medians of p50, req/s and server CPU per request."""
    out: dict[str, Any] = {"duration_s": args.duration, "reps": args.reps, "scenarios": {}}
    with tempfile.TemporaryDirectory(prefix="corral-resp-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        up_port, port = procs.free_port(), procs.free_port()
        upstream = f"http://127.0.0.1:{up_port}"
        stack.enter_context(
            procs.process([sys.executable, str(HERE / "upstream.py"), str(up_port)])
        )
        procs.wait_http(f"{upstream}/v1/models")
        path = work / "corral.yaml"
        path.write_text(config(upstream, work))
        cmd = [sys.executable, "-m", "corral", "run", str(path), "--port", str(port)]
        proc = stack.enter_context(
            procs.process([*cmd, "--log-level", "warning"], {}, work / "log")
        )
        base = f"http://127.0.0.1:{port}"
        procs.wait_http(f"{base}/v1/health", 90, proc)
        for script, route in SIDES.values():  # warm up
            load.wrk(f"{base}/v1/{route}", script, 4, 1, targets.MODEL)
        for c in args.concurrency:
            runs: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
            for _ in range(args.reps):
                for side, (script, route) in SIDES.items():
                    procs.wait_idle([proc.pid], window=0.3)
                    cpu0 = procs.cpu_seconds(proc.pid)
                    run = load.wrk(f"{base}/v1/{route}", script, c, args.duration, targets.MODEL)
                    run["cpu_us"] = (
                        (procs.cpu_seconds(proc.pid) - cpu0)
                        / max(run["rps"] * args.duration, 1)
                        * 1e6
                    )
                    runs[side].append(run)
            out["scenarios"][f"c={c}"] = {
                side: {
                    k: statistics.median(r[k] for r in rs)
                    for k in ("rps", "p50", "p99", "cpu_us", "non2xx")
                }
                for side, rs in runs.items()
            }
            print(f"c={c}", json.dumps(out["scenarios"][f"c={c}"]), flush=True)
    return out


def markdown(results: dict[str, Any]) -> str:
    """The results as a table."""
    lines = [
        "| concurrency | chat req/s | response req/s | ratio | chat p50 ms | response p50 ms | added p50 ms | CPU µs chat / response |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, s in results["scenarios"].items():
        chat, resp = s["chat"], s["response"]
        lines.append(
            f"| {key} | {chat['rps']:.0f} | {resp['rps']:.0f} | {resp['rps'] / chat['rps']:.2f} | "
            f"{chat['p50']:.2f} | {resp['p50']:.2f} | {resp['p50'] - chat['p50']:+.2f} | "
            f"{chat['cpu_us']:.0f} / {resp['cpu_us']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.reps, args.concurrency = 1, 1, [4]
    t0 = time.monotonic()
    results = measure(args)
    results["elapsed_s"] = round(time.monotonic() - t0, 1)
    table = markdown(results)
    if not args.quick:
        (HERE / "results" / "responses.json").write_text(json.dumps(results, indent=2) + "\n")
        (HERE / "results" / "responses.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
