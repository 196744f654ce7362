"""corral's benchmark: gateway overhead against the direct upstream (and llama-stack), on loopback.

Starts the fast fake upstream (benchmarks/upstream.py), then per variant
(plain; custom auth + quota counted in SQLite; the same in Redis) corral and,
with ``--compare llama-stack``, llama-stack 0.7.3 configured alike. Each
scenario runs direct, corral, llama-stack, direct, corral, ... (interleaved)
and reports medians, so the ratios survive a noisy machine. Load comes from wrk
in its own process; streaming timings from a small aiohttp client. Everything
started is stopped at the end, and every run is bounded in time.

    python benchmarks/run.py --compare llama-stack --update-docs   # the full run (~15 min)
    python benchmarks/run.py --quick                               # a smoke run (~15 s)
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import load
import procs
import report
import targets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
READY_TIMEOUT_S = 90


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every phase; returns the results document."""
    sides = ["direct", "corral"] + (["llama-stack"] if args.compare else [])
    sides += ["baseline"] if args.baseline else []
    llama = targets.ensure_llama_stack(args.llama_stack_python) if args.compare else None
    results: dict[str, Any] = {
        "machine": report.machine(),
        "command": args.command,
        "duration_s": args.duration,
        "reps": args.reps,
        "sides": sides,
        "scenarios": {},
        "streaming": {},
        "servers": {},
    }
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as tmp, ExitStack() as outer:
        work = Path(tmp)
        up_port = procs.free_port()
        upstream = f"http://127.0.0.1:{up_port}"
        outer.enter_context(
            procs.process([sys.executable, str(HERE / "upstream.py"), str(up_port)])
        )
        procs.wait_http(f"{upstream}/v1/models")
        for variant in ["plain", *args.variants]:
            try:
                with ExitStack() as servers:
                    urls = start_servers(
                        servers, upstream, work, variant, llama, results, args.baseline
                    )
                    run_variant(args, results, variant, upstream, urls)
            finally:
                if variant.endswith("redis"):
                    targets.forget_redis_keys(work)
    return results


def start_servers(
    stack: ExitStack,
    upstream: str,
    work: Path,
    variant: str,
    llama: Path | None,
    results: dict[str, Any],
    baseline: Path | None = None,
) -> dict[str, tuple[str, int]]:
    """Start corral (and llama-stack) one after the other; record cold start and idle RSS."""
    urls: dict[str, tuple[str, int]] = {}
    names = ["corral"] + (["llama-stack"] if llama else []) + (["baseline"] if baseline else [])
    for name in names:
        port = procs.free_port()
        if llama is not None and name == "llama-stack":
            target = targets.llama_stack_target(llama, upstream, work, variant, port)
        elif baseline is not None and name == "baseline":
            target = targets.corral_target(upstream, work, variant, port, source=baseline)
        else:
            target = targets.corral_target(upstream, work, variant, port)
        log = work / f"{name}-{targets.slug(variant)}.log"
        t0 = time.monotonic()
        proc = stack.enter_context(procs.process(target.args, target.env, log))
        url = f"http://127.0.0.1:{port}"
        try:
            procs.wait_http(f"{url}/v1/health", READY_TIMEOUT_S, proc, token=load.TOKEN)
        except RuntimeError as exc:
            tail = procs.log_tail(log)
            raise RuntimeError(f"{name} ({variant}) did not start: {exc}\n{tail}") from None
        cold = time.monotonic() - t0
        if variant == "plain":
            time.sleep(1)
            results["servers"][name] = {"cold_start_s": round(cold, 3)}
            results["servers"][name]["idle_rss_mb"] = round(procs.rss_mb(proc.pid), 1)
        urls[name] = (url, proc.pid)
        print(f"{name} ({variant}) ready in {cold:.2f} s", flush=True)
    return urls


def run_variant(
    args: argparse.Namespace,
    results: dict[str, Any],
    variant: str,
    upstream: str,
    urls: dict[str, tuple[str, int]],
) -> None:
    """The wrk scenarios and the streaming timings of one variant, sides interleaved."""
    token = variant != "plain"
    suffix = "" if variant == "plain" else f" {variant}"
    conns = args.concurrency if variant == "plain" else args.variant_concurrency
    scenarios = [("chat", "chat.lua", "chat/completions", c) for c in conns]
    if not args.quick:
        scenarios.append(("embeddings", "embed.lua", "embeddings", 16))
    bases = {"direct": upstream, **{name: url for name, (url, _) in urls.items()}}
    pids = [pid for _, pid in urls.values()]
    warm_up(bases, scenarios, token, pids, args.quick)
    for kind, script, path, c in scenarios:
        runs: dict[str, list[dict[str, float]]] = {side: [] for side in bases}
        for _ in range(args.reps):
            for side, base in bases.items():
                model = _model(side, kind)
                procs.wait_idle(pids, window=args.idle_window)
                pid = urls[side][1] if side in urls else None
                cpu0 = procs.cpu_seconds(pid) if pid else 0.0
                run = load.wrk(f"{base}/v1/{path}", script, c, args.duration, model, token)
                if pid and run["rps"] > 0:
                    # CPU time the server used per request: barely moved by other load
                    used = procs.cpu_seconds(pid) - cpu0
                    run["cpu_us"] = used / (run["rps"] * args.duration) * 1e6
                runs[side].append(run)
        key = f"{kind} c={c}{suffix}"
        results["scenarios"][key] = report.summarise(runs)
        print(key, json.dumps(results["scenarios"][key]), flush=True)
    if variant == "plain":
        for name, (_, pid) in urls.items():
            results["servers"][name]["rss_after_load_mb"] = round(procs.rss_mb(pid), 1)
    streams: dict[str, list[dict[str, float]]] = {side: [] for side in bases}
    for _ in range(args.reps):
        for side, base in bases.items():
            url = f"{base}/v1/chat/completions"
            procs.wait_idle(pids, window=args.idle_window)
            streams[side].append(
                load.stream_timings(url, _model(side, "chat"), args.stream_n, token)
            )
    results["streaming"][variant] = report.summarise_streams(streams)
    print(f"streaming {variant}", json.dumps(results["streaming"][variant]), flush=True)


def warm_up(
    bases: dict[str, str],
    scenarios: list[tuple[str, str, str, int]],
    token: bool,
    pids: list[int],
    quick: bool,
) -> None:
    """One request alone per route (lazy set-up: llama-stack creates its SQL tables on first
    use and races concurrent first writes), then a short wrk run per side and route."""
    for side, base in bases.items():
        for kind, _, path, _ in scenarios:
            load.one_request(f"{base}/v1/{path}", _model(side, kind), kind, token)
    procs.wait_idle(pids, window=0.1 if quick else 0.5)
    if quick:
        return
    for side, base in bases.items():
        for kind, script, path, _ in scenarios:
            load.wrk(f"{base}/v1/{path}", script, 4, 1, _model(side, kind), token)


def _model(side: str, kind: str) -> str:
    if side == "direct":
        return "bench-embed" if kind == "embeddings" else "bench-model"
    return targets.EMBED_MODEL if kind == "embeddings" else targets.MODEL


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (median)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--variant-concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument(
        "--variants",
        nargs="*",
        default=["auth+quota sqlite", "auth+quota redis"],
        choices=[v for v in targets.VARIANTS if v != "plain"],
        help="auth + quota variants run after the plain one",
    )
    parser.add_argument("--stream-n", type=int, default=100, help="streams per repetition")
    parser.add_argument(
        "--compare",
        choices=["llama-stack"],
        help="also install (once, cached in benchmarks/.work/) and measure llama-stack 0.7.3",
    )
    parser.add_argument("--llama-stack-python", help="the Python 3.12 to build its venv with")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="A/B: also run the corral of another source tree (e.g. `git worktree add` or "
        "`git archive` of the commit before a change), interleaved with this one",
    )
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    parser.add_argument(
        "--update-docs", action="store_true", help="write the table into docs/performance.md"
    )
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 rep (smoke test)")
    args = parser.parse_args(argv)
    args.command = "python benchmarks/run.py " + shlex.join(argv)
    args.idle_window = 0.5
    if args.quick:
        args.idle_window = 0.1
        args.duration, args.reps, args.concurrency, args.stream_n = 1, 1, [4], 5
        args.variants, args.variant_concurrency = ["auth+quota sqlite"], [4]
    return args


def main() -> None:
    """Run, then write JSON + markdown (and the docs section when asked)."""
    # Stopping the harness (Ctrl-C, SIGTERM, even when started in the background with
    # SIGINT ignored) unwinds the `finally` blocks, so every server it started is stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args(sys.argv[1:])
    results = run(args)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    section = report.markdown(results)
    out.with_suffix(".md").write_text(section)
    if not args.quick:
        dated = out.parent / f"{results['machine']['date']}-{'-'.join(results['sides'][1:])}.json"
        dated.write_text(out.read_text())
    if args.update_docs:
        report.update_docs(ROOT / "docs" / "performance.md", section)
    print(section)


if __name__ == "__main__":
    main()
