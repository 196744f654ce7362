"""What the inference router tells the request's record: model, provider, timings, tokens.

A few field writes per call on the `RequestRecord` the observe middleware
created (`corral.observe.context`); the middleware turns them into metrics,
the access log and usage counts when the request ends. Outside an HTTP request
(a batch line, a test calling the router) there is no record and nothing is done.

Streams: corral asks the upstream for the final usage chunk
(``stream_options.include_usage``) even when the client did not, so streamed
tokens are counted too; that chunk is then not passed on to such a client.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from corral.apis.inference.api import ChunkStream
from corral.core.routing_tables.models import RoutedModel
from corral.observe.context import CURRENT, RequestRecord, request_id_header

_USAGE_KEYS = (b'"usage":{', b'"usage": {')


@dataclass(slots=True)
class Observed:
    """One provider call of the current request (None fields outside a request)."""

    record: RequestRecord | None
    started: float
    #: True when corral added ``include_usage`` itself: the usage-only chunk is not forwarded.
    hidden_usage: bool
    #: The model call's CLIENT span, when tracing is on.
    span: Any = None


def want_usage(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`body` asking a stream for its usage chunk, and whether the client did not ask itself."""
    if body.get("stream") is not True or CURRENT.get() is None:
        return body, False
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        return body, False
    extra = dict(options) if isinstance(options, dict) else {}
    extra["include_usage"] = True
    return {**body, "stream_options": extra}, True


def begin_call(routed: RoutedModel, operation: str, hidden_usage: bool) -> Observed:
    """Note the model and provider of a call about to start."""
    record = CURRENT.get()
    if record is None:
        return Observed(None, time.perf_counter(), hidden_usage)
    record.model = routed.target.identifier
    record.provider = routed.resource.provider_id
    record.operation = operation
    span = None
    if record.span is not None:
        span = _start_span(record, routed, operation)
    return Observed(record, time.perf_counter(), hidden_usage, span)


def _start_span(record: RequestRecord, routed: RoutedModel, operation: str) -> Any:
    """The model call's span; the upstream is sent its traceparent (and the request id)."""
    parent = record.stage or record.span
    span = record.tracing.start_child(
        f"{operation} {routed.target.identifier}", parent, client=True
    )
    span.set_attribute("gen_ai.operation.name", operation)
    span.set_attribute("gen_ai.request.model", routed.target.identifier)
    span.set_attribute("gen_ai.provider.name", routed.resource.provider_id)
    record.outbound = request_id_header(record) + record.tracing.traceparent(span)
    return span


def _end_span(seen: Observed, result: dict[str, Any] | None, failed: bool) -> None:
    span, record = seen.span, seen.record
    assert record is not None
    if result is not None:
        if isinstance(result.get("model"), str):
            span.set_attribute("gen_ai.response.model", result["model"])
        reasons = [
            c.get("finish_reason") for c in result.get("choices") or () if isinstance(c, dict)
        ]
        if any(isinstance(r, str) for r in reasons):
            span.set_attribute("gen_ai.response.finish_reasons", [str(r) for r in reasons if r])
    span.set_attribute("gen_ai.usage.input_tokens", record.input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", record.output_tokens)
    if failed:
        span.set_attribute("error.type", record.error_code or "error")
    span.end()
    record.outbound = request_id_header(record)


def end_call(seen: Observed, result: dict[str, Any] | None) -> None:
    """A non-streamed call ended (`result` None: it failed)."""
    record = seen.record
    if record is None:
        return
    record.upstream_seconds = (record.upstream_seconds or 0.0) + time.perf_counter() - seen.started
    if result is not None:
        record.add_usage(result.get("usage"))
    if seen.span is not None:
        _end_span(seen, result, result is None)


async def observed_stream(chunks: ChunkStream, seen: Observed) -> AsyncIterator[bytes]:
    """`chunks` passed through, timing the first and later chunks and reading the usage chunk."""
    record = seen.record
    if record is None:
        async for chunk in chunks:
            yield chunk
        return
    first = last = 0.0
    count = 0
    try:
        async for chunk in chunks:
            now = time.perf_counter()
            if count == 0:
                first = now
            last = now
            count += 1
            if _has_usage(chunk):
                data = _parsed(chunk)
                record.add_usage(data.get("usage"))
                if seen.hidden_usage and not data.get("choices"):
                    continue
            yield chunk
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
        _stream_timings(record, seen.started, first, last, count)
        if seen.span is not None:
            _end_span(seen, None, False)


def _parsed(chunk: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(chunk)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _has_usage(chunk: bytes) -> bool:
    return any(key in chunk for key in _USAGE_KEYS)


def _stream_timings(
    record: RequestRecord, started: float, first: float, last: float, count: int
) -> None:
    end = time.perf_counter()
    record.upstream_seconds = (record.upstream_seconds or 0.0) + end - started
    if count:
        record.time_to_first_token = first - record.start
    if count > 1:
        record.time_per_output_token = (last - first) / (count - 1)
