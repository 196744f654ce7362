"""Aggregates of per-row scores, as Llama Stack names them (shared by the scoring providers).

``accuracy``: ``{"accuracy": mean, "num_correct": sum, "num_total": rows}``;
``average`` (and ``weighted_average``, with every weight 1): ``{"average": mean}``;
``median``: ``{"median": ...}``; ``categorical_count``: how often each score
occurs. Rows whose score is None (a judge answer that did not parse) are left
out of the numbers and counted in ``num_unscored``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from corral.errors import InvalidParameter


def aggregate(rows: Sequence[dict[str, Any]], functions: Sequence[str]) -> dict[str, Any]:
    """The aggregates `functions` ask for, over the rows' ``score`` values."""
    scores = [float(r["score"]) for r in rows if isinstance(r.get("score"), int | float)]
    out: dict[str, Any] = {}
    for name in functions:
        if name == "accuracy":
            out["accuracy"] = sum(scores) / len(scores) if scores else 0.0
            out["num_correct"] = sum(scores)
            out["num_total"] = len(rows)
        elif name in ("average", "weighted_average"):
            out[name] = statistics.fmean(scores) if scores else 0.0
        elif name == "median":
            out["median"] = statistics.median(scores) if scores else 0.0
        elif name == "categorical_count":
            counts = Counter(str(r.get("score")) for r in rows)
            out["categorical_count"] = dict(counts)
    unscored = len(rows) - len(scores)
    if unscored:
        out["num_unscored"] = unscored
    return out


def aggregations(params: dict[str, Any] | None, default: Sequence[str]) -> list[str]:
    """The aggregation functions of `params`, else `default`."""
    chosen = (params or {}).get("aggregation_functions") or []
    return list(chosen) if chosen else list(default)


def answer_columns(row: dict[str, Any], index: int) -> tuple[Any, str]:
    """(expected_answer, generated_answer as text); a missing column is a 400 naming the row."""
    for name in ("expected_answer", "generated_answer"):
        if name not in row:
            raise InvalidParameter(f"input_rows[{index}].{name}", "is required by this function")
    generated = row["generated_answer"]
    return row["expected_answer"], generated if isinstance(generated, str) else str(generated)
