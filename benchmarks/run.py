"""corral's benchmark: gateway overhead against the direct upstream, on loopback.

Starts the fast fake upstream (benchmarks/upstream.py), measures it alone, then
corral in front of it, interleaving direct and corral runs (A B A B ...) and
taking medians, so the ratios survive a noisy machine. Load comes from wrk in
its own process; streaming time-to-first-chunk from a small aiohttp client.
Everything started is stopped at the end. Usage:

    python benchmarks/run.py [--duration 5] [--reps 3] [--quick] [--out docs/performance.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> float:
    import urllib.request

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wrk(
    url: str, script: str, connections: int, duration: int, env: dict[str, str]
) -> dict[str, float]:
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(HERE / script),
            url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": lat["50"],
        "p90": lat["90"],
        "p99": lat["99"],
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


async def _ttfc(url: str, model: str, n: int) -> dict[str, float]:
    import aiohttp

    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    first, total = [], []
    async with aiohttp.ClientSession() as session:
        for _ in range(n):
            t0 = time.perf_counter()
            async with session.post(url, json=body) as resp:
                got_first = False
                async for line in resp.content:
                    if not got_first and line.startswith(b"data: "):
                        first.append(time.perf_counter() - t0)
                        got_first = True
            total.append(time.perf_counter() - t0)
    return {
        "ttfc_p50": statistics.median(first) * 1000,
        "total_p50": statistics.median(total) * 1000,
    }


VARIANTS = {
    "plain": "",
    "auth+quota sqlite": """server:
  auth:
    provider_config: {{type: custom, endpoint: "{upstream}/validate"}}
  quota:
    kvstore: {{type: sqlite, db_path: "{tmp}/quota.db"}}
    authenticated_max_requests: 100000000
""",
    "auth+quota redis": """    kv_redis: {{type: kv_redis, host: 127.0.0.1, port: 6379}}
server:
  auth:
    provider_config: {{type: custom, endpoint: "{upstream}/validate"}}
  quota:
    kvstore: {{backend: kv_redis, namespace: "bench-{stamp}"}}
    authenticated_max_requests: 100000000
""",
}


def corral_config(upstream: str, tmp: Path, variant: str = "plain") -> Path:
    path = tmp / f"bench-{variant.replace(' ', '_').replace('+', '_')}.yaml"
    path.write_text(f"""version: 2
apis: [inference]
providers:
  inference:
  - provider_id: up
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}/v1", max_retries: 0}}
storage:
  backends:
    kv_default: {{type: kv_sqlite, db_path: "{tmp}/kv.db"}}
    sql_default: {{type: sql_sqlite, db_path: "{tmp}/sql.db"}}
  stores:
    metadata: {{backend: kv_default, namespace: registry}}
    inference: {{backend: sql_default, table_name: inference_store}}
models:
- {{model_id: bench-model, provider_id: up}}
- {{model_id: bench-embed, provider_id: up, model_type: embedding}}
""")
    extra = VARIANTS[variant].format(upstream=upstream, tmp=tmp, stamp=int(time.time()))
    if extra.startswith("    kv_redis"):
        text = path.read_text().replace("  stores:", extra.split("server:")[0] + "  stores:", 1)
        extra = "server:" + extra.split("server:")[1]
        path.write_text(text)
    path.write_text(path.read_text() + extra)
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": machine(),
        "duration_s": args.duration,
        "reps": args.reps,
        "scenarios": {},
    }
    up_port, corral_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    corral = f"http://127.0.0.1:{corral_port}"
    with (
        tempfile.TemporaryDirectory() as tmpdir,
        process([sys.executable, str(HERE / "upstream.py"), str(up_port)]),
    ):
        wait_http(f"{upstream}/v1/models")
        config = corral_config(upstream, Path(tmpdir))
        t0 = time.monotonic()
        with process(
            [
                sys.executable,
                "-m",
                "corral",
                "run",
                str(config),
                "--port",
                str(corral_port),
                "--log-level",
                "warning",
            ]
        ) as server:
            results["cold_start_s"] = wait_http(f"{corral}/v1/health") + (time.monotonic() - t0) * 0
            time.sleep(0.5)
            results["idle_rss_mb"] = rss_mb(server.pid)
            scenarios = [("chat", "chat.lua", c) for c in args.concurrency] + [
                ("embeddings", "embed.lua", 16)
            ]
            for name, script, conns in scenarios:
                key = f"{name} c={conns}"
                direct, through = [], []
                for _ in range(args.reps):
                    direct.append(
                        wrk(
                            f"{upstream}/v1/{'embeddings' if name == 'embeddings' else 'chat/completions'}",
                            script,
                            conns,
                            args.duration,
                            {},
                        )
                    )
                    model = "up/bench-embed" if name == "embeddings" else "up/bench-model"
                    through.append(
                        wrk(
                            f"{corral}/v1/{'embeddings' if name == 'embeddings' else 'chat/completions'}",
                            script,
                            conns,
                            args.duration,
                            {"BENCH_MODEL": model},
                        )
                    )
                results["scenarios"][key] = summarise(direct, through)
                print(key, json.dumps(results["scenarios"][key]), flush=True)
            results["rss_after_load_mb"] = rss_mb(server.pid)
            direct_s = asyncio.run(
                _ttfc(f"{upstream}/v1/chat/completions", "bench-model", args.stream_n)
            )
            corral_s = asyncio.run(
                _ttfc(f"{corral}/v1/chat/completions", "up/bench-model", args.stream_n)
            )
            results["streaming"] = {
                "direct": direct_s,
                "corral": corral_s,
                "added_ttfc_ms": corral_s["ttfc_p50"] - direct_s["ttfc_p50"],
            }
            print("streaming", json.dumps(results["streaming"]), flush=True)
        for variant in args.variants:
            vconfig = corral_config(upstream, Path(tmpdir), variant)
            with process(
                [
                    sys.executable,
                    "-m",
                    "corral",
                    "run",
                    str(vconfig),
                    "--port",
                    str(corral_port),
                    "--log-level",
                    "warning",
                ]
            ):
                wait_http(f"{corral}/v1/health")
                for conns in args.variant_concurrency:
                    direct, through = [], []
                    for _ in range(args.reps):
                        direct.append(
                            wrk(
                                f"{upstream}/v1/chat/completions",
                                "chat.lua",
                                conns,
                                args.duration,
                                {},
                            )
                        )
                        through.append(
                            wrk(
                                f"{corral}/v1/chat/completions",
                                "chat.lua",
                                conns,
                                args.duration,
                                {"BENCH_MODEL": "up/bench-model", "BENCH_TOKEN": "bench-token"},
                            )
                        )
                    key = f"chat c={conns} {variant}"
                    results["scenarios"][key] = summarise(direct, through)
                    print(key, json.dumps(results["scenarios"][key]), flush=True)
    return results


def summarise(direct: list[dict[str, float]], through: list[dict[str, float]]) -> dict[str, Any]:
    def med(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 3)

    out = {
        side: {k: med(rows, k) for k in ("rps", "p50", "p90", "p99", "non2xx")}
        for side, rows in (("direct", direct), ("corral", through))
    }
    out["ratio_rps"] = round(out["corral"]["rps"] / out["direct"]["rps"], 3)
    out["added_p50_ms"] = round(out["corral"]["p50"] - out["direct"]["p50"], 3)
    out["added_p99_ms"] = round(out["corral"]["p99"] - out["direct"]["p99"], 3)
    return out


def machine() -> dict[str, Any]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%d"),
    }


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "## Latest run\n",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['date']}. "
        f"wrk, {results['duration_s']} s per run, median of {results['reps']} interleaved runs; "
        "wrk, the fake upstream and corral share the cores.\n",
        "| scenario | direct req/s | corral req/s | corral/direct | direct p50 / p99 ms | corral p50 / p99 ms | added p50 / p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, s in results["scenarios"].items():
        d, c = s["direct"], s["corral"]
        lines.append(
            f"| {key} | {d['rps']:.0f} | {c['rps']:.0f} | {s['ratio_rps']:.2f} | {d['p50']:.2f} / {d['p99']:.2f} "
            f"| {c['p50']:.2f} / {c['p99']:.2f} | {s['added_p50_ms']:.2f} / {s['added_p99_ms']:.2f} |"
        )
    st = results["streaming"]
    lines += [
        "",
        f"Streaming (20 chunks, sequential): time to first chunk p50 {st['direct']['ttfc_p50']:.2f} ms direct, "
        f"{st['corral']['ttfc_p50']:.2f} ms through corral (added {st['added_ttfc_ms']:.2f} ms); "
        f"whole stream p50 {st['direct']['total_p50']:.2f} / {st['corral']['total_p50']:.2f} ms.",
        "",
        f"Cold start (process start → first 200 on /v1/health): {results['cold_start_s']:.2f} s. "
        f"RSS idle {results['idle_rss_mb']:.0f} MB, after load {results['rss_after_load_mb']:.0f} MB.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--stream-n", type=int, default=200)
    parser.add_argument(
        "--variants",
        nargs="*",
        default=["auth+quota sqlite", "auth+quota redis"],
        choices=[v for v in VARIANTS if v != "plain"],
    )
    parser.add_argument("--variant-concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 rep (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.reps, args.concurrency, args.stream_n = 1, 1, [4], 5
        args.variants, args.variant_concurrency = ["auth+quota sqlite"], [4]
    results = run(args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2))
    Path(args.json).with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
