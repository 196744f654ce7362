"""Load generators: wrk (its own process) for throughput and latency, a small client for streams.

wrk is bounded by its own ``-d`` plus a subprocess timeout; the streaming client
reads sequential 20-chunk streams and records the time to the first ``data:``
line and to the end of the stream, each request bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token"


def wrk(
    url: str, script: str, connections: int, duration: int, model: str, token: bool = False
) -> dict[str, float]:
    """One wrk run: req/s, latency percentiles (ms) and the count of non-2xx answers."""
    env = {**os.environ, "BENCH_MODEL": model}
    if token:
        env["BENCH_TOKEN"] = TOKEN
    threads = min(2, connections)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    out = subprocess.run(
        [*args, "-s", str(HERE / script), url],
        capture_output=True,
        text=True,
        env=env,
        timeout=duration + 30,
        check=False,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no result for {url}:\n{out}")
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(found.group(1)),
        "p50": lat["50"],
        "p90": lat["90"],
        "p99": lat["99"],
        "non2xx": float(errors.group(1)) if errors else 0.0,
    }


def _ms(value: str) -> float:
    found = re.match(r"([\d.]+)(\w+)", value)
    assert found is not None
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def one_request(url: str, model: str, kind: str, token: bool) -> None:
    """A single request, answered before anything else is sent (200 expected)."""
    import json
    import urllib.request

    body = (
        {"model": model, "input": "warm up"}
        if kind == "embeddings"
        else {"model": model, "messages": [{"role": "user", "content": "warm up"}]}
    )
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {TOKEN}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as resp:
        resp.read()


def stream_timings(url: str, model: str, n: int, token: bool = False) -> dict[str, float]:
    """Median time to first chunk and to the end of the stream (ms) over `n` sequential streams."""
    return asyncio.run(_stream_timings(url, model, n, token))


async def _stream_timings(url: str, model: str, n: int, token: bool) -> dict[str, float]:
    import aiohttp

    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else {}
    first: list[float] = []
    total: list[float] = []
    errors = 0
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for i in range(n + 2):  # two warm-up streams open the pooled connection
            t0 = time.perf_counter()
            t_first = None
            async with session.post(url, json=body, headers=headers) as resp:
                if resp.status != 200:
                    errors += 1
                    await resp.read()
                    continue
                async for line in resp.content:
                    if t_first is None and line.startswith(b"data: "):
                        t_first = time.perf_counter() - t0
            if i >= 2 and t_first is not None:
                first.append(t_first)
                total.append(time.perf_counter() - t0)
    return {
        "ttfc_p50": statistics.median(first) * 1000 if first else float("nan"),
        "total_p50": statistics.median(total) * 1000 if total else float("nan"),
        "errors": float(errors),
    }
