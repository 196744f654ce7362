"""MCP through corral: one tool call hop, and listing tools cached vs uncached.

Starts a FastMCP server (the test suite's, on loopback), the scripted chat
upstream, and two corral servers (tool lists cached for 300 s, and not cached),
then measures p50/p90 over `--n` requests each:

- **call, direct**: ``session.call_tool("add")`` with the MCP SDK on one open session;
- **call, through corral**: a streamed ``POST /v1/responses`` whose model calls the
  MCP tool; the time from ``response.mcp_call.in_progress`` to
  ``response.mcp_call.completed`` as the client sees it (corral's MCP client, its
  session pool and outbound check, the call, and the SSE framing);
- **list, direct**: ``session.list_tools()`` on one open session;
- **list, through corral**: ``GET /v1beta/connectors/calc/tools``, cached and uncached.

Writes ``benchmarks/results/tools.json`` and ``.md``.

    python benchmarks/tools.py          # about 1 min
    python benchmarks/tools.py --n 20   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import procs  # noqa: E402
from tests.fixtures.mcp_servers import RunningMcp, run_mcp_server  # noqa: E402
from tests.fixtures.scripted_llm import run_scripted_llm  # noqa: E402


def config(upstream: str, mcp: RunningMcp, cache_seconds: int) -> str:
    """A corral with the scripted model, the responses loop and one connector."""
    return f"""
version: 2
providers:
  inference:
  - provider_id: script
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0}}
  responses:
  - {{provider_id: builtin, provider_type: inline::builtin, config: {{}}}}
models:
- {{model_id: caller, provider_id: script}}
tools:
  outbound: {{allow_networks: [127.0.0.0/8]}}
  mcp: {{list_tools_cache_seconds: {cache_seconds}}}
connectors:
- {{connector_id: calc, url: "{mcp.http_url}"}}
"""


def stats(samples: list[float]) -> dict[str, float]:
    """p50 and p90 in milliseconds."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 3),
        "n": len(ordered),
    }


async def direct(url: str, n: int) -> dict[str, Any]:
    """call_tool and list_tools on one open SDK session."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    calls, lists = [], []
    async with (
        streamable_http_client(url) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        for _ in range(3):
            await session.call_tool("add", {"a": 1, "b": 2})
        for _ in range(n):
            t0 = time.perf_counter()
            await session.call_tool("add", {"a": 1, "b": 2})
            calls.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await session.list_tools()
            lists.append(time.perf_counter() - t0)
    return {"call": stats(calls), "list": stats(lists)}


def mcp_hop(base: str, url: str) -> float:
    """Seconds between the mcp_call's in_progress and completed events of one response."""
    body = {
        "model": "script/caller",
        "input": 'call add {"a": 1, "b": 2}',
        "tools": [{"type": "mcp", "server_label": "calc", "server_url": url}],
        "stream": True,
        "store": False,
    }
    seen: dict[str, float] = {}
    with httpx.stream("POST", f"{base}/v1/responses", json=body, timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("event: response.mcp_call."):
                seen[line.rsplit(".", 1)[1]] = time.perf_counter()
    return seen["completed"] - seen["in_progress"]


def corral_side(base: str, url: str, n: int) -> dict[str, Any]:
    """The hop through corral's loop, and the connector's tool listing."""
    for _ in range(3):
        mcp_hop(base, url)
    hops = [mcp_hop(base, url) for _ in range(n)]
    lists = []
    with httpx.Client(timeout=30) as client:
        client.get(f"{base}/v1beta/connectors/calc/tools")
        for _ in range(n):
            t0 = time.perf_counter()
            client.get(f"{base}/v1beta/connectors/calc/tools").raise_for_status()
            lists.append(time.perf_counter() - t0)
    return {"call": stats(hops), "list": stats(lists)}


def measure(n: int) -> dict[str, Any]:
    """Start everything, measure both sides, stop everything."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="corral-tools-bench-") as tmp, ExitStack() as stack:
        mcp = stack.enter_context(run_mcp_server())
        script = stack.enter_context(run_scripted_llm())
        out["direct"] = asyncio.run(direct(mcp.http_url, n))
        for name, cache in (("cached", 300), ("uncached", 0)):
            work = Path(tmp) / name
            work.mkdir()
            (work / "run.yaml").write_text(config(script.url, mcp, cache))
            port = procs.free_port()
            cmd = [sys.executable, "-m", "corral", "run", str(work / "run.yaml")]
            cmd += ["--port", str(port), "--log-level", "warning"]
            with procs.process(cmd, {}, work / "log") as proc:
                base = f"http://127.0.0.1:{port}"
                procs.wait_http(f"{base}/v1/health", 90, proc)
                out[f"corral ({name} tool lists)"] = corral_side(base, mcp.http_url, n)
            print(name, json.dumps(out[f"corral ({name} tool lists)"]), flush=True)
    return out


def markdown(results: dict[str, Any]) -> str:
    """The results as a table."""
    direct = results["direct"]
    cached = results["corral (cached tool lists)"]
    uncached = results["corral (uncached tool lists)"]
    added = cached["call"]["p50_ms"] - direct["call"]["p50_ms"]
    rows = [
        ("MCP call, SDK session direct", direct["call"]),
        ("MCP call, through corral (mcp_call in_progress → completed)", cached["call"]),
        ("list tools, SDK session direct", direct["list"]),
        ("list tools, GET /v1beta/connectors/{id}/tools, cached", cached["list"]),
        ("list tools, GET /v1beta/connectors/{id}/tools, uncached", uncached["list"]),
    ]
    lines = ["| what | p50 ms | p90 ms | n |", "|---|---|---|---|"]
    lines += [f"| {name} | {s['p50_ms']} | {s['p90_ms']} | {s['n']} |" for name, s in rows]
    lines.append("")
    lines.append(f"Added p50 of one MCP call hop through corral: {added:+.2f} ms.")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    results = measure(args.n)
    table = markdown(results)
    (HERE / "results" / "tools.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / "results" / "tools.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
