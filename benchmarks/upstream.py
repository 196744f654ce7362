"""A very fast loopback fake of an OpenAI-compatible upstream (and a custom auth endpoint).

Raw asyncio protocol on uvloop with precomputed responses: chat completions
(JSON, or 20 SSE chunks when the body contains ``"stream":true``) and
embeddings. Every completion gets its own id (as real upstreams do, so the
servers' inference stores really write a row per request). It does just enough HTTP/1.1 (keep-alive, Content-Length bodies)
for wrk and corral's client. Usage: ``python benchmarks/upstream.py PORT``.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

ID_PLACEHOLDER = b"chatcmpl-0000000000000000"

CHAT = orjson.dumps(
    {
        "id": ID_PLACEHOLDER.decode(),
        "object": "chat.completion",
        "created": 1700000000,
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }
)
EMBED = orjson.dumps(
    {
        "object": "list",
        "model": "bench-embed",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
        "data": [{"object": "embedding", "index": 0, "embedding": [0.01 * i for i in range(384)]}],
    }
)
VALIDATE = orjson.dumps(
    {"access_attributes": {"roles": ["bench"]}, "principal": "bench", "message": "ok"}
)
MODELS = orjson.dumps(
    {"object": "list", "data": [{"id": "bench-model", "object": "model", "owned_by": "x"}]}
)


def _response(body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: keep-alive\r\n\r\n"
        + body
    )


def _stream_response() -> bytes:
    events = []
    for i in range(20):
        chunk = orjson.dumps(
            {
                "id": ID_PLACEHOLDER.decode(),
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": "bench-model",
                "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}],
            }
        )
        events.append(b"data: " + chunk + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    body = b"".join(events)
    return _response(body, b"text/event-stream")


RESPONSES = {
    b"/v1/chat/completions": _response(CHAT),
    b"/v1/embeddings": _response(EMBED),
    b"/v1/models": _response(MODELS),
    b"/validate": _response(VALIDATE),  # a `custom` auth endpoint that accepts every token
}
STREAM = _stream_response()


class FakeUpstream(asyncio.Protocol):
    """One connection: parse requests, answer with precomputed bytes."""

    served = 0  # completions answered, for unique ids

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            lower = head.lower()
            pos = lower.find(b"content-length:")
            if pos >= 0:
                line_end = lower.find(b"\r\n", pos)
                length = int(lower[pos + 15 : line_end if line_end > 0 else None].strip())
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            path = head.split(b" ", 2)[1]
            if b'"stream":true' in body or b'"stream": true' in body:
                answer = STREAM
            else:
                answer = RESPONSES.get(path, RESPONSES[b"/v1/chat/completions"])
            if ID_PLACEHOLDER in answer:
                FakeUpstream.served += 1
                answer = answer.replace(ID_PLACEHOLDER, b"chatcmpl-%016d" % FakeUpstream.served)
            self.transport.write(answer)  # type: ignore[attr-defined]


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FakeUpstream, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))
