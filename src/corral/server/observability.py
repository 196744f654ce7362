"""Wiring of `telemetry:` into the app: metrics (`GET /metrics`), tracing, usage, the middleware.

`create_app` calls `observability(stack)` once; everything here is built at
startup, nothing per request. The usage recorder needs open storage, so it
starts and stops with the app's lifespan (`start`, `stop`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from corral.core.routers.inference import INFERENCE
from corral.core.stack import Stack
from corral.core.usage import UsageRecorder
from corral.observe.context import RequestRecord
from corral.observe.metrics import CONTENT_TYPE, Metrics
from corral.observe.tracing import Tracing, tracing_wanted
from corral.server.http import EndpointApp
from corral.server.middleware.observe import Finisher, ObserveMiddleware
from corral.server.routes.usage import USAGE_PATH, usage_endpoint
from corral.server.routing import RouteEntry

METRICS_PATH = "/metrics"
USAGE_TABLE = "corral_usage"


@dataclass
class Observability:
    """What the app needs from `telemetry:`."""

    metrics: Metrics | None
    #: Extra routes (``GET /metrics``, ``GET /v1alpha/usage``).
    routes: tuple[RouteEntry, ...]
    #: Paths served without authentication or quota (``/metrics`` when configured public).
    public_paths: frozenset[str]
    tracing: Tracing | None = None
    usage_on: bool = False
    usage: UsageRecorder | None = field(default=None, init=False)

    def wrap(self, app: ASGIApp, stack: Stack) -> ASGIApp:
        """`app` inside the observe middleware (the outermost one)."""
        telemetry = stack.loaded.run.telemetry
        auth_on = stack.auth_provider is not None
        finishers: tuple[Finisher, ...] = (self._count_usage,) if self.usage_on else ()
        return ObserveMiddleware(
            app, telemetry, self.metrics, auth_on, finishers, tracing=self.tracing
        )

    def _count_usage(self, record: RequestRecord, scope: Scope, status: int) -> None:
        if self.usage is None or record.model is None or status >= 400:
            return
        user = scope.get("user")
        principal = user.principal if user is not None else None
        self.usage.add(principal, record.model, record.input_tokens, record.output_tokens)

    async def start(self, stack: Stack) -> None:
        """Open the usage table (storage is open now)."""
        config = stack.loaded.run.telemetry.usage
        if self.usage_on:
            store, table = await stack.storage.sql_or_default(config.store, "usage", USAGE_TABLE)
            usage = UsageRecorder(store, table, config.flush_seconds)
            await usage.start()
            self.usage = usage

    async def stop(self) -> None:
        """Flush usage counts and pending spans."""
        if self.usage is not None:
            await self.usage.close()
            self.usage = None
        if self.tracing is not None:
            self.tracing.shutdown()


def observability(stack: Stack) -> Observability:
    """Metrics, tracing and usage as the run config's ``telemetry:`` asks."""
    telemetry = stack.loaded.run.telemetry
    tracing = None
    if tracing_wanted(telemetry, os.environ):
        tracing = Tracing(telemetry, os.environ)
    routes: list[RouteEntry] = []
    public: frozenset[str] = frozenset()
    metrics = None
    if telemetry.metrics.enabled:
        metrics = Metrics(telemetry.metrics, lambda: _gauges(stack))
        routes.append(RouteEntry("GET", METRICS_PATH, (), EndpointApp(_scrape(metrics))))
        if telemetry.metrics.public:
            public = frozenset({METRICS_PATH})
    observe = Observability(metrics, (), public, tracing, telemetry.usage.enabled)
    if telemetry.usage.enabled:
        endpoint = usage_endpoint(lambda: observe.usage, telemetry.usage.admin_role)
        routes.append(RouteEntry("GET", USAGE_PATH, (), EndpointApp(endpoint)))
    observe.routes = tuple(routes)
    return observe


def _scrape(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def scrape(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return scrape


def _gauges(stack: Stack) -> Iterable[tuple[str, str, float]]:
    """Queue depths read at scrape time."""
    router = stack.routers.get(INFERENCE)
    store = router.store if router is not None else None
    if store is not None:
        depth, dropped = store.queue_stats()
        yield (
            "corral_inference_store_queue_depth",
            "Chat completions waiting to be written to the inference store.",
            depth,
        )
        yield (
            "corral_inference_store_dropped_writes",
            "Chat completions not stored because the write queue was full (since start).",
            dropped,
        )
