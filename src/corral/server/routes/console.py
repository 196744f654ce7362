"""The web console: its static files, read and compressed once at startup, served at one path.

The console (``src/corral/server/console/``: plain ES modules, a stylesheet and
one HTML page; no build step) is a client of this server's own API like any
other: it sends the bearer token typed into it (kept in the browser's
sessionStorage) with every API call, so authentication, route_policy,
access_policy and quotas judge those calls as they judge any client's.

Its files hold no data, so they are served outside the API's middleware
(`ConsoleMount` sits before route resolution): a browser cannot send a bearer
token with a page load, and a route_policy written for the API should not have
to list stylesheets. This module must not serve anything but those files.

Every answer carries a strict Content-Security-Policy (scripts and styles from
this origin only, no inline code, API calls to this origin only, no framing),
``nosniff`` and ``no-referrer``. Files are revalidated with an ETag on each
load (``no-cache``) so an upgraded server never runs a stale mix of modules.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from corral.config.server import ConsoleConfig
from corral.server.errors import not_found_route, send_error

STATIC_DIR = Path(__file__).resolve().parent.parent / "console"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}
_COMMON_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-cache"),
    (b"vary", b"accept-encoding"),
]


@dataclass(frozen=True)
class Asset:
    """One file, ready to send: its bytes, gzipped bytes, type and ETag."""

    body: bytes
    gzipped: bytes
    content_type: str
    etag: bytes


def load_assets(root: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file under `root` by its relative path (``pages/chat.js``), compressed once."""
    assets: dict[str, Asset] = {}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.name.startswith("."):
            continue
        body = file.read_bytes()
        kind = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
        digest = hashlib.sha256(body).hexdigest()[:20]
        assets[file.relative_to(root).as_posix()] = Asset(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            content_type=kind or "application/octet-stream",
            etag=f'"{digest}"'.encode(),
        )
    return assets


class ConsoleMount:
    """Serve the console's files under `config.path`; pass every other request on."""

    def __init__(self, app: ASGIApp, config: ConsoleConfig, assets: dict[str, Asset]) -> None:
        self.app = app
        self.path = config.path
        self.prefix = config.path + "/"
        self.assets = assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a console path; anything else goes to the API."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == self.path:
            # The page loads its modules by relative URL, so it must be read as a folder.
            await _send(send, 308, [(b"location", self.prefix.encode())], b"")
        elif path.startswith(self.prefix):
            await self._serve(scope, send, path[len(self.prefix) :] or "index.html")
        else:
            await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, name: str) -> None:
        asset = self.assets.get(name)
        if asset is None:
            await send_error(send, not_found_route(scope["path"]))
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_error(send, HTTPException(405, headers={"Allow": "GET, HEAD"}))
            return
        headers = [*_COMMON_HEADERS, (b"etag", asset.etag)]
        request_headers = dict(scope["headers"])
        if request_headers.get(b"if-none-match") == asset.etag:
            await _send(send, 304, headers, b"")
            return
        body = asset.body
        if b"gzip" in request_headers.get(b"accept-encoding", b""):
            body = asset.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-type", asset.content_type.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await _send(send, 200, headers, b"" if scope["method"] == "HEAD" else body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if status != 200:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def console_mount(app: ASGIApp, config: ConsoleConfig) -> ASGIApp:
    """`app` with the console in front of it, or `app` itself when the console is off."""
    if not config.enabled:
        return app
    return ConsoleMount(app, config, load_assets())
