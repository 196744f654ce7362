"""A first start serves at once while llama-cpp-python is still being built (scripts/serve).

The build is simulated by its marker file: the runtime is installed in the test
environment, and the provider must still wait until the marker says ``ok``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from corral.apis.spec import ProviderStartupError
from corral.providers.inline.inference.llama_cpp.runtime import RuntimeBuild
from tests.fixtures.polling import wait_until
from tests.fixtures.server import RunningServer, run_server
from tests.providers.conftest import CHAT, EMBED

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def config(marker: Path) -> str:
    return f"""
version: 2
providers:
  inference:
  - provider_id: llama-cpp
    provider_type: inline::llama-cpp
    config: {{n_threads: 2, load_wait_seconds: 0.2, runtime_build_marker: "{marker}"}}
  - provider_id: sentence-transformers
    provider_type: inline::sentence-transformers
    config: {{}}
"""


def chat(server: RunningServer) -> httpx.Response:
    body = {"model": CHAT, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
    return httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=60)


def answering(server: RunningServer) -> bool:
    """The server is up (its health is a 503 while a model waits for the runtime)."""
    try:
        return httpx.get(f"{server.base_url}/v1/health", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def health(server: RunningServer) -> dict[str, Any]:
    providers: dict[str, Any] = httpx.get(f"{server.base_url}/v1/health").json()["providers"]
    return providers


def test_the_server_answers_while_the_runtime_builds_and_chat_follows(tmp_path: Path) -> None:
    marker = tmp_path / "build"
    marker.write_text(f"building {tmp_path / 'build.log'}\n")
    with run_server(config(marker), tmp_path, wait_healthy=False) as server:
        wait_until(lambda: answering(server), timeout=60, what="the server to answer")
        # The gateway and the ONNX embedder work at once.
        embedded = httpx.post(
            f"{server.base_url}/v1/embeddings", json={"model": EMBED, "input": "a cat"}, timeout=60
        )
        assert embedded.status_code == 200
        state = health(server)["llama-cpp"]
        assert state["status"] == "Loading" and "building the llama.cpp runtime" in state["message"]
        waiting = chat(server)
        assert waiting.status_code == 503 and int(waiting.headers["retry-after"]) >= 1
        assert waiting.json()["error"]["code"] == "model_loading"
        marker.write_text("ok\n")  # the build finished
        wait_until(lambda: chat(server).status_code == 200, timeout=60, interval=0.5)
        assert httpx.get(f"{server.base_url}/v1/health").json()["status"] == "OK"


def test_a_failed_build_is_reported_with_its_log(tmp_path: Path) -> None:
    marker = tmp_path / "build"
    marker.write_text(f"building {tmp_path / 'build.log'}\n")
    with run_server(config(marker), tmp_path, wait_healthy=False) as server:
        wait_until(lambda: answering(server), timeout=60, what="the server to answer")
        marker.write_text(f"failed {tmp_path / 'build.log'}\n")
        wait_until(lambda: health(server)["llama-cpp"]["status"] == "Error", timeout=30)
        failed = chat(server)
        assert failed.status_code == 503 and failed.json()["error"]["code"] == "model_load_failed"
        assert "build.log" in failed.json()["error"]["message"]


def test_marker_states_and_a_build_whose_process_is_gone(tmp_path: Path) -> None:
    marker = tmp_path / "m"
    build = RuntimeBuild(marker, sleep=lambda _: None)
    assert build.state() == ("none", "")
    marker.write_text("building /x/log.txt\n")
    assert build.pending() and "/x/log.txt" in build.note()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    marker.write_text(f"building /x/log.txt {gone.stdout.strip()}\n")
    assert build.state() == ("failed", "/x/log.txt")
    with pytest.raises(ProviderStartupError, match="/x/log.txt"):
        build.wait()
    marker.write_text(f"building /x/log.txt {os.getpid()}\n")
    assert build.pending()
    marker.write_text("ok\n")
    build.wait()  # returns: the runtime is importable here
