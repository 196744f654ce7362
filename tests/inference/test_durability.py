"""What a client was told is stored stays stored, or the server says it cannot (issue 15, item 5).

Stored chat completions are best-effort (written behind the response); SIGTERM
flushes them, so a graceful stop loses none (kill -9 may lose the write queue's
last batch, as docs/storage.md states). A SQLite file deleted or replaced under
the running server is reported by /v1/health (503) and logged, instead of every
later write silently going to a file that no longer exists.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.fixtures.fake_openai import RunningFake
from tests.fixtures.server import run_server, stop_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def _all_stored(base_url: str) -> set[str]:
    ids: set[str] = set()
    params: dict[str, str | int] = {"limit": 100, "order": "asc"}
    while True:
        page = httpx.get(f"{base_url}/v1/chat/completions", params=params).json()
        ids |= {c["id"] for c in page["data"]}
        if not page["has_more"]:
            return ids
        params["after"] = page["last_id"]


def test_sigterm_flushes_every_acknowledged_stored_completion(
    fake: RunningFake, config_path: Path, tmp_path: Path
) -> None:
    with run_server(config_path, tmp_path) as server:

        def chat(i: int) -> str:
            r = httpx.post(
                f"{server.base_url}/v1/chat/completions",
                json={
                    "model": "fake/fake-chat",
                    "messages": [{"role": "user", "content": f"m{i}"}],
                },
                timeout=30,
            )
            assert r.status_code == 200, r.text
            return str(r.json()["id"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            acknowledged = set(pool.map(chat, range(80)))
        stop_server(server)  # SIGTERM right after the last answer (uvicorn re-raises it: rc -15)
    assert len(acknowledged) == 80
    with run_server(config_path, tmp_path) as server:
        assert acknowledged <= _all_stored(server.base_url)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_health_reports_a_sqlite_file_that_vanished(
    fake: RunningFake, config_path: Path, tmp_path: Path, how: str
) -> None:
    with run_server(config_path, tmp_path) as server:
        assert httpx.get(f"{server.base_url}/v1/health").json() == {"status": "OK"}
        db = tmp_path / "store" / "sql.db"
        if how == "deleted":
            db.unlink()
        else:
            shutil.copy(db, tmp_path / "copy.db")
            os.replace(tmp_path / "copy.db", db)
        health = httpx.get(f"{server.base_url}/v1/health")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "Error"
        assert "sql_main" in body["storage"]
        assert ("vanished" if how == "deleted" else "replaced") in body["storage"]["sql_main"]
        httpx.get(f"{server.base_url}/v1/health")  # asked again: logged once, not per probe
        assert server.log().count("storage backend sql_main") == 1
