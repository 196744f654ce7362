"""A short abuse benchmark: what hostile clients cost a corral server (docs/security.md).

Starts `corral run` on loopback (one worker, tight but realistic limits) and a
slow fake upstream, then runs each attack for a few seconds and measures what
the server paid and what a well-behaved client saw meanwhile:

- unfinished heads: N connections each sending megabytes of a header that never ends
  (server RSS growth; how much each connection could send before it was cut off);
- slow loris: N connections sending one header byte at a time (how many are still open
  after the head timeout; /v1/health latency during the attack);
- idle connections: N connections that never send a byte (still open after the timeout);
- pool starvation: every upstream slot held by slow requests (how long another client's
  request waits, and what it gets).

    python benchmarks/abuse.py            # ~40 s
    python benchmarks/abuse.py --json benchmarks/results/abuse.json
    python benchmarks/abuse.py --source /tmp/old-corral   # an older tree (`git archive`),
                                                          # configured as before server.limits
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import procs

HERE = Path(__file__).resolve().parent
HEAD_TIMEOUT_S = 2.0
POOL_SIZE = 8

CONFIG = """version: 2
providers:
  inference:
  - provider_id: up
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}", max_retries: 0{pool}}}
models:
- {{model_id: slow, provider_id: up}}
{limits}"""
POOL = ", pool_size: {size}, pool_timeout: 1"
LIMITS = """server:
  limits:
    header_timeout_seconds: {head_timeout}
    max_connections: 1024
"""

ANSWER = (
    b'{"id":"c","object":"chat.completion","created":0,"model":"slow","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}'
)


async def _slow_upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads one request, waits, answers: an upstream whose answers take seconds."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        await asyncio.sleep(5)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(ANSWER), ANSWER)
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@contextmanager
def slow_upstream() -> Iterator[int]:
    """The slow upstream on a loopback port, in a background thread."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_slow_upstream, "127.0.0.1", 0))
    port = int(server.sockets[0].getsockname()[1])
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _open(sock: socket.socket) -> bool:
    """True while the server has neither closed `sock` nor answered on it (a 408 or 503)."""
    sock.setblocking(False)
    try:
        data = sock.recv(64, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)
    return data != b"" and not data.startswith(b"HTTP/")


def _health_ms(port: int, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as r:
            r.read()
        out.append((time.perf_counter() - start) * 1000)
    return out


def unfinished_heads(port: int, pid: int, conns: int, megabytes: int) -> dict[str, Any]:
    """`conns` connections each trying to send `megabytes` of an endless header."""
    before = procs.rss_mb(pid)
    socks, accepted = [], []
    chunk = b"a" * 65536
    for _ in range(conns):
        sock = _connect(port)
        socks.append(sock)
        sent = 0
        try:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ")
            while sent < megabytes * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        accepted.append(sent)
    grown = procs.rss_mb(pid) - before
    for sock in socks:
        sock.close()
    return {
        "connections": conns,
        "tried_mb_each": megabytes,
        # Most of this sits in the kernel's socket buffers when the server resets the connection.
        "sent_before_reset_kb_median": round(statistics.median(accepted) / 1024),
        "rss_growth_mb": round(grown, 1),
    }


def slow_loris(port: int, conns: int) -> dict[str, Any]:
    """`conns` connections each sending a header byte every 0.5 s."""
    socks = [_connect(port) for _ in range(conns)]
    for sock in socks:
        sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")
    latencies: list[float] = []
    deadline = time.monotonic() + HEAD_TIMEOUT_S + 2
    while time.monotonic() < deadline:
        for sock in socks:
            try:
                sock.sendall(b"X")
            except OSError:
                pass
        latencies += _health_ms(port, 5)
        time.sleep(0.5)
    still_open = sum(_open(s) for s in socks)
    for sock in socks:
        sock.close()
    return {
        "connections": conns,
        "still_open_after_timeout": still_open,
        "health_p50_ms": round(statistics.median(latencies), 2),
        "health_max_ms": round(max(latencies), 2),
    }


def idle(port: int, conns: int) -> dict[str, Any]:
    """`conns` connections that never send a byte."""
    socks = [_connect(port) for _ in range(conns)]
    time.sleep(HEAD_TIMEOUT_S + 1.5)
    still_open = sum(_open(s) for s in socks)
    for sock in socks:
        sock.close()
    return {"connections": conns, "still_open_after_timeout": still_open}


def pool_starvation(port: int) -> dict[str, Any]:
    """Every pool slot held by a slow request; then one more client asks."""
    body = json.dumps({"model": "up/slow", "messages": [{"role": "user", "content": "x"}]})

    def post() -> tuple[int, float]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - start

    holders = [threading.Thread(target=post) for _ in range(POOL_SIZE)]
    for thread in holders:
        thread.start()
    time.sleep(1.0)
    status, waited = post()
    for thread in holders:
        thread.join()
    return {
        "pool_size": POOL_SIZE,
        "extra_client_status": status,
        "extra_client_wait_s": round(waited, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the servers, run every attack, stop everything."""
    with tempfile.TemporaryDirectory() as tmp, slow_upstream() as upstream_port:
        config = Path(tmp) / "run.yaml"
        upstream = f"http://127.0.0.1:{upstream_port}/v1"
        pool, limits = POOL.format(size=POOL_SIZE), LIMITS.format(head_timeout=HEAD_TIMEOUT_S)
        if args.source:  # an older tree: the settings it did not have yet are left out
            pool = limits = ""
        config.write_text(CONFIG.format(upstream=upstream, pool=pool, limits=limits))
        port = procs.free_port()
        command = [sys.executable, "-m", "corral", "run", str(config), "--port", str(port)]
        env = {"PYTHONPATH": str(Path(args.source).resolve() / "src")} if args.source else None
        with procs.process(command, env=env, log=Path(tmp) / "corral.log") as proc:
            procs.wait_http(f"http://127.0.0.1:{port}/v1/health", proc=proc)
            idle_rss = procs.rss_mb(proc.pid)
            results = {
                "idle_rss_mb": round(idle_rss, 1),
                "unfinished_heads": unfinished_heads(
                    port, proc.pid, args.connections, args.megabytes
                ),
                "slow_loris": slow_loris(port, args.connections * 5),
                "idle_connections": idle(port, args.connections * 5),
                "pool_starvation": pool_starvation(port),
            }
    return results


def main() -> None:
    """Run and print the results (JSON, and a file when asked)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--megabytes", type=int, default=8, help="per unfinished head")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--source", help="run the corral of another source tree instead")
    args = parser.parse_args()
    results = run(args)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
