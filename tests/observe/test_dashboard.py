"""The shipped Grafana dashboard only queries metrics corral exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from corral.config.telemetry import MetricsConfig
from corral.observe.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "corral-dashboard.json"


def test_every_dashboard_query_names_an_exported_metric() -> None:
    metrics = Metrics(MetricsConfig(principal_label=True), lambda: [
        ("corral_inference_store_queue_depth", "", 0.0),
        ("corral_inference_store_dropped_writes", "", 0.0),
    ])  # fmt: skip
    exported = set()
    for family in metrics._scrape.collect():
        exported.add(family.name)
        exported.update(sample.name for sample in family.samples)
        kind = family.type
        if kind == "histogram":
            exported.update(f"{family.name}_{s}" for s in ("bucket", "sum", "count"))
        elif kind == "counter":
            exported.add(f"{family.name}_total")
    for metric in vars(metrics).values():  # label names are words of the queries too
        exported.update(getattr(metric, "_labelnames", ()))
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    named = {n for q in queries for n in re.findall(r"\b(?:http|gen_ai|corral)_[a-z_]+\b", q)}
    assert named and named <= exported, named - exported
