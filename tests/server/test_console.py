"""The console's files over real HTTP: headers, compression, caching, its path, and turning it off."""

from __future__ import annotations

import fnmatch
import gzip
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from corral.config.server import ConsoleConfig
from corral.server.routes.console import (
    CONTENT_SECURITY_POLICY,
    STATIC_DIR,
    console_mount,
    load_assets,
)
from tests.fixtures.server import RunningServer, run_server

pytestmark = pytest.mark.slow

#: The whole console, compressed, must stay well under the first-load budget.
FIRST_LOAD_BUDGET = 300 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server("version: 2\n", tmp_path_factory.mktemp("console-http")) as running:
        yield running


def test_the_page_and_its_modules_carry_the_security_headers(server: RunningServer) -> None:
    for name, kind in [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("pages/chat.js", "text/javascript"),
        ("style.css", "text/css"),
    ]:
        r = httpx.get(f"{server.base_url}/console/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith(kind)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_the_page_has_no_inline_script_or_style() -> None:
    index = load_assets()["index.html"].body.decode()
    assert "<script>" not in index and "<style" not in index and " style=" not in index
    assert " on" not in index.replace("</", "").split("<body", 1)[1].split(">", 1)[0]
    for name, asset in load_assets().items():
        if name.endswith(".js"):
            assert b"innerHTML" not in asset.body and b"insertAdjacentHTML" not in asset.body, name
            assert b"eval(" not in asset.body, name


def test_compressed_revalidated_and_small(server: RunningServer) -> None:
    r = httpx.get(f"{server.base_url}/console/app.js", headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "no-cache"
    again = httpx.get(
        f"{server.base_url}/console/app.js", headers={"if-none-match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    plain = httpx.get(f"{server.base_url}/console/app.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == r.content  # httpx decoded the gzip one
    total = sum(len(a.gzipped) for a in load_assets().values())
    assert total < FIRST_LOAD_BUDGET, total


def test_the_bare_path_redirects_to_the_folder(server: RunningServer) -> None:
    r = httpx.get(f"{server.base_url}/console")
    assert r.status_code == 308
    assert r.headers["location"] == "/console/"


def test_unknown_files_and_other_methods_answer_in_the_error_envelope(
    server: RunningServer,
) -> None:
    missing = httpx.get(f"{server.base_url}/console/../pyproject.toml")
    assert missing.status_code == 404
    missing = httpx.get(f"{server.base_url}/console/nope.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "route_not_found"
    post = httpx.post(f"{server.base_url}/console/app.js")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"
    head = httpx.head(f"{server.base_url}/console/app.js")
    assert head.status_code == 200 and head.content == b""


async def _api_stand_in(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b"api"})


def test_the_console_can_move_or_be_turned_off() -> None:
    moved = console_mount(_api_stand_in, ConsoleConfig(path="/admin/ui"))
    c = TestClient(moved)  # no lifespan: the stand-in only speaks HTTP
    assert c.get("/admin/ui/").status_code == 200
    assert c.get("/admin/ui/pages/chat.js").status_code == 200
    assert c.get("/admin/uix").content == b"api"  # a longer path is not the console's
    assert c.get("/console/").content == b"api"
    assert console_mount(_api_stand_in, ConsoleConfig(enabled=False)) is _api_stand_in


@pytest.mark.parametrize("path", ["console", "/console/", "/v1/console", "/openapi.json", "/a b"])
def test_a_console_path_inside_the_api_or_malformed_is_refused(path: str) -> None:
    with pytest.raises(ValidationError, match="path"):
        ConsoleConfig(path=path)


def test_gzip_bodies_are_the_files() -> None:
    for asset in load_assets().values():
        assert gzip.decompress(asset.gzipped) == asset.body


def test_every_console_file_ships_in_the_wheel() -> None:
    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["corral"]
    package = root / "src" / "corral"
    for name in load_assets():
        relative = (STATIC_DIR / name).relative_to(package).as_posix()
        assert any(
            fnmatch.fnmatch(relative, g) and "/" not in relative[len(g) - 1 :] for g in globs
        ), relative
