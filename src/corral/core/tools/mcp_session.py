"""One open MCP session, owned by a task of its own, and the pool that reuses them.

The MCP SDK's transports and `ClientSession` are async context managers bound
to the task that entered them (anyio task groups). A pooled session therefore
lives in a dedicated task that opens the transport, initialises, signals that
it is ready and then waits to be told to close; requests from any task send
through the session meanwhile (JSON-RPC requests carry ids, so concurrent
calls on one session are fine).

Every connection goes through the outbound policy's guarded HTTP client. A
session that fails or whose transport ends is marked dead and dropped; the
next request opens a new one. Sessions are keyed by URL *and* a digest of the
headers, so two callers with different credentials never share one, and the
key never holds a credential in clear.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from corral.config.tools import McpClientConfig
from corral.core.tools.outbound import OutboundPolicy, guarded_client

log = logging.getLogger("corral.mcp")


@dataclass(frozen=True)
class McpServer:
    """Where an MCP server is and how to authenticate: what one tool entry names."""

    url: str
    label: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Identity for pooling and caching (a digest: it never shows a credential)."""
        digest = hashlib.sha256(self.url.encode())
        for name, value in sorted((n.lower(), v) for n, v in self.headers):
            digest.update(b"\0" + name.encode() + b"\0" + value.encode())
        return digest.hexdigest()

    @property
    def uses_sse(self) -> bool:
        """The older HTTP+SSE transport, chosen by a URL path ending in ``/sse``."""
        return urlsplit(self.url).path.rstrip("/").endswith("/sse")


class _OpenSession:
    """A session held open by its own task until `close`."""

    def __init__(self, server: McpServer, policy: OutboundPolicy, config: McpClientConfig) -> None:
        self.server = server
        self.policy = policy
        self.config = config
        self.ready = asyncio.Event()
        self.stopping = asyncio.Event()
        self.session: Any = None
        self.info: Any = None
        self.error: BaseException | None = None
        self.dead = False
        self.last_used = time.monotonic()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def _timeout(self) -> httpx.Timeout:
        read = self.config.timeout_seconds + self.config.session_idle_seconds
        return httpx.Timeout(
            self.config.timeout_seconds, connect=self.config.connect_timeout_seconds, read=read
        )

    @contextlib.asynccontextmanager
    async def _streams(self) -> AsyncIterator[tuple[Any, Any]]:
        from mcp.client.sse import sse_client
        from mcp.client.streamable_http import streamable_http_client

        headers = dict(self.server.headers)
        if self.server.uses_sse:

            def factory(
                headers: dict[str, str] | None = None,
                timeout: httpx.Timeout | None = None,
                auth: httpx.Auth | None = None,
            ) -> httpx.AsyncClient:
                return guarded_client(self.policy, headers=headers, timeout=self._timeout())

            async with sse_client(
                self.server.url,
                headers=headers,
                timeout=self.config.timeout_seconds,
                sse_read_timeout=self.config.timeout_seconds + self.config.session_idle_seconds,
                httpx_client_factory=factory,
            ) as (read, write):
                yield read, write
        else:
            client = guarded_client(self.policy, headers=headers, timeout=self._timeout())
            async with (
                client,
                streamable_http_client(self.server.url, http_client=client) as (
                    read,
                    write,
                    _,
                ),
            ):
                yield read, write

    async def _run(self) -> None:
        from mcp import ClientSession

        try:
            async with (
                self._streams() as (read, write),
                ClientSession(read, write, message_handler=self._on_message) as session,
            ):
                self.info = await self._initialize(session)
                self.session = session
                self.ready.set()
                await self.stopping.wait()
        except BaseException as exc:
            self.error = exc
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self.dead = True
            self.ready.set()

    async def _initialize(self, session: Any) -> Any:
        """``initialize``, abandoned as soon as the transport reports garbage."""
        init = asyncio.ensure_future(session.initialize())
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({init, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not init.done():
            init.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await init
            raise self.error or ConnectionError("the MCP session closed while initialising")
        return init.result()

    async def _on_message(self, message: Any) -> None:
        """A transport error (garbage from the server) ends the session at once.

        The SDK hands such errors to this handler and leaves pending requests
        waiting; closing the session fails them now instead of at their deadline.
        """
        if isinstance(message, Exception):
            self.error = message
            self.stopping.set()

    async def opened(self) -> Any:
        """The initialised `ClientSession`; raises what opening it raised."""
        await self.ready.wait()
        if self.session is None or self.dead:
            raise self.error or ConnectionError("the MCP session closed")
        self.last_used = time.monotonic()
        return self.session

    async def close(self) -> None:
        """Ask the session's task to leave its contexts, and wait a moment for it."""
        self.stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), 5)
        except (TimeoutError, asyncio.CancelledError):
            self.task.cancel()
        except BaseException:  # noqa: S110 - the session is going away either way
            pass


class SessionPool:
    """Open MCP sessions by server key, least recently used closed first."""

    def __init__(self, policy: OutboundPolicy, config: McpClientConfig) -> None:
        self.policy = policy
        self.config = config
        self._open: dict[str, _OpenSession] = {}
        #: Sessions being closed in the background (kept referenced until they are).
        self._closing: set[asyncio.Task[None]] = set()

    async def session(self, server: McpServer) -> tuple[Any, Any]:
        """An initialised session for `server` and its initialize result (opened if needed)."""
        self.policy.check_url(server.url)
        self._evict()
        found = self._open.get(server.key)
        if found is None or found.dead:
            found = _OpenSession(server, self.policy, self.config)
            self._open[server.key] = found
        try:
            session = await found.opened()
        except BaseException:
            self._open.pop(server.key, None)
            raise
        return session, found.info

    def discard(self, server: McpServer) -> BaseException | None:
        """Drop the session of `server` (after a failure on it); the error it recorded."""
        found = self._open.pop(server.key, None)
        if found is None:
            return None
        found.stopping.set()
        return found.error

    def _evict(self) -> None:
        now = time.monotonic()
        stale = [
            k
            for k, s in self._open.items()
            if s.dead or (s.ready.is_set() and now - s.last_used > self.config.session_idle_seconds)
        ]
        by_age = sorted(self._open.items(), key=lambda kv: kv[1].last_used)
        excess = len(self._open) - len(stale) - self.config.max_sessions + 1
        stale += [k for k, _ in by_age if k not in stale][: max(excess, 0)]
        for key in stale:  # closed off the request's path: a slow close never delays it
            task = asyncio.get_running_loop().create_task(self._open.pop(key).close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close every session."""
        sessions, self._open = list(self._open.values()), {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await asyncio.gather(*self._closing, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._open)
