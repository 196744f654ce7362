"""Wiring of `telemetry:` into the app: the metrics object, ``GET /metrics``, the middleware.

`create_app` calls `observability(stack)` once; everything here is built at
startup, nothing per request.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from corral.core.routers.inference import INFERENCE
from corral.core.stack import Stack
from corral.observe.metrics import CONTENT_TYPE, Metrics
from corral.observe.tracing import Tracing, tracing_wanted
from corral.server.http import EndpointApp
from corral.server.middleware.observe import ObserveMiddleware
from corral.server.routing import RouteEntry

METRICS_PATH = "/metrics"


@dataclass(frozen=True)
class Observability:
    """What the app needs from `telemetry:`."""

    metrics: Metrics | None
    #: Extra routes (``GET /metrics``).
    routes: tuple[RouteEntry, ...]
    #: Paths served without authentication or quota (``/metrics`` when configured public).
    public_paths: frozenset[str]
    tracing: Tracing | None = None

    def wrap(self, app: ASGIApp, stack: Stack) -> ASGIApp:
        """`app` inside the observe middleware (the outermost one)."""
        telemetry = stack.loaded.run.telemetry
        auth_on = stack.auth_provider is not None
        return ObserveMiddleware(app, telemetry, self.metrics, auth_on, tracing=self.tracing)


def observability(stack: Stack) -> Observability:
    """Metrics (when enabled) and their route, and tracing, from the run config's ``telemetry:``."""
    telemetry = stack.loaded.run.telemetry
    tracing = None
    if tracing_wanted(telemetry, os.environ):
        tracing = Tracing(telemetry, os.environ)
    config = telemetry.metrics
    if not config.enabled:
        return Observability(None, (), frozenset(), tracing)
    metrics = Metrics(config, lambda: _gauges(stack))

    async def scrape(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    route = RouteEntry("GET", METRICS_PATH, (), EndpointApp(scrape))
    public = frozenset({METRICS_PATH}) if config.public else frozenset()
    return Observability(metrics, (route,), public, tracing)


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
