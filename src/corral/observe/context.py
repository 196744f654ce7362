"""The current request's record: its id, and what the layers below learn about it.

`ObserveMiddleware` (server) creates one `RequestRecord` per HTTP request and
sets it in `CURRENT` (a context variable, so it follows the request into the
tasks it starts and nowhere else). The layers below write facts into it as they
learn them (the routed model and provider, token usage, time to first token,
the error the request ended with); the middleware turns the finished record
into metrics, an access-log line and usage counts once, after the response is
sent. Writing a field is the whole per-request cost for those layers.
"""

from __future__ import annotations

import hashlib
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: A client's X-Request-ID is kept only when it is this harmless (no header or log injection).
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


@dataclass(slots=True)
class RequestRecord:
    """What one request did; written by whichever layer knows, read when it ends."""

    request_id: str
    #: ``time.perf_counter()`` when the request arrived.
    start: float
    #: Header lines added to every upstream request made for this one (id, traceparent).
    outbound: bytes = b""
    model: str | None = None
    provider: str | None = None
    operation: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    #: Seconds spent in upstream/provider calls (a stream: until its last chunk).
    upstream_seconds: float | None = None
    time_to_first_token: float | None = None
    time_per_output_token: float | None = None
    error_type: str | None = None
    error_code: str | None = None
    #: The app's `corral.observe.tracing.Tracing` and the request's span, when tracing is on.
    tracing: Any = None
    span: Any = None
    #: The open stage span (auth, quota, handler...), under `span`.
    stage: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_usage(self, usage: Any) -> None:
        """Add an OpenAI ``usage`` object's tokens (chat, completions and embeddings shapes)."""
        if not isinstance(usage, dict):
            return
        prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
        completion = usage.get("completion_tokens", usage.get("output_tokens"))
        if isinstance(prompt, int):
            self.input_tokens += prompt
        if isinstance(completion, int):
            self.output_tokens += completion


CURRENT: ContextVar[RequestRecord | None] = ContextVar("corral_request", default=None)


def current() -> RequestRecord | None:
    """The record of the request being served, or None outside a request."""
    return CURRENT.get()


def outbound_headers() -> bytes:
    """Raw header lines (CRLF-terminated) to add to an upstream request made now."""
    record = CURRENT.get()
    return b"" if record is None else record.outbound


def request_id_header(record: RequestRecord) -> bytes:
    """The X-Request-ID header line sent upstream for `record`."""
    return b"x-request-id: " + record.request_id.encode("ascii") + b"\r\n"


def new_request_id() -> str:
    """A fresh random id (128 bits, hex)."""
    return os.urandom(16).hex()


def acceptable_request_id(value: bytes) -> str | None:
    """`value` as an id when it is short and plain enough to echo, log and forward."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if _VALID_ID.fullmatch(text) else None


def principal_hash(principal: str) -> str:
    """A short, stable, non-reversible label for a principal (logs and metric labels)."""
    return hashlib.sha256(principal.encode()).hexdigest()[:12]
