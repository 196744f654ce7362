"""uvicorn's httptools HTTP protocol, with the writes of one event-loop pass sent together.

uvicorn writes a response's head when the app sends ``http.response.start``
and its body when the app sends the body: two ``send`` system calls and two
TCP segments for every plain JSON response. Profiled under load, those writes
were the largest single cost of a request (loopback delivery runs in the
sender's system call). `CoalescingTransport` holds writes until the end of the
current event-loop pass and sends them as one; a stream's chunks, which arrive
in different passes, still leave one by one as they come.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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


class CorralHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the connection's transport."""
        super().connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]
