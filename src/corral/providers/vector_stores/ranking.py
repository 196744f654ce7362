"""Combining vector and keyword results for hybrid search.

Reciprocal-rank fusion (the default) scores a chunk ``sum(1 / (k + rank))``
over the lists it appears in (rank from 1, ``k`` = ``impact_factor``, 60 by
default); it needs no score calibration between the two lists. The
``weighted`` ranker min-max normalises each list to [0, 1] and mixes them as
``alpha * vector + (1 - alpha) * keyword``.
"""

from __future__ import annotations

from dataclasses import replace

from corral.apis.vector_io.api import ChunkHit

DEFAULT_IMPACT_FACTOR = 60.0
DEFAULT_ALPHA = 0.5


def fuse_rrf(lists: list[list[ChunkHit]], impact_factor: float) -> list[ChunkHit]:
    """Reciprocal-rank fusion of ranked lists, best first."""
    scores: dict[str, float] = {}
    hits: dict[str, ChunkHit] = {}
    for ranked in lists:
        for rank, hit in enumerate(ranked, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (impact_factor + rank)
            hits.setdefault(hit.chunk_id, hit)
    return _ordered(hits, scores)


def fuse_weighted(vector: list[ChunkHit], keyword: list[ChunkHit], alpha: float) -> list[ChunkHit]:
    """Weighted mix of min-max normalised vector and keyword scores, best first."""
    scores: dict[str, float] = {}
    hits: dict[str, ChunkHit] = {}
    for weight, ranked in ((alpha, vector), (1.0 - alpha, keyword)):
        for hit, norm in zip(ranked, _normalised(ranked), strict=True):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight * norm
            hits.setdefault(hit.chunk_id, hit)
    return _ordered(hits, scores)


def _normalised(ranked: list[ChunkHit]) -> list[float]:
    if not ranked:
        return []
    values = [h.score for h in ranked]
    low, high = min(values), max(values)
    if high == low:
        return [1.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def _ordered(hits: dict[str, ChunkHit], scores: dict[str, float]) -> list[ChunkHit]:
    ranked = sorted(hits, key=lambda cid: (-scores[cid], cid))
    return [replace(hits[cid], score=scores[cid]) for cid in ranked]
