"""corral's upstream HTTP client against exact wire bytes: framing, connection reuse, TLS.

A raw asyncio stub answers according to the requested model with hand-written
HTTP/1.1 responses (chunked JSON, gzip, a body that runs until the connection
closes, ``Connection: close``, an idle close like uvicorn's keep-alive timeout,
SSE split mid-line with CRLF endings), and counts the connections it accepted.
A second copy of the stub speaks TLS with a certificate from a test CA.
"""

from __future__ import annotations

import asyncio
import gzip
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from tests.fixtures.server import RunningServer, run_server
from tests.server.test_serving import _cert, _write

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def _completion(model: str) -> bytes:
    return orjson.dumps(
        {
            "id": f"chatcmpl-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok"},
                    "finish_reason": "stop",
                }
            ],
        }
    )


def _head(extra: str) -> bytes:
    return f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra}\r\n".encode()


def _answer(model: str) -> tuple[bytes, bool]:
    """The bytes for `model`'s answer, and whether to close the connection afterwards."""
    body = _completion(model)
    if model == "chunked":
        half = len(body) // 2
        parts = [body[:half], body[half:]]
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        return _head("transfer-encoding: chunked\r\n") + chunks, False
    if model == "gzip":
        packed = gzip.compress(body)
        return _head(f"content-encoding: gzip\r\ncontent-length: {len(packed)}\r\n") + packed, False
    if model == "until-close":
        return _head("connection: close\r\n") + body, True
    if model == "close-each":
        return _head(f"connection: close\r\ncontent-length: {len(body)}\r\n") + body, True
    if model == "early-hints":
        hints = b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"
        return hints + _head(f"content-length: {len(body)}\r\n") + body, False
    if model == "big":  # larger than the client's read buffer: reading pauses and resumes
        data = orjson.loads(body)
        data["choices"][0]["message"]["tool_calls"] = [{"pad": "x" * 700_000}]
        big = orjson.dumps(data)
        return _head(f"content-length: {len(big)}\r\n") + big, False
    return _head(f"content-length: {len(body)}\r\n") + body, False


def _sse_answer() -> list[bytes]:
    """An event stream written in pieces that split lines, with CRLF line endings."""
    events = (
        b"".join(
            b"data: "
            + orjson.dumps(
                {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "model": "m",
                    "choices": [{"index": 0, "delta": {"content": f"t{i}"}}],
                }
            )
            + b"\r\n\r\n"
            for i in range(3)
        )
        + b": a comment\r\n\r\ndata: [DONE]\r\n\r\n"
    )
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(events), events)
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    raw = head + body
    return [raw[i : i + 37] for i in range(0, len(raw), 37)]


@dataclass
class StubState:
    """What the stub saw."""

    connections: int = 0
    models: list[str] = field(default_factory=list)
    open: list[asyncio.BaseTransport] = field(default_factory=list)
    #: GET requests (no body) still to be dropped unanswered.
    drop_gets: int = 0


class WireStub(asyncio.Protocol):
    """Reads one request at a time (Content-Length bodies) and writes the chosen bytes."""

    def __init__(self, state: StubState, idle_close: float) -> None:
        self.state = state
        self.idle_close = idle_close
        self.buffer = b""
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.state.connections += 1
        self.state.open.append(transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        length = (
            int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            if b"content-length:" in head
            else 0
        )
        if len(self.buffer) < end + 4 + length:
            return
        body, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
        model = orjson.loads(body)["model"] if body else "models"
        self.state.models.append(model)
        if model == "drop-after-body" or (model == "models" and self.state.drop_gets > 0):
            # The request was read in full; the upstream may be working on it: vanish.
            self.state.drop_gets -= model == "models"
            self.transport.abort()
            return
        asyncio.get_running_loop().create_task(self._respond(model))

    async def _respond(self, model: str) -> None:
        if model == "split-sse":
            for piece in _sse_answer():
                self.transport.write(piece)
                await asyncio.sleep(0.005)
            return
        if model == "models":
            listing = orjson.dumps({"object": "list", "data": [{"id": "plain", "object": "model"}]})
            self.transport.write(_head(f"content-length: {len(listing)}\r\n") + listing)
            return
        data, close = _answer(model)
        self.transport.write(data)
        if close:
            self.transport.close()
        elif model == "idle-close":
            self.timer = asyncio.get_running_loop().call_later(
                self.idle_close, self.transport.close
            )


@contextmanager
def serve_stub(
    tls: ssl.SSLContext | None = None, idle_close: float = 0.05
) -> Iterator[tuple[int, StubState]]:
    """Run the stub on a loopback port in a background thread."""
    state = StubState()
    holder: dict[str, object] = {}
    ready = threading.Event()

    def serve() -> None:
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(
            loop.create_server(lambda: WireStub(state, idle_close), "127.0.0.1", 0, ssl=tls)
        )
        holder["loop"], holder["port"] = loop, server.sockets[0].getsockname()[1]
        ready.set()
        loop.run_forever()
        for transport in state.open:  # close accepted connections, or their sockets leak
            transport.close()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    loop = holder["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    try:
        yield int(holder["port"]), state  # type: ignore[call-overload]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


MODELS = [
    "chunked",
    "gzip",
    "until-close",
    "close-each",
    "early-hints",
    "big",
    "idle-close",
    "plain",
    "split-sse",
]


@dataclass
class Setup:
    server: RunningServer
    plain: StubState
    tls: StubState


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("wire")
    ca_key, ca = _cert("wire test CA", ca=True)
    _, ca_path = _write(tmp / "ca", ca_key, ca)
    srv_key, srv = _cert("localhost", ca_key, ca.subject, san=True)
    key_path, cert_path = _write(tmp / "server", srv_key, srv)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(str(cert_path), str(key_path))
    models = "\n".join(f"- {{model_id: {m}, provider_id: wire}}" for m in MODELS)
    with serve_stub() as (port, plain), serve_stub(tls) as (tls_port, tls_state):
        config = f"""
version: 2
apis: [inference]
providers:
  inference:
  - provider_id: wire
    provider_type: remote::openai-compatible
    config: {{base_url: "http://127.0.0.1:{port}/v1", max_retries: 0, timeout: 5}}
  - provider_id: tls
    provider_type: remote::openai-compatible
    config: {{base_url: "https://localhost:{tls_port}/v1", tls_cafile: "{ca_path}", max_retries: 0}}
  - provider_id: untrusted
    provider_type: remote::openai-compatible
    config: {{base_url: "https://localhost:{tls_port}/v1", max_retries: 0}}
  - provider_id: unverified
    provider_type: remote::openai-compatible
    config: {{base_url: "https://localhost:{tls_port}/v1", tls_verify: false, max_retries: 0}}
models:
{models}
- {{model_id: plain, provider_id: tls}}
- {{model_id: plain, provider_id: untrusted}}
- {{model_id: plain, provider_id: unverified}}
"""
        with run_server(config, tmp) as server:
            yield Setup(server, plain, tls_state)


def chat(server: RunningServer, model: str, **extra: object) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "x"}], **extra}
    return httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=10)


@pytest.mark.parametrize(
    "model", ["chunked", "gzip", "until-close", "close-each", "early-hints", "big"]
)
def test_response_framings(setup: Setup, model: str) -> None:
    for _ in range(3):  # also: a connection the upstream closed is never reused
        r = chat(setup.server, f"wire/{model}")
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "ok"
        assert r.json()["model"] == f"wire/{model}"


def test_keep_alive_reuses_one_connection(setup: Setup) -> None:
    chat(setup.server, "wire/plain")
    before = setup.plain.connections
    for _ in range(5):
        assert chat(setup.server, "wire/plain").status_code == 200
    assert setup.plain.connections == before


def test_connection_closed_while_idle_is_not_reused(setup: Setup) -> None:
    for _ in range(3):
        assert chat(setup.server, "wire/idle-close").status_code == 200
        time.sleep(0.2)  # the stub closes the idle connection after 50 ms


def test_stream_split_mid_line_with_crlf(setup: Setup) -> None:
    with httpx.stream(
        "POST",
        f"{setup.server.base_url}/v1/chat/completions",
        json={
            "model": "wire/split-sse",
            "messages": [{"role": "user", "content": "x"}],
            "stream": True,
        },
        timeout=10,
    ) as r:
        assert r.status_code == 200
        events = [line for line in r.iter_lines() if line]
    contents = [orjson.loads(e[6:])["choices"][0]["delta"]["content"] for e in events[:-1]]
    assert contents == ["t0", "t1", "t2"]
    assert events[-1] == "data: [DONE]"
    assert all(orjson.loads(e[6:])["model"] == "wire/split-sse" for e in events[:-1])


def test_tls_upstream_verified_with_cafile(setup: Setup) -> None:
    r = chat(setup.server, "tls/plain")
    assert r.status_code == 200 and r.json()["model"] == "tls/plain"
    refused = chat(setup.server, "untrusted/plain")
    assert refused.status_code == 502
    assert "cannot reach" in refused.json()["error"]["message"]
    assert chat(setup.server, "unverified/plain").status_code == 200


def test_api_key_with_a_newline_is_refused(setup: Setup) -> None:
    before = len(setup.plain.models)
    r = httpx.post(
        f"{setup.server.base_url}/v1/chat/completions",
        json={"model": "wire/plain", "messages": [{"role": "user", "content": "x"}]},
        headers={"X-LlamaStack-Provider-Data": '{"api_key": "k\\r\\nx-injected: 1"}'},
    )
    assert r.status_code == 400, r.text
    assert len(setup.plain.models) == before


async def test_pool_limit_queues_requests_and_bounds_the_wait() -> None:
    from corral.providers.openai_compat.transport import ConnectionPool, Origin

    with serve_stub() as (port, state):
        pool = ConnectionPool(
            Origin(f"http://127.0.0.1:{port}/v1", None), limit=1, connect_timeout=5, keepalive=30
        )
        body = orjson.dumps({"model": "plain"})
        request = (
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body)
        )

        async def one() -> bytes:
            return await (await pool.request(request)).read()

        answers = await asyncio.gather(*(one() for _ in range(5)))
        assert all(orjson.loads(a)["model"] == "plain" for a in answers)
        assert state.connections == 1  # one slot: the requests took turns on one connection
        held = await pool.request(request)  # keep the only slot busy
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            await pool.request(request, loop.time() + 0.1)
        held.release()
        assert orjson.loads(await one())["model"] == "plain"  # the slot was handed back
        await pool.close()


@pytest.mark.parametrize("stream", [False, True])
async def test_a_post_dropped_after_its_body_was_read_is_never_sent_again(stream: bool) -> None:
    """Retrying could run (and bill) the generation up to three times: one try, then 502."""
    from corral.errors import UpstreamError
    from corral.providers.openai_compat.client import ClientSettings, OpenAICompatClient

    body = {"model": "drop-after-body", "messages": [{"role": "user", "content": "x"}]}
    with serve_stub() as (port, state):
        client = OpenAICompatClient(
            ClientSettings(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, timeout=5)
        )
        try:
            with pytest.raises(UpstreamError):
                if stream:
                    await client.stream("/chat/completions", {**body, "stream": True})
                else:
                    await client.post_json("/chat/completions", body)
        finally:
            await client.close()
        assert state.models.count("drop-after-body") == 1


async def test_a_get_dropped_before_any_answer_is_retried() -> None:
    from corral.providers.openai_compat.client import ClientSettings, OpenAICompatClient

    with serve_stub() as (port, state):
        state.drop_gets = 2
        client = OpenAICompatClient(
            ClientSettings(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2, timeout=5)
        )
        try:
            listing = await client.get_json("/models")
        finally:
            await client.close()
        assert listing["data"][0]["id"] == "plain"
        assert state.models.count("models") == 3


async def test_a_refused_connection_is_retried_then_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing was sent when the connection could not be opened: trying again is safe."""
    import socket

    from corral.errors import UpstreamError
    from corral.providers.openai_compat import client as client_module

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts: list[float] = []
    real_backoff = client_module._backoff

    def counting_backoff(attempt: int) -> float:
        attempts.append(attempt)
        return real_backoff(attempt) / 100

    client = client_module.OpenAICompatClient(
        client_module.ClientSettings(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2)
    )
    monkeypatch.setattr(client_module, "_backoff", counting_backoff)
    try:
        with pytest.raises(UpstreamError, match="cannot reach"):
            await client.post_json("/chat/completions", {"model": "m", "messages": []})
    finally:
        await client.close()
    assert attempts == [1, 2]
