"""OpenTelemetry traces: a span per request, children for its stages and model calls, OTLP export.

Off unless ``telemetry.enabled`` (or Llama Stack's ``sinks: [otel_trace]``) or
an ``OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT`` in the environment asks for it, and
``OTEL_SDK_DISABLED`` is not true. Off, the SDK is never imported and a request
pays one ``is None`` test per hook. On, each app owns its `TracerProvider`
(nothing global), spans leave through a `BatchSpanProcessor` (a background
thread), and the SDK reads the other standard ``OTEL_*`` variables itself
(headers, timeouts, ``OTEL_SERVICE_NAME``, batch delays).

Model calls carry the GenAI semantic-convention attributes
(``gen_ai.operation.name``, ``gen_ai.request.model``, ``gen_ai.provider.name``,
``gen_ai.response.model``, ``gen_ai.usage.input_tokens``/``output_tokens``,
``gen_ai.response.finish_reasons``); prompts and answers are never recorded.
A client's W3C ``traceparent`` makes the
request's span its child, and each upstream call sends its own ``traceparent``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from corral.config.telemetry import TelemetryConfig

_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_wanted(config: TelemetryConfig, environ: Mapping[str, str]) -> bool:
    """True when the config or the environment asks for traces and the SDK is not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return config.tracing_on() or any(environ.get(name) for name in _ENDPOINT_VARS)


class Tracing:
    """One app's tracer, exporter and propagator (built once, at startup)."""

    def __init__(self, config: TelemetryConfig, environ: Mapping[str, str]) -> None:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
        from opentelemetry.trace import SpanKind, set_span_in_context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        settings = config.tracing
        service = environ.get("OTEL_SERVICE_NAME") or config.service_name
        self.ratio = _ratio(settings.sample_ratio, environ)
        self.provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: service}),
            sampler=ParentBased(TraceIdRatioBased(self.ratio)),
        )
        self.provider.add_span_processor(BatchSpanProcessor(_exporter(config, environ)))
        self.tracer = self.provider.get_tracer("corral")
        self.propagator = TraceContextTextMapPropagator()
        # Looked up once: an import statement per span showed in the profile.
        self._in = set_span_in_context
        self._server, self._client, self._internal = (
            SpanKind.SERVER,
            SpanKind.CLIENT,
            SpanKind.INTERNAL,
        )

    def wanted(self, traceparent: str | None) -> bool:
        """Whether to trace a request at all, decided before any span object exists.

        Parent-based like the SDK's sampler: a client's sampled ``traceparent``
        (flags ``01``) is followed and an unsampled one is not; otherwise the
        ratio decides. An unsampled request then costs nothing more (measured:
        letting the SDK build non-recording spans cost ~25% of a request).
        """
        if traceparent is not None and len(traceparent) == 55:
            return traceparent.endswith("1")
        return self.ratio >= 1.0 or random.random() < self.ratio  # noqa: S311 (sampling)

    def start_request(self, method: str, traceparent: str | None, tracestate: str | None) -> Any:
        """The server span of a request (a child of the client's trace when it sent one)."""
        parent = None
        if traceparent is not None:
            carrier = {"traceparent": traceparent}
            if tracestate is not None:
                carrier["tracestate"] = tracestate
            parent = self.propagator.extract(carrier)
        attributes = {"http.request.method": method}
        return self.tracer.start_span(
            method, context=parent, kind=self._server, attributes=attributes
        )

    def start_child(
        self,
        name: str,
        parent: Any,
        *,
        client: bool = False,
        attributes: Mapping[str, Any] | None = None,
    ) -> Any:
        """A span under `parent` (a model call is a CLIENT span)."""
        kind = self._client if client else self._internal
        return self.tracer.start_span(
            name, context=self._in(parent), kind=kind, attributes=attributes
        )

    def traceparent(self, span: Any) -> bytes:
        """The ``traceparent`` header line that makes an upstream's work a child of `span`.

        Formatted here (W3C trace context, version 00) rather than through the
        propagator, which builds a context object per call.
        """
        ctx = span.get_span_context()
        if not ctx.is_valid:
            return b""
        return b"traceparent: 00-%032x-%016x-%02x\r\n" % (
            ctx.trace_id,
            ctx.span_id,
            int(ctx.trace_flags),
        )

    def shutdown(self) -> None:
        """Export what is pending, then stop the exporter thread."""
        self.provider.shutdown()


def _ratio(configured: float, environ: Mapping[str, str]) -> float:
    """The config's sample ratio, or ``OTEL_TRACES_SAMPLER_ARG`` when the config leaves 1.0."""
    given = environ.get("OTEL_TRACES_SAMPLER_ARG")
    if configured != 1.0 or not given:
        return configured
    try:
        return min(1.0, max(0.0, float(given)))
    except ValueError:
        return configured


def _exporter(config: TelemetryConfig, environ: Mapping[str, str]) -> Any:
    endpoint = config.otel_exporter_otlp_endpoint
    if config.tracing.protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError as exc:
            raise RuntimeError(
                "telemetry.tracing.protocol: grpc needs opentelemetry-exporter-otlp-proto-grpc "
                "(pip install opentelemetry-exporter-otlp-proto-grpc)"
            ) from exc
        return GrpcExporter(endpoint=endpoint) if endpoint else GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint and not environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        # The config names the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT does.
        return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    return OTLPSpanExporter()
