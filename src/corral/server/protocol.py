"""uvicorn's httptools HTTP protocol, with server.limits enforced and writes coalesced.

Limits (``server.limits``, see docs/security.md), checked before a request
reaches the app, so they cost an unauthenticated client nothing it can grow:

- the request head (request line and headers) may hold ``max_header_bytes``
  bytes and ``max_header_count`` header lines; beyond that the client gets 431
  and the connection is closed. The bytes are counted before they are handed
  to the parser, so the parser never holds more than the limit;
- a head must arrive within ``header_timeout_seconds`` of its first byte (or of
  connecting), and a body may pause at most ``body_timeout_seconds`` between
  two reads while the server is reading it: 408, then close;
- at most ``max_connections`` connections are open per worker; one more is
  answered 503 with ``Retry-After`` and closed.

The parser's own refusals (malformed HTTP) use the JSON error envelope. A
client that half-closes after a complete request (``shutdown(SHUT_WR)``) still
gets its answer. The timers are armed only when a head or body is still
incomplete after a read, so a request that arrives in one read costs no timer.

`CoalescingTransport`: uvicorn writes a response's head when the app sends
``http.response.start`` and its body when the app sends the body: two ``send``
system calls and two TCP segments for every plain JSON response. Profiled under
load, those writes were the largest single cost of a request (loopback delivery
runs in the sender's system call). The transport holds writes until the end of
the current event-loop pass and sends them as one; a stream's chunks, which
arrive in different passes, still leave one by one as they come.
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from corral.config.server import ServerLimits
from corral.errors import (
    CorralError,
    HeadersTooLarge,
    InvalidRequest,
    RequestTimeout,
    ServiceUnavailable,
)
from corral.server.errors import error_response

log = logging.getLogger("corral.server")

#: Where the app's lifespan leaves the limits for the protocol (uvicorn's lifespan state).
LIMITS_STATE_KEY = "corral.server_limits"
DEFAULT_LIMITS = ServerLimits()


class CoalescingTransport:
    """Wraps a transport: `write` joins what is written in the same loop pass."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Queue `data`; the first write of a pass schedules the send."""
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        """Send what is queued, then close."""
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def raw_error(exc: CorralError) -> bytes:
    """A complete HTTP/1.1 error response (JSON envelope) that closes the connection."""
    status, headers, body = error_response(exc)
    lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"content-length: {len(body)}", "connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; the refusal is in `_refusal`."""


class CorralHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`, enforcing `ServerLimits`."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits: ServerLimits = app_state.get(LIMITS_STATE_KEY, DEFAULT_LIMITS)
        self._max_head = limits.max_header_bytes
        self._max_headers = limits.max_header_count
        self._head_timeout = limits.header_timeout_seconds
        self._body_timeout = limits.body_timeout_seconds
        self._max_connections = limits.max_connections
        self._in_head = True
        self._head_bytes = 0
        self._body_pending = False
        self._body_seen = 0.0
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._refusal: CorralError | None = None
        self._eof = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the transport; refuse the connection when too many are open."""
        super().connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]
        if len(self.connections) > self._max_connections:
            log.warning("connection refused: %d connections are open", len(self.connections))
            self._refuse(
                ServiceUnavailable(
                    "the server has too many open connections; try again shortly",
                    retry_after=1,
                    code="too_many_connections",
                )
            )
            return
        self._head_timer = self.loop.call_later(self._head_timeout, self._on_head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the timers with the connection."""
        self._cancel_timers()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client sent FIN after a complete request: it may have gone, or only half-closed.

        The two look the same here, so (as Go's net/http does) the app is told
        the client is gone (``http.disconnect`` from `receive`: long work such as
        a generation stops) while the connection stays open for writing: an answer
        the app still sends reaches a client that only half-closed.
        """
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._eof = True
            cycle.corral_eof = True  # type: ignore[attr-defined]
            cycle.message_event.set()
            return True  # keep the transport open for writing; closed after the answer
        self.transport.close()  # sends what the coalescing transport still holds, then closes
        return None

    def data_received(self, data: bytes) -> None:
        """Count the head's bytes before the parser sees them; arm the read timers."""
        if self._in_head:
            room = self._max_head - self._head_bytes
            if len(data) > room:
                # The head may end inside the first `room` bytes; then the rest is body.
                if room > 0:
                    super().data_received(data[:room])
                if self._in_head or self.transport.is_closing():
                    if not self.transport.is_closing():
                        self._refuse(HeadersTooLarge(_head_message(self._max_head, "bytes")))
                    return
                data = data[room:]
            else:
                self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head:
            if self._head_bytes and self._head_timer is None and not self.transport.is_closing():
                self._head_timer = self.loop.call_later(self._head_timeout, self._on_head_timeout)
        elif self._body_pending and self._body_timer is None:
            self._body_seen = self.loop.time()
            self._body_timer = self.loop.call_later(self._body_timeout, self._on_body_timeout)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Refuse the request past `max_header_count` header lines."""
        if len(self.headers) >= self._max_headers:
            self._refusal = HeadersTooLarge(_head_message(self._max_headers, "header lines"))
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is in: stop its clock, expect a body unless the message ends here."""
        self._in_head = False
        self._head_bytes = 0
        self._body_pending = True
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None:  # the app's task has not started: it will take this `receive`
            cycle.receive = _eof_aware(cycle)  # type: ignore[method-assign,assignment]

    def on_body(self, body: bytes) -> None:
        """Note when the body last moved (the body timer reads it)."""
        if self._body_timer is not None:
            self._body_seen = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        """The request is in: stop the body clock; the next bytes are a new head."""
        self._in_head = True
        self._body_pending = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """After the answer, close a connection whose client already half-closed it."""
        super().on_response_complete()
        if self._eof and not self.pipeline and not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """The parser refused the request: answer in the JSON envelope, then close."""
        refusal, self._refusal = self._refusal, None
        self._refuse(refusal or InvalidRequest(msg, code="invalid_http"))

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The previous request is still being answered; the next head's clock starts later.
            self._head_timer = self.loop.call_later(self._head_timeout, self._on_head_timeout)
        elif self._head_bytes == 0:
            self.transport.close()  # an idle connection that never sent a byte
        else:
            self._refuse(RequestTimeout(f"the request head took over {self._head_timeout:g}s"))

    def _on_body_timeout(self) -> None:
        self._body_timer = None
        if not self._body_pending or self.transport.is_closing():
            return
        idle = self.loop.time() - self._body_seen
        if self.flow.read_paused or idle < self._body_timeout:
            # The app is not reading (its buffer is full), or the body moved recently.
            wait = self._body_timeout if self.flow.read_paused else self._body_timeout - idle
            self._body_timer = self.loop.call_later(wait, self._on_body_timeout)
            return
        self._refuse(RequestTimeout(f"the request body paused over {self._body_timeout:g}s"))

    def _refuse(self, exc: CorralError) -> None:
        """Answer `exc` and close; the app, if it runs, sees the client gone."""
        self._cancel_timers()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:
                self.transport.close()
                return
            cycle.disconnected = True
            cycle.message_event.set()
        log.info("request refused: %s", exc.message)
        self.transport.write(raw_error(exc))
        self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None


def _eof_aware(cycle: RequestResponseCycle) -> Callable[[], Awaitable[Any]]:
    """`cycle.receive`, answering ``http.disconnect`` once the client sent FIN (eof_received)."""
    receive = cycle.receive

    async def eof_aware_receive() -> Any:
        if getattr(cycle, "corral_eof", False):
            return {"type": "http.disconnect"}
        message = await receive()
        if getattr(cycle, "corral_eof", False) and not message.get("body"):
            return {"type": "http.disconnect"}  # woken by the FIN, not by more body
        return message

    return eof_aware_receive


def _head_message(limit: int, unit: str) -> str:
    return f"the request head is larger than {limit} {unit} (server.limits)"
