"""``telemetry:``: request ids, the access log, Prometheus metrics, OpenTelemetry traces, usage.

Llama Stack run configs carry ``telemetry: {enabled: true}`` (and its older
telemetry provider's ``service_name``, ``otel_exporter_otlp_endpoint`` and
``sinks``); those fields are accepted here with the same meaning: ``enabled``
turns tracing on. Everything else is corral's (docs/observability.md).
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator

from corral.config.base import ConfigModel
from corral.config.storage import SqlReference


class RequestIdConfig(ConfigModel):
    """``telemetry.request_id``: where a request's id comes from."""

    trusted_clients: list[str] = Field(default_factory=list)
    """Addresses (or CIDRs; `0.0.0.0/0` and `::/0` for everyone) whose `X-Request-ID` header is
    kept; other clients' ids are replaced by a generated one."""

    @field_validator("trusted_clients")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for spec in value:
            ipaddress.ip_network(spec, strict=False)
        return value


class AccessLogConfig(ConfigModel):
    """``telemetry.access_log``: one line per request on the `corral.access` logger."""

    enabled: bool = False
    """Log every request (method, route, status, duration, model, tokens, principal hash, id);
    written by a background thread, in JSON with `corral run --log-format json`."""


class MetricsConfig(ConfigModel):
    """``telemetry.metrics``: the Prometheus endpoint."""

    enabled: bool = True
    """Serve `GET /metrics` and count requests (off: no route and no per-request cost)."""
    public: bool = False
    """Serve `/metrics` without authentication; otherwise it is a route like any other
    (authentication, route_policy and quota apply)."""
    principal_label: bool = False
    """Add a hashed principal label to the request counter (more series; off by default)."""


class TracingSettings(ConfigModel):
    """``telemetry.tracing``: corral's own tracing options."""

    protocol: Literal["http/protobuf", "grpc"] = "http/protobuf"
    """OTLP transport; `grpc` needs `opentelemetry-exporter-otlp-proto-grpc` installed."""
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
    """Share of new traces recorded (a sampled parent `traceparent` is always followed)."""


class UsageConfig(ConfigModel):
    """``telemetry.usage``: per-client token accounting (`GET /v1alpha/usage`)."""

    enabled: bool = False
    """Count requests and tokens per principal and model (`GET /v1alpha/usage`)."""
    admin_role: str = "admin"
    """Callers with this value in their `roles` attribute see everyone's usage."""
    store: SqlReference | None = None
    """Where the counts go: `{backend, table_name}` of a SQL backend (default: table
    `corral_usage` on the first SQL backend, else in memory)."""
    flush_seconds: float = Field(5.0, gt=0)
    """Counts are added up in memory and written in one batch this often (and at shutdown)."""


class TelemetryConfig(ConfigModel):
    """``telemetry:``."""

    enabled: bool = False
    """Export OpenTelemetry traces (Llama Stack's switch); the `OTEL_*` environment variables
    are read too (`OTEL_SDK_DISABLED=true` wins)."""
    service_name: str = "corral"
    """`service.name` of the exported traces (overridden by `OTEL_SERVICE_NAME`)."""
    otel_exporter_otlp_endpoint: str | None = None
    """OTLP endpoint (default: `OTEL_EXPORTER_OTLP_ENDPOINT`, else http://localhost:4318)."""
    sinks: list[str] = Field(default_factory=list)
    """Llama Stack's sink list; `otel_trace` turns tracing on, the others are accepted and
    ignored (metrics are served at `/metrics`, logs go to stderr)."""
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    """OTLP protocol and sampling."""
    request_id: RequestIdConfig = Field(default_factory=RequestIdConfig)
    """Which clients' `X-Request-ID` is trusted."""
    access_log: AccessLogConfig = Field(default_factory=AccessLogConfig)
    """The per-request access log."""
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    """The Prometheus endpoint."""
    usage: UsageConfig = Field(default_factory=UsageConfig)
    """Per-client usage accounting."""

    def tracing_on(self) -> bool:
        """True when the config asks for traces (the environment may still switch them off)."""
        return self.enabled or "otel_trace" in self.sinks
