"""The outermost middleware: request id, then metrics, access log and usage once the request ends.

Every HTTP request gets a `RequestRecord` (`corral.observe.context`) with an
id: the client's ``X-Request-ID`` when the client's address is in
``telemetry.request_id.trusted_clients`` and the id is plain (letters, digits,
``._:-``, at most 128), else a fresh one. The id is returned in the
``X-Request-ID`` response header, stamped on every log line and error body, and
sent upstream. When the request has ended (its last body byte sent, so the
client is not waiting on this), its record becomes metrics, an access-log line
and a usage count.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from corral.config.telemetry import TelemetryConfig
from corral.observe.context import (
    CURRENT,
    RequestRecord,
    acceptable_request_id,
    new_request_id,
    principal_hash,
    request_id_header,
)
from corral.observe.logs import ACCESS_LOGGER
from corral.observe.metrics import Metrics
from corral.observe.tracing import Tracing

access_log = logging.getLogger(ACCESS_LOGGER)

#: Called with every finished request (usage accounting, tracing).
Finisher = Callable[[RequestRecord, Scope, int], None]


class ObserveMiddleware:
    """Request ids, metrics, the access log and the per-request hooks."""

    def __init__(
        self,
        app: ASGIApp,
        telemetry: TelemetryConfig,
        metrics: Metrics | None,
        auth_on: bool,
        finishers: tuple[Finisher, ...] = (),
        tracing: Tracing | None = None,
    ) -> None:
        self.app = app
        self.tracing = tracing
        self.metrics = metrics
        self.auth_on = auth_on
        self.access_log = telemetry.access_log.enabled
        self.finishers = finishers
        self.trusted = [
            ipaddress.ip_network(n, strict=False) for n in telemetry.request_id.trusted_clients
        ]
        self.principal_label = telemetry.metrics.principal_label

    def _request_id(self, scope: Scope) -> str:
        if self.trusted:
            for name, value in scope["headers"]:
                if name == b"x-request-id":
                    given = acceptable_request_id(value)
                    if given is not None and self._trusted(scope):
                        return given
                    break
        return new_request_id()

    def _trusted(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request inside its record."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(self._request_id(scope), time.perf_counter())
        record.outbound = request_id_header(record)
        if self.tracing is not None:
            self._start_trace(record, scope)
        id_header = (b"x-request-id", record.request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        token = CURRENT.set(record)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT.reset(token)
            self._finish(record, scope, status)

    def _start_trace(self, record: RequestRecord, scope: Scope) -> None:
        assert self.tracing is not None
        parent = state = None
        for name, value in scope["headers"]:
            if name == b"traceparent":
                parent = value.decode("latin-1")
            elif name == b"tracestate":
                state = value.decode("latin-1")
        if not self.tracing.wanted(parent):
            return
        record.tracing = self.tracing
        record.span = self.tracing.start_request(scope["method"], parent, state)

    def _finish(self, record: RequestRecord, scope: Scope, status: int) -> None:
        seconds = time.perf_counter() - record.start
        match = scope.get("corral.route")
        route = (match.template if match is not None else None) or "unmatched"
        if record.span is not None:
            _end_trace(record, scope["method"], route, status)
        user = scope.get("user")
        if user is not None and self.principal_label:
            record.extra["principal"] = user.principal
        if self.metrics is not None:
            self.metrics.observe_request(record, route, scope["method"], status, seconds)
            if self.auth_on:
                self.metrics.auth_outcome(_auth_outcome(scope, record))
            if "corral.quota_client" in scope:
                self.metrics.quota_decision(_quota_decision(record))
        if self.access_log:
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                route,
                status,
                seconds * 1000,
                extra=_access_fields(record, scope, route, status, seconds, user),
            )
        for finish in self.finishers:
            finish(record, scope, status)


def _end_trace(record: RequestRecord, method: str, route: str, status: int) -> None:
    span = record.span
    if record.stage is not None:
        record.stage.end()
        record.stage = None
    span.update_name(f"{method} {route}")
    attributes: dict[str, Any] = {
        "http.route": route,
        "http.response.status_code": status,
        "corral.request_id": record.request_id,
    }
    if record.model is not None:
        attributes["gen_ai.request.model"] = record.model
    if record.error_type is not None:
        attributes["error.type"] = record.error_code or record.error_type
    span.set_attributes(attributes)
    if status >= 500:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR))
    span.end()


def _auth_outcome(scope: Scope, record: RequestRecord) -> str:
    if "auth_token_hash" in scope:
        return "success"
    if record.error_type == "authentication_error":
        return "failure"
    if record.error_code == "identity_provider_unavailable":
        return "unavailable"
    if "user" in scope:
        return "public"
    return "not_reached"


def _quota_decision(record: RequestRecord) -> str:
    if record.error_code == "quota_exceeded":
        return "rejected"
    if record.error_code == "quota_store_unavailable":
        return "store_error"
    return "admitted"


def _access_fields(
    record: RequestRecord, scope: Scope, route: str, status: int, seconds: float, user: Any
) -> dict[str, Any]:
    return {
        "request_id": record.request_id,
        "method": scope["method"],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "model": record.model,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "principal_hash": principal_hash(user.principal) if user is not None else None,
        "error_code": record.error_code,
    }
