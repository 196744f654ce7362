"""Turn raw runs into medians and ratios, and write them as JSON, markdown and into the docs.

Ratios compare sides measured in the same interleaved run (A B A B ...), which
is what survives a noisy machine; absolute figures move with the load.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

BEGIN = "<!-- benchmark:begin (written by benchmarks/run.py --update-docs) -->"
END = "<!-- benchmark:end -->"
FIELDS = ("rps", "p50", "p90", "p99", "non2xx")


def summarise(runs: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Per side the median of each field over the repetitions, then the ratios."""
    out: dict[str, Any] = {
        side: {k: round(statistics.median(r[k] for r in rows), 3) for k in FIELDS}
        for side, rows in runs.items()
    }
    for side, rows in runs.items():
        cpu = [r["cpu_us"] for r in rows if "cpu_us" in r]
        if cpu:
            out[side]["cpu_us"] = round(statistics.median(cpu), 1)
    direct, corral = out["direct"], out["corral"]
    out["corral/direct"] = round(corral["rps"] / direct["rps"], 4)
    out["added_p50_ms"] = round(corral["p50"] - direct["p50"], 3)
    out["added_p99_ms"] = round(corral["p99"] - direct["p99"], 3)
    if "llama-stack" in out:
        out["corral/llama-stack"] = round(corral["rps"] / out["llama-stack"]["rps"], 2)
    return out


def summarise_streams(runs: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Streaming: the median over repetitions of each repetition's median."""
    out: dict[str, Any] = {
        side: {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
        for side, rows in runs.items()
    }
    out["added_ttfc_ms"] = round(out["corral"]["ttfc_p50"] - out["direct"]["ttfc_p50"], 3)
    if "llama-stack" in out:
        added = out["llama-stack"]["ttfc_p50"] - out["direct"]["ttfc_p50"]
        out["llama-stack_added_ttfc_ms"] = round(added, 3)
    return out


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(ln.split()[1]) // 1024
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal:")
        ),
        0,
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d"),
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as the markdown section docs/performance.md embeds."""
    m = results["machine"]
    ls = "llama-stack" in results["sides"]
    lines = [
        "## Latest run\n",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb'] / 1024:.0f} GB, "
        f"Linux {m['kernel']}, Python {m['python']}; load average at start "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}; {m['date']}.",
        f"Command: `{results['command']}`. wrk, {results['duration_s']} s per run, "
        f"median of {results['reps']} repetitions run A B A B interleaved "
        f"({', '.join(results['sides'])}); wrk, the fake upstream and the servers share "
        "the cores, so the direct figure is an upper bound and ratios are what to compare.\n",
    ]
    lines += _scenario_table(results["scenarios"], ls)
    lines += ["", *_stream_table(results["streaming"], ls)]
    lines += ["", *_server_table(results["servers"])]
    return "\n".join(lines) + "\n"


def _scenario_table(scenarios: dict[str, Any], ls: bool) -> list[str]:
    head = "| scenario | direct req/s | corral req/s |"
    rule = "|---|---|---|"
    if ls:
        head += " llama-stack req/s |"
        rule += "---|"
    head += " corral/direct |"
    rule += "---|"
    if ls:
        head += " corral/llama-stack |"
        rule += "---|"
    head += " p50 / p99 ms direct | corral |"
    rule += "---|---|"
    if ls:
        head += " llama-stack |"
        rule += "---|"
    head += " corral added p50 / p99 ms | server CPU µs/request corral |"
    rule += "---|---|"
    if ls:
        head += " llama-stack |"
        rule += "---|"
    lines = [head, rule]
    for key, s in scenarios.items():
        d, c = s["direct"], s["corral"]
        row = f"| {key} | {d['rps']:.0f} | {c['rps']:.0f} |"
        if ls:
            row += f" {s['llama-stack']['rps']:.0f} |"
        row += f" {s['corral/direct']:.3f} |"
        if ls:
            row += f" {s['corral/llama-stack']:.1f}× |"
        row += f" {_lat(d)} | {_lat(c)} |"
        if ls:
            row += f" {_lat(s['llama-stack'])} |"
        row += f" {s['added_p50_ms']:.2f} / {s['added_p99_ms']:.2f} | {_cpu(c)} |"
        if ls:
            row += f" {_cpu(s['llama-stack'])} |"
        errors = sum(s[side]["non2xx"] for side in ("direct", "corral", "llama-stack") if side in s)
        lines.append(row + (f" ⚠ {errors:.0f} non-2xx" if errors else ""))
    return lines


def _cpu(side: dict[str, float]) -> str:
    return f"{side['cpu_us']:.0f}" if "cpu_us" in side else "-"


def _lat(side: dict[str, float]) -> str:
    return f"{side['p50']:.2f} / {side['p99']:.2f}"


def _stream_table(streaming: dict[str, Any], ls: bool) -> list[str]:
    head = "| streaming (20 chunks, sequential) | TTFC p50 ms direct | corral |"
    rule = "|---|---|---|"
    if ls:
        head += " llama-stack |"
        rule += "---|"
    head += " corral added TTFC ms |"
    rule += "---|"
    if ls:
        head += " llama-stack added TTFC ms |"
        rule += "---|"
    head += " whole stream p50 ms direct / corral |"
    rule += "---|"
    lines = [head, rule]
    for variant, s in streaming.items():
        row = f"| {variant} | {s['direct']['ttfc_p50']:.2f} | {s['corral']['ttfc_p50']:.2f} |"
        if ls:
            row += f" {s['llama-stack']['ttfc_p50']:.2f} |"
        row += f" {s['added_ttfc_ms']:.2f} |"
        if ls:
            row += f" {s['llama-stack_added_ttfc_ms']:.2f} |"
        row += f" {s['direct']['total_p50']:.2f} / {s['corral']['total_p50']:.2f} |"
        errors = sum(v.get("errors", 0) for v in s.values() if isinstance(v, dict))
        lines.append(row + (f" ⚠ {errors:.0f} failed streams" if errors else ""))
    return lines


def _server_table(servers: dict[str, Any]) -> list[str]:
    lines = [
        "| server (plain config) | cold start s (start → first 200 on /v1/health) "
        "| idle RSS MB | RSS after load MB |",
        "|---|---|---|---|",
    ]
    for name, s in servers.items():
        lines.append(
            f"| {name} | {s['cold_start_s']:.2f} | {s['idle_rss_mb']:.0f} "
            f"| {s['rss_after_load_mb']:.0f} |"
        )
    return lines


def update_docs(doc: Path, section: str) -> None:
    """Replace the marked benchmark section of `doc` with `section`."""
    text = doc.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise RuntimeError(f"{doc} has no {BEGIN} ... {END} markers")
    doc.write_text(text[: start + len(BEGIN)] + "\n" + section + text[end:])
