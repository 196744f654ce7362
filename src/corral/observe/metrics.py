"""Prometheus metrics, named after the OpenTelemetry semantic conventions where they exist.

One `Metrics` per app (no module-level registry, so two apps in one process
never share counts). Everything a request contributes is observed once, when
it ends, from its `RequestRecord` (`observe_request`). Labelled children are
cached by label tuple, so a request costs a few dict lookups and lock-guarded
additions.

With ``server.workers > 1`` the worker processes share a directory
(``PROMETHEUS_MULTIPROC_DIR``, set by `corral.server.serve` before the workers
start): each worker writes its values there and a scrape, answered by any
worker, merges them all. Values read at scrape time (`gauges`) are then those
of the worker that answered.

Label sets are bounded: routes are templates (``/v1/files/{file_id}``), models
are registered identifiers (a request for an unknown model has no model label),
statuses are classes, errors are (type, code) from corral's own hierarchy, and
principals appear only hashed and only when ``telemetry.metrics.principal_label``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from corral.config.telemetry import MetricsConfig
from corral.observe.context import RequestRecord, principal_hash

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Bucket boundaries from the GenAI semantic conventions.
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                     40.96, 81.92)  # fmt: skip
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)
_TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
                 5.0, 7.5, 10.0)  # fmt: skip
_TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                 10.0, 30.0, 60.0)  # fmt: skip
_STATUS_CLASS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

#: (metric name, help, value) triples read at scrape time (queue depths and the like).
GaugeSource = Callable[[], Iterable[tuple[str, str, float]]]


class Metrics:
    """The metric families and the one per-request entry point."""

    def __init__(self, config: MetricsConfig, gauges: GaugeSource | None = None) -> None:
        self.config = config
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = CollectorRegistry(auto_describe=False)
        # In multiprocess mode values live in files and the scrape registry only reads them.
        owner = None if self.multiprocess else self.registry
        self._cache: dict[tuple[Any, ...], Any] = {}
        self.http_duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP requests, by route template, method, status class and model.",
            [
                "http_route",
                "http_request_method",
                "http_response_status_class",
                "gen_ai_request_model",
            ],  # fmt: skip
            buckets=_HTTP_BUCKETS,
            registry=owner,
        )
        model_labels = ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model"]
        self.operation_duration = Histogram(
            "gen_ai_client_operation_duration_seconds",
            "Duration of calls to model providers (a stream: until its last chunk).",
            [*model_labels, "error_type"],
            buckets=_DURATION_BUCKETS,
            registry=owner,
        )
        self.token_usage = Histogram(
            "gen_ai_client_token_usage",
            "Tokens per request, by token type (input/output), as the provider reported them.",
            [*model_labels, "gen_ai_token_type"],
            buckets=_TOKEN_BUCKETS,
            registry=owner,
        )
        self.ttft = Histogram(
            "gen_ai_server_time_to_first_token_seconds",
            "Time from the request to the first chunk of a streamed answer.",
            model_labels,
            buckets=_TTFT_BUCKETS,
            registry=owner,
        )
        self.tpot = Histogram(
            "gen_ai_server_time_per_output_token_seconds",
            "Mean time between chunks of a streamed answer, after the first.",
            model_labels,
            buckets=_TPOT_BUCKETS,
            registry=owner,
        )
        self.quota = Counter(
            "corral_quota_decisions",
            "Quota decisions: admitted, rejected (429) or store_error (the store could not say).",
            ["decision"],
            registry=owner,
        )
        self.auth = Counter(
            "corral_auth_outcomes",
            "Authentication outcomes: success, failure (401), unavailable (503), public.",
            ["outcome"],
            registry=owner,
        )
        self.errors = Counter(
            "corral_errors",
            "Error responses by error type and code (the body's error.type and error.code).",
            ["type", "code"],
            registry=owner,
        )
        self.by_principal = None
        if config.principal_label:
            self.by_principal = Counter(
                "corral_requests_by_principal",
                "Requests per hashed principal and model.",
                ["principal_hash", "gen_ai_request_model"],
                registry=owner,
            )
        self._scrape = self.registry
        if self.multiprocess:
            from prometheus_client import multiprocess

            self._scrape = CollectorRegistry(auto_describe=False)
            multiprocess.MultiProcessCollector(self._scrape)  # type: ignore[no-untyped-call]
        if gauges is not None:
            self._scrape.register(_Gauges(gauges))

    def _child(self, metric: Any, labels: tuple[str, ...]) -> Any:
        key = (id(metric), *labels)
        child = self._cache.get(key)
        if child is None:
            child = self._cache[key] = metric.labels(*labels)
        return child

    def observe_request(
        self, record: RequestRecord, route: str, method: str, status: int, seconds: float
    ) -> None:
        """Everything one finished request contributes."""
        model = record.model or ""
        status_class = _STATUS_CLASS.get(status // 100, "other")
        self._child(self.http_duration, (route, method, status_class, model)).observe(seconds)
        if record.error_type is not None:
            self._child(self.errors, (record.error_type, record.error_code or "")).inc()
        if record.upstream_seconds is not None:
            self._observe_model_call(record, model)
        if self.by_principal is not None and "principal" in record.extra:
            principal = principal_hash(record.extra["principal"])
            self._child(self.by_principal, (principal, model)).inc()

    def _observe_model_call(self, record: RequestRecord, model: str) -> None:
        labels = (record.operation or "", record.provider or "", model)
        error = record.error_type or ""
        assert record.upstream_seconds is not None
        self._child(self.operation_duration, (*labels, error)).observe(record.upstream_seconds)
        if record.input_tokens:
            self._child(self.token_usage, (*labels, "input")).observe(record.input_tokens)
        if record.output_tokens:
            self._child(self.token_usage, (*labels, "output")).observe(record.output_tokens)
        if record.time_to_first_token is not None:
            self._child(self.ttft, labels).observe(record.time_to_first_token)
        if record.time_per_output_token is not None:
            self._child(self.tpot, labels).observe(record.time_per_output_token)

    def auth_outcome(self, outcome: str) -> None:
        """Count one authentication outcome."""
        self._child(self.auth, (outcome,)).inc()

    def quota_decision(self, decision: str) -> None:
        """Count one quota decision."""
        self._child(self.quota, (decision,)).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (all workers' in multiprocess mode)."""
        return generate_latest(self._scrape)


class _Gauges(Collector):
    """Values read when scraped (nothing on the request path)."""

    def __init__(self, source: GaugeSource) -> None:
        self._source = source

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, documentation, value in self._source():
            yield GaugeMetricFamily(name, documentation, value=value)
