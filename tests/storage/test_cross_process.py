"""Two OS processes hammering one counter, and a writer killed with SIGKILL mid-stream."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from corral.config.storage import KVReference, StorageConfig
from corral.storage.manager import StorageManager
from tests.storage.conftest import KV_KINDS, backend_config

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

WORKER = [sys.executable, "-m", "tests.storage.incr_worker"]


def _spec(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, mode: str, n: int, ns: str
) -> str:
    backend = backend_config(kind, tmp_path, request)
    prefix = request.getfixturevalue("redis_prefix").prefix if kind == "kv_redis" else ""
    return json.dumps({"backend": backend, "prefix": prefix, "namespace": ns, "mode": mode, "n": n})


@pytest.mark.parametrize("kind", KV_KINDS)
def test_two_processes_500_increments_each(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    spec = _spec(kind, tmp_path, request, "incr", 500, f"race-{uuid.uuid4().hex[:8]}")
    procs = [subprocess.Popen([*WORKER, spec], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    counts = sorted(c for out in outputs for c in json.loads(out))
    assert counts == list(range(1, 1001))


@pytest.mark.parametrize("kind", ["kv_sqlite", "kv_postgres"])
def test_acknowledged_writes_survive_kill_9(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    namespace = f"crash-{uuid.uuid4().hex[:8]}"
    spec = _spec(kind, tmp_path, request, "write", 100000, namespace)
    proc = subprocess.Popen([*WORKER, spec], stdout=subprocess.PIPE, text=True)
    acked = -1
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while acked < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ack "):
            acked = int(line.split()[1])
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert acked >= 200

    async def read_back() -> list[tuple[str, str]]:
        config = StorageConfig.model_validate(
            {"backends": {"main": backend_config(kind, tmp_path, request)}}
        )
        manager = StorageManager(config)
        await manager.open()
        try:
            return await manager.kv(
                KVReference(backend="main", namespace=namespace)
            ).items_with_prefix("k")
        finally:
            await manager.close()

    stored = dict(asyncio.run(read_back()))
    missing = [i for i in range(acked + 1) if stored.get(f"k{i:06d}") != str(i)]
    assert missing == []
