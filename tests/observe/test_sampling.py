"""The per-request tracing decision taken before any span exists (parent-based, then ratio)."""

from __future__ import annotations

from corral.config.telemetry import TelemetryConfig, TracingSettings
from corral.observe.tracing import Tracing

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
UNSAMPLED = SAMPLED[:-1] + "0"


def tracing(ratio: float, environ: dict[str, str] | None = None) -> Tracing:
    config = TelemetryConfig(enabled=True, tracing=TracingSettings(sample_ratio=ratio))
    return Tracing(config, environ or {})


def test_a_client_decision_is_followed_and_the_ratio_decides_the_rest() -> None:
    never, always = tracing(0.0), tracing(1.0)
    try:
        assert never.wanted(SAMPLED) and not always.wanted(UNSAMPLED)
        assert not any(never.wanted(None) for _ in range(200))
        assert all(always.wanted(None) for _ in range(200))
        tenth = tracing(1.0, {"OTEL_TRACES_SAMPLER_ARG": "0.1"})
        share = sum(tenth.wanted(None) for _ in range(5000)) / 5000
        assert tenth.ratio == 0.1 and 0.05 < share < 0.15
        tenth.shutdown()
    finally:
        never.shutdown()
        always.shutdown()
