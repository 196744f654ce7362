"""A FIN after a complete request: the app is told the client left, an answer still goes out.

A client that closes and one that only half-closes (``shutdown(SHUT_WR)``)
both send FIN. Work that polls for a disconnect (an embedded model generating)
must stop, and an answer the app still sends must reach a half-closed client.
Driven in-process with exact bytes on a recording transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from corral.server.protocol import CorralHttpProtocol


class RecordingTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_fin_tells_the_app_and_the_answer_still_goes_out() -> None:
    seen: list[str] = []
    finished = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((await receive())["type"])  # the (empty) body
        while (message := await receive())["type"] != "http.disconnect":
            seen.append(message["type"])
        seen.append("http.disconnect")
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"4")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"done"})
        finished.set()

    config = Config(app=app, lifespan="off", log_level="warning")
    config.load()
    protocol = CorralHttpProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.05)  # the app is now waiting for a disconnect
    assert seen == ["http.request"]
    assert protocol.eof_received() is True  # kept open for writing
    await asyncio.wait_for(finished.wait(), 5)
    await asyncio.sleep(0.01)  # the coalescing transport sends at the end of the loop pass
    assert seen == ["http.request", "http.disconnect"]
    assert transport.written.startswith(b"HTTP/1.1 200 OK") and transport.written.endswith(b"done")
    assert transport.closed  # closed once the answer is out


async def test_fin_with_nothing_in_flight_closes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        return None

    config = Config(app=app, lifespan="off", log_level="warning")
    config.load()
    protocol = CorralHttpProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    assert protocol.eof_received() is None
    assert transport.closed
    protocol.connection_lost(None)
