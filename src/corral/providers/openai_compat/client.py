"""`OpenAICompatClient`: one pooled aiohttp session to one OpenAI-compatible upstream.

Responsibilities: keep-alive connection pool, TLS context created once,
timeouts, bounded retries with backoff, streaming SSE pass-through without
re-serialising, and turning upstream failures into corral errors at this edge
(R4): the upstream's status and ``retry-after`` are kept as fields and corral
picks its own status, so an upstream 401 is never the client's 401.

Retries never run a generation twice. A request is sent again only when the
upstream provably did not get it (no connection could be opened, or the pooled
connection was found closed before anything was written: RFC 9112 §9.3.1), when
it answered 429 or 503 (it refused the work), or, for a GET, when the
connection dropped before any byte of an answer. A POST whose connection drops
after it was written is a 502: the upstream may be generating, and paying, for it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from corral import __version__
from corral.errors import (
    ConcurrencyLimited,
    CorralError,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from corral.observe.context import outbound_headers
from corral.providers.openai_compat.transport import (
    ConnectionDropped,
    ConnectionPool,
    Origin,
    PoolBusy,
    RequestNotSent,
    Response,
)

log = logging.getLogger("corral.upstream")

_RETRY_STATUSES = frozenset({429, 503})
_DONE = b"[DONE]"
_BAD_HEADER_CHARS = frozenset("\r\n\0")
KEEPALIVE_S = 30.0


@dataclass(frozen=True)
class ClientSettings:
    """How to reach one upstream."""

    base_url: str
    api_key: str | None = None
    timeout: float = 120.0
    connect_timeout: float = 10.0
    max_retries: int = 2
    verify_tls: bool = True
    tls_cafile: str | None = None
    pool_size: int = 256
    #: Longest wait for a free pool slot before 503 (None: wait up to `timeout`).
    pool_timeout: float | None = None
    #: Most slots one principal may hold at once (None: no cap).
    max_concurrent_per_principal: int | None = None
    name: str = "upstream"
    #: Extra headers sent with every request (``network.headers``).
    headers: tuple[tuple[str, str], ...] = ()


class OpenAICompatClient:
    """Pooled HTTP client for ``{base_url}/chat/completions`` and friends.

    Request heads are assembled from bytes prepared here once (host, user agent,
    content type, the configured key); a request is one write on a pooled
    connection (see `transport`).
    """

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._origin = Origin(settings.base_url, self._ssl())
        self._pool: ConnectionPool | None = None
        self._common = (
            b"host: " + self._origin.host_header + b"\r\n"
            b"user-agent: corral/" + __version__.encode() + b"\r\n"
            b"accept-encoding: identity\r\n"
        ) + b"".join(f"{k}: {v}\r\n".encode() for k, v in settings.headers)
        self._auth = _auth_header(settings.api_key) if settings.api_key else b""

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.settings.base_url.startswith("https"):
            return None
        if not self.settings.verify_tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.settings.tls_cafile)

    def pool(self) -> ConnectionPool:
        """The shared connection pool, created on first use inside the running loop."""
        if self._pool is None:
            self._pool = ConnectionPool(
                self._origin,
                limit=self.settings.pool_size,
                connect_timeout=self.settings.connect_timeout,
                keepalive=KEEPALIVE_S,
                queue_timeout=self.settings.pool_timeout,
                per_principal=self.settings.max_concurrent_per_principal,
            )
        return self._pool

    async def close(self) -> None:
        """Close the pool."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _request(self, method: bytes, path: str, body: bytes | None, api_key: str | None) -> bytes:
        """One complete HTTP/1.1 request (head and body) as bytes."""
        target = (self._origin.path_prefix + path).encode()
        auth = _auth_header(api_key) if api_key else self._auth
        # outbound_headers: the request's X-Request-ID (and traceparent when tracing).
        head = b"%s %s HTTP/1.1\r\n%s%s%s" % (
            method,
            target,
            self._common,
            auth,
            outbound_headers(),
        )
        if body is None:
            return head + b"accept: application/json\r\n\r\n"
        return (
            b"%saccept: application/json\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (head, len(body), body)
        )

    async def post_json(
        self,
        path: str,
        body: Mapping[str, Any],
        api_key: str | None = None,
        principal: str | None = None,
    ) -> Any:
        """POST a JSON body and return the parsed JSON answer."""
        request = self._request(b"POST", path, orjson.dumps(body), api_key)
        _, data = await self._answer(request, stream=False, idempotent=False, principal=principal)
        return self._parse(data)

    async def get_json(self, path: str, api_key: str | None = None) -> Any:
        """GET and return the parsed JSON answer."""
        request = self._request(b"GET", path, None, api_key)
        _, data = await self._answer(request, stream=False, idempotent=True)
        return self._parse(data)

    async def stream(
        self,
        path: str,
        body: Mapping[str, Any],
        api_key: str | None = None,
        principal: str | None = None,
    ) -> AsyncIterator[bytes]:
        """POST a streaming request; errors before the first chunk raise here, not later.

        Returns an iterator of the ``data:`` payloads (JSON bytes, unparsed).
        Closing the iterator closes the upstream connection, which cancels the
        upstream generation. Each wait for upstream bytes is bounded by the timeout.
        """
        request = self._request(b"POST", path, orjson.dumps(body), api_key)
        resp, _ = await self._answer(request, stream=True, idempotent=False, principal=principal)
        if resp.content_type != "text/event-stream":
            resp.close()
            raise UpstreamError(
                f"{self.settings.name} answered a streaming request with {resp.content_type}, "
                "not an event stream",
                code="upstream_bad_response",
            )
        return EventStream(resp, self.settings.timeout, self)

    async def _answer(
        self, request: bytes, *, stream: bool, idempotent: bool, principal: str | None = None
    ) -> tuple[Response, bytes]:
        """A successful response to `request`, retried as ``max_retries`` allows (module doc).

        A plain call's attempt (connect, send, whole body) has one deadline; a
        stream's head and each later read have their own. Deadlines are checked
        by the connection's own waits (one timer each) rather than an
        ``asyncio.timeout`` block: profiled, that block cost ~4% of a request.
        Errors become corral errors here; a stream's body is left unread.
        """
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            deadline = loop.time() + self.settings.timeout
            try:
                resp = await self.pool().request(request, deadline, principal)
                if stream and resp.status < 400:
                    return resp, b""
                body = await resp.read(loop.time() + self.settings.timeout if stream else deadline)
            except PoolBusy as exc:
                raise self.busy_error(exc) from None
            except (TimeoutError, OSError) as exc:
                if attempt < self.settings.max_retries and _unsent(exc, idempotent):
                    attempt += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                raise self.transport_error(exc) from exc
            if resp.status < 400:
                return resp, body
            delay = self._retry_delay(resp, attempt)
            if delay is None:
                raise self._status_error(resp, body)
            attempt += 1
            await asyncio.sleep(delay)

    def _retry_delay(self, resp: Response, attempt: int) -> float | None:
        """Seconds to wait before retrying a 429/503, or None to give up."""
        if resp.status not in _RETRY_STATUSES or attempt >= self.settings.max_retries:
            return None
        delay = _retry_after(resp.headers) or _backoff(attempt + 1)
        return delay if delay <= 5 else None

    def _status_error(self, resp: Response, body: bytes) -> CorralError:
        message = _upstream_message(body) or resp.reason or "error"
        status = resp.status
        prefix = f"{self.settings.name} returned {status}: {message}"
        if status == 429:
            retry = _retry_after(resp.headers)
            headers = {"Retry-After": str(int(retry) if retry else 1)}
            return UpstreamRateLimited(prefix, upstream_status=status, headers=headers)
        if status in (401, 403):
            return UpstreamError(
                f"{self.settings.name} rejected corral's credentials ({status}); check the "
                "provider's api_key",
                upstream_status=status,
                code="upstream_auth_failed",
            )
        if status == 404:
            return NotFound(prefix, code="upstream_not_found")
        if 400 <= status < 500:
            return InvalidRequest(message, code="upstream_invalid_request")
        return UpstreamError(prefix, upstream_status=status)

    def busy_error(self, exc: PoolBusy) -> CorralError:
        """429 when the caller holds its share of the pool, else 503: come back shortly."""
        if exc.principal_cap:
            return ConcurrencyLimited(f"{exc} ({self.settings.name}); retry when one finishes")
        return ServiceUnavailable(
            f"{self.settings.name} is busy: {exc}; try again shortly",
            retry_after=1,
            code="upstream_busy",
        )

    def transport_error(self, exc: BaseException) -> CorralError:
        """The corral error for a timeout or a failed connection."""
        if isinstance(exc, TimeoutError):
            return UpstreamTimeout(f"{self.settings.name} did not answer in time")
        return UpstreamError(f"cannot reach {self.settings.name}: {exc.__class__.__name__}: {exc}")

    def _parse(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                f"{self.settings.name} answered with invalid JSON", code="upstream_bad_response"
            ) from None


class EventStream:
    """The ``data:`` payloads of an upstream event stream, until ``[DONE]``.

    An async iterator with `aclose`: closing before the end closes the upstream
    connection (the upstream stops generating); reaching ``[DONE]`` returns the
    connection to the pool.
    """

    def __init__(self, resp: Response, timeout: float, client: OpenAICompatClient) -> None:
        self._resp = resp
        self._client = client
        self._chunks = resp.chunks(timeout)
        self._ready: list[bytes] = []
        self._partial = b""
        self._done = False

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> bytes:
        while not self._ready:
            if self._done:
                raise StopAsyncIteration
            await self._more()
        return self._ready.pop(0)

    async def _more(self) -> None:
        try:
            data = await anext(self._chunks)
        except StopAsyncIteration:
            self._done = True
            self._resp.release()
            raise UpstreamError(
                f"{self._client.settings.name} closed the stream without [DONE]",
                code="upstream_truncated",
            ) from None
        except (TimeoutError, OSError) as exc:
            self._done = True
            self._resp.close()
            raise self._client.transport_error(exc) from exc
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == _DONE:
                self._done = True
                self._resp.release()
                return
            self._ready.append(payload)

    async def aclose(self) -> None:
        """Stop early: the upstream connection is closed (released when the stream ended)."""
        if not self._done:
            self._done = True
            self._resp.close()
        await self._chunks.aclose()


def _auth_header(api_key: str) -> bytes:
    if not _BAD_HEADER_CHARS.isdisjoint(api_key):
        raise InvalidRequest("the API key contains characters not allowed in an HTTP header")
    return b"authorization: Bearer " + api_key.encode("latin-1", "replace") + b"\r\n"


def _unsent(exc: BaseException, idempotent: bool) -> bool:
    """True when sending the request again cannot make the upstream do its work twice."""
    if isinstance(exc, RequestNotSent):
        return True
    return idempotent and isinstance(exc, ConnectionDropped) and not exc.answered


def _backoff(attempt: int) -> float:
    return float(0.1 * 2 ** (attempt - 1))


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _upstream_message(body: bytes) -> str | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        return text[:500] or None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if isinstance(data.get("detail"), str):
            return str(data["detail"])
        if isinstance(data.get("message"), str):
            return str(data["message"])
    return None
