"""`OpenAICompatClient`: one pooled aiohttp session to one OpenAI-compatible upstream.

Responsibilities: keep-alive connection pool, TLS context created once,
timeouts, bounded retries with backoff (connect errors, 429 and 503, only
before any byte of a response was used), streaming SSE pass-through without
re-serialising, and turning upstream failures into corral errors at this edge
(R4): the upstream's status and ``retry-after`` are kept as fields and corral
picks its own status, so an upstream 401 is never the client's 401.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from corral.errors import (
    CorralError,
    InvalidRequest,
    NotFound,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
)

log = logging.getLogger("corral.upstream")

_RETRY_STATUSES = frozenset({429, 503})
_DONE = b"[DONE]"


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
    name: str = "upstream"


class OpenAICompatClient:
    """Pooled HTTP client for ``{base_url}/chat/completions`` and friends."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"content-type": "application/json", "accept": "application/json"}
        self._auth_header = f"Bearer {settings.api_key}" if settings.api_key else None
        self._urls: dict[str, URL] = {}
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, connect=settings.connect_timeout, sock_read=settings.timeout
        )

    def _ssl(self) -> ssl.SSLContext | bool:
        if not self.settings.verify_tls:
            return False
        return ssl.create_default_context(cafile=self.settings.tls_cafile)

    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use inside the running loop."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.settings.pool_size,
                ssl=self._ssl() if self._base.startswith("https") else False,
                keepalive_timeout=30,
            )
            # A total deadline for plain requests (cheaper than per-read timers);
            # streams override it with a per-read timeout so long generations live.
            timeout = aiohttp.ClientTimeout(
                total=self.settings.timeout, connect=self.settings.connect_timeout
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                json_serialize=lambda o: orjson.dumps(o).decode(),
            )
        return self._session

    async def close(self) -> None:
        """Close the pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _request_headers(self, api_key: str | None) -> dict[str, str]:
        headers = dict(self._headers)
        auth = f"Bearer {api_key}" if api_key else self._auth_header
        if auth:
            headers["authorization"] = auth
        return headers

    async def post_json(
        self, path: str, body: Mapping[str, Any], api_key: str | None = None
    ) -> Any:
        """POST a JSON body and return the parsed JSON answer."""
        resp = await self._send("POST", path, orjson.dumps(body), api_key)
        try:
            data = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(exc) from exc
        finally:
            resp.release()
        return self._parse(data)

    async def get_json(self, path: str, api_key: str | None = None) -> Any:
        """GET and return the parsed JSON answer."""
        resp = await self._send("GET", path, None, api_key)
        try:
            data = await resp.read()
        finally:
            resp.release()
        return self._parse(data)

    async def stream(
        self, path: str, body: Mapping[str, Any], api_key: str | None = None
    ) -> AsyncIterator[bytes]:
        """POST a streaming request; errors before the first chunk raise here, not later.

        Returns an iterator of the ``data:`` payloads (JSON bytes, unparsed).
        Closing the iterator closes the upstream connection, which cancels the
        upstream generation.
        """
        resp = await self._send("POST", path, orjson.dumps(body), api_key, self._stream_timeout)
        if resp.content_type != "text/event-stream":
            resp.release()
            raise UpstreamError(
                f"{self.settings.name} answered a streaming request with {resp.content_type}, "
                "not an event stream",
                code="upstream_bad_response",
            )
        return self._events(resp)

    async def _events(self, resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        finished = False
        try:
            async for raw in resp.content:
                line = raw.strip()
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == _DONE:
                    finished = True
                    return
                yield payload
            finished = True
            raise UpstreamError(
                f"{self.settings.name} closed the stream without [DONE]", code="upstream_truncated"
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(exc) from exc
        finally:
            if finished:
                resp.release()
            else:
                resp.close()  # abort: the upstream sees the disconnect and stops generating

    async def _send(
        self,
        method: str,
        path: str,
        data: bytes | None,
        api_key: str | None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> aiohttp.ClientResponse:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = URL(self._base + path)
        headers = self._request_headers(api_key)
        attempt = 0
        while True:
            try:
                if timeout is None:
                    resp = await self.session().request(method, url, data=data, headers=headers)
                else:
                    resp = await self.session().request(
                        method, url, data=data, headers=headers, timeout=timeout
                    )
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                if attempt < self.settings.max_retries and _retryable_connect(exc):
                    attempt += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                raise self._transport_error(exc) from exc
            if resp.status < 400:
                return resp
            if resp.status in _RETRY_STATUSES and attempt < self.settings.max_retries:
                delay = _retry_after(resp.headers) or _backoff(attempt + 1)
                resp.release()
                if delay <= 5:
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
            raise await self._status_error(resp)

    async def _status_error(self, resp: aiohttp.ClientResponse) -> CorralError:
        try:
            body = await resp.read()
        except aiohttp.ClientError:
            body = b""
        finally:
            resp.release()
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

    def _transport_error(self, exc: BaseException) -> CorralError:
        if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
            return UpstreamTimeout(f"{self.settings.name} did not answer in time")
        return UpstreamError(f"cannot reach {self.settings.name}: {exc.__class__.__name__}: {exc}")

    def _parse(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                f"{self.settings.name} answered with invalid JSON", code="upstream_bad_response"
            ) from None


def _retryable_connect(exc: BaseException) -> bool:
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError)


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
