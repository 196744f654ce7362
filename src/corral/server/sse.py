"""Server-sent events for streamed completions.

The first chunk is awaited before the response starts, so an upstream error
that happens before any output still becomes a proper HTTP status. After that,
a failure ends the stream with an error event; a client that disconnects
closes the chunk iterator, which closes the upstream request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse

from corral.server.errors import sse_error_event

log = logging.getLogger("corral.server")

DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def sse_response(chunks: AsyncIterator[bytes]) -> Response:
    """A streaming response framing each chunk as ``data: <json>``."""
    try:
        first: bytes | None = await anext(chunks)
    except StopAsyncIteration:
        first = None
    except BaseException:
        await _close(chunks)
        raise
    return StreamingResponse(
        _framed(first, chunks), media_type="text/event-stream", headers=SSE_HEADERS
    )


async def _framed(first: bytes | None, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        if first is not None:
            yield b"data: " + first + b"\n\n"
            async for chunk in chunks:
                yield b"data: " + chunk + b"\n\n"
        yield DONE
    except Exception as exc:
        yield sse_error_event(exc)
    finally:
        await _close(chunks)


async def _close(chunks: AsyncIterator[bytes]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()
