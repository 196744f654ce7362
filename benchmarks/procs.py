"""Processes the benchmark starts: ports, readiness, memory, and a guaranteed stop.

Every server runs in its own session (process group) and is stopped in a
`finally`: SIGTERM, a bounded wait, then SIGKILL for the whole group, so no run
leaves anything behind even when it fails half way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STOP_GRACE_S = 10


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(
    url: str,
    timeout: float = 60,
    proc: subprocess.Popen[bytes] | None = None,
    token: str | None = None,
) -> float:
    """Seconds until `url` answers 200; fails fast when `proc` exits first."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with {proc.returncode}")
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `args` in its own process group for the duration of the block."""
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            args,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop(proc)
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, wait a bounded time, then SIGKILL it."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader exited; make sure nothing else of its group survives
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (a launcher may fork the server)."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out.extend(_children(k))
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(
    pids: list[int], busy: float = 0.05, window: float = 0.5, timeout: float = 60
) -> float:
    """Wait until every process uses less than `busy` of a core over `window` seconds.

    A server may keep working after a load run ends (requests the load
    generator abandoned, queued writes, error logging); measuring the next side
    while it does would charge that work to whoever runs next. Returns the
    seconds waited.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        before = [cpu_seconds(p) for p in pids]
        time.sleep(window)
        used = [cpu_seconds(p) - b for p, b in zip(pids, before, strict=True)]
        if max(used, default=0.0) < busy * window:
            break
    return time.monotonic() - start


def log_tail(log: Path, lines: int = 20) -> str:
    """The end of a server log, for a failure message."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
