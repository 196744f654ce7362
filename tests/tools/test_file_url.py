"""``input_file.file_url`` is fetched through the outbound policy, with its limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.fixtures.aiohttp_thread import serve_in_thread
from tests.fixtures.scripted_llm import RunningScript
from tests.fixtures.server import RunningServer, run_server
from tests.tools.conftest import tools_config

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files_site() -> Iterator[int]:
    async def notes(request: web.Request) -> web.Response:
        return web.Response(text="The launch code is BLUE-42.", content_type="text/plain")

    async def big(request: web.Request) -> web.Response:
        return web.Response(text="x" * 5000, content_type="text/plain")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    app = web.Application()
    app.router.add_get("/notes.txt", notes)
    app.router.add_get("/big.txt", big)
    app.router.add_get("/redirect", redirect)
    with serve_in_thread(app) as port:
        yield port


@pytest.fixture(scope="module")
def fetching_server(
    script: RunningScript, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("file-url")
    text = tools_config(script.url, tmp).replace(
        "allow_networks: [127.0.0.0/8]", "allow_networks: [127.0.0.1/32]"
    )
    text = text.replace("tools:\n", "tools:\n  max_fetch_bytes: 4096\n", 1)
    with run_server(text, tmp) as running:
        yield running


def ask(server: RunningServer, url: str) -> httpx.Response:
    body: dict[str, Any] = {
        "model": "script/echo",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Read this."},
                    {"type": "input_file", "file_url": url},
                ],
            }
        ],
    }
    return httpx.post(f"{server.base_url}/v1/responses", json=body, timeout=30)


def test_a_file_url_is_fetched_and_read(fetching_server: RunningServer, files_site: int) -> None:
    response = ask(fetching_server, f"http://127.0.0.1:{files_site}/notes.txt")
    assert response.status_code == 200, response.text
    text = response.json()["output"][-1]["content"][0]["text"]
    assert "[file notes.txt]" in text and "BLUE-42" in text


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.2:{port}/notes.txt", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:{port}/redirect?to=http://127.0.0.2:{port}/notes.txt", "loopback"),
        ("http://127.0.0.1:{port}/big.txt", "larger than 4096 bytes"),
        ("file:///etc/passwd", "scheme"),
    ],
)
def test_refused_and_failed_fetches_are_400s(
    fetching_server: RunningServer, files_site: int, target: str, reason: str
) -> None:
    response = ask(fetching_server, target.format(port=files_site))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "input[0].content.file_url"
    assert reason in error["message"]
