"""One pipelined Redis connection for the quota counter script, speaking RESP2 directly.

The counter is the only KV operation on every request. Through redis-py a
script call cost ~120 µs of CPU (connection-pool checkout, retry wrapper,
command packing, response parsing in Python); written and parsed here it costs
~35 µs, most of it the two system calls. Everything else (get/set/scan, and
TLS or unix-socket connections) stays on redis-py.

Calls are pipelined on the one connection and answered in order. A lost
connection, a protocol error or a timeout closes it and fails every call in
flight; the next call reconnects. A ``NOSCRIPT`` answer (the server restarted
or flushed its scripts) loads the script again and retries once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

CONNECT_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 10.0


class RedisReplyError(Exception):
    """Redis answered a command with an error reply."""


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect (plain TCP)."""

    host: str
    port: int
    db: int = 0
    username: str | None = None
    password: str | None = None


def _command(*parts: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _parse(buf: bytes, pos: int) -> tuple[Any, int] | None:
    """One RESP2 value starting at `pos`: (value, next position), or None when incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, line = buf[pos : pos + 1], buf[pos + 1 : end]
    if kind == b":":
        return int(line), end + 2
    if kind == b"+":
        return line.decode(), end + 2
    if kind == b"-":
        return RedisReplyError(line.decode(errors="replace")), end + 2
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, end + 2  # a null bulk string
        if len(buf) < end + 2 + size + 2:
            return None
        return buf[end + 2 : end + 2 + size], end + 2 + size + 2
    if kind == b"*":
        count, items, pos = int(line), [], end + 2
        for _ in range(max(0, count)):
            parsed = _parse(buf, pos)
            if parsed is None:
                return None
            item, pos = parsed
            items.append(item)
        return items, pos
    raise ValueError(f"unexpected RESP type byte {kind!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.pending: deque[asyncio.Future[Any]] = deque()
        self.buffer = b""
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        pos = 0
        try:
            while self.pending:
                parsed = _parse(self.buffer, pos)
                if parsed is None:
                    break
                value, pos = parsed
                future = self.pending.popleft()
                if not future.done():
                    future.set_result(value)
        except ValueError as exc:
            self.fail(ConnectionError(f"bad reply from redis: {exc}"))
            return
        self.buffer = self.buffer[pos:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError("the connection to redis was lost"))

    def fail(self, exc: Exception) -> None:
        self.lost = True
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def send(self, data: bytes) -> asyncio.Future[Any]:
        assert self.transport is not None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        self.transport.write(data)
        return future


class RedisScriptConnection:
    """Runs one Lua script over a lean, pipelined connection."""

    def __init__(self, endpoint: Endpoint, script: str) -> None:
        self._endpoint = endpoint
        self._script = script
        self._sha = b""
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task[_Protocol] | None = None

    async def call(self, keys: list[str], args: list[int]) -> Any:
        """EVALSHA the script; a ``NOSCRIPT`` answer loads it again and retries once."""
        protocol = await self._connected()
        reply = await _within(protocol, self._evalsha(protocol, keys, args))
        if isinstance(reply, RedisReplyError) and str(reply).startswith("NOSCRIPT"):
            self._sha = await _check(protocol, _command(b"SCRIPT", b"LOAD", self._script))
            reply = await _within(protocol, self._evalsha(protocol, keys, args))
        if isinstance(reply, RedisReplyError):
            raise reply
        return reply

    def _evalsha(self, protocol: _Protocol, keys: list[str], args: list[int]) -> Any:
        return protocol.send(_command(b"EVALSHA", self._sha, len(keys), *keys, *args))

    async def _connected(self) -> _Protocol:
        if self._protocol is not None and not self._protocol.lost:
            return self._protocol
        if self._connecting is None:
            self._connecting = asyncio.get_running_loop().create_task(self._connect())
        try:
            self._protocol = await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None
        return self._protocol

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        e = self._endpoint
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            _, protocol = await loop.create_connection(_Protocol, e.host, e.port)
            try:
                if e.password is not None:
                    user = (e.username,) if e.username else ()
                    await _check(protocol, _command(b"AUTH", *user, e.password))
                if e.db:
                    await _check(protocol, _command(b"SELECT", e.db))
                self._sha = await _check(protocol, _command(b"SCRIPT", b"LOAD", self._script))
            except BaseException:
                protocol.fail(ConnectionError("the redis handshake failed"))
                raise
        return protocol

    def close(self) -> None:
        """Close the connection (calls in flight fail)."""
        if self._protocol is not None:
            self._protocol.fail(ConnectionError("closed"))
            self._protocol = None


async def _check(protocol: _Protocol, command: bytes) -> Any:
    """Send `command` and return its reply; an error reply is raised."""
    reply = await _within(protocol, protocol.send(command))
    if isinstance(reply, RedisReplyError):
        raise reply
    return reply


async def _within(protocol: _Protocol, future: asyncio.Future[Any]) -> Any:
    """The reply; after `CALL_TIMEOUT_S` the connection is failed instead.

    Answers come in order, so a late one would be read as the next command's.
    """
    timer = asyncio.get_running_loop().call_later(CALL_TIMEOUT_S, _time_out, protocol, future)
    try:
        return await future
    finally:
        timer.cancel()


def _time_out(protocol: _Protocol, future: asyncio.Future[Any]) -> None:
    if not future.done():
        protocol.fail(TimeoutError("redis did not answer in time"))
