"""Ranking a store's chunks for one search: vector, keyword or hybrid.

Hybrid search asks both the vector and the keyword index for a few times more
candidates than requested, then fuses the two rankings (`ranking.py`).
"""

from __future__ import annotations

from corral.apis.context import RequestContext
from corral.apis.vector_io.api import ChunkHit, VectorIndex
from corral.apis.vector_io.models import SearchRequest
from corral.errors import InvalidParameter
from corral.providers.vector_stores.ingest import Embedder
from corral.providers.vector_stores.ranking import (
    DEFAULT_ALPHA,
    DEFAULT_IMPACT_FACTOR,
    fuse_rrf,
    fuse_weighted,
)
from corral.providers.vector_stores.state import StoreRecord

HYBRID_FETCH = 3
RRF_RANKERS = (None, "rrf", "default", "auto")


async def ranked_hits(
    index: VectorIndex,
    embedder: Embedder,
    store: StoreRecord,
    request: SearchRequest,
    text: str,
    allowed: frozenset[str] | None,
    ctx: RequestContext,
) -> list[ChunkHit]:
    """The store's best chunks for `text`, best first, in the request's search mode."""
    k = request.max_num_results
    options = request.ranking_options
    ranker = options.ranker if options is not None else None
    if request.search_mode == "hybrid" and ranker not in (*RRF_RANKERS, "weighted"):
        raise InvalidParameter("ranking_options.ranker", "use 'rrf' or 'weighted'")
    if request.search_mode == "keyword":
        return await index.query_keyword(store.id, text, k, allowed)
    [query] = await embedder.embed(store.embedding_model, [text], store.embedding_dimension, ctx)
    if request.search_mode == "vector":
        return await index.query_vector(store.id, query, k, allowed)
    fetch = min(k * HYBRID_FETCH, 150)
    vector = await index.query_vector(store.id, query, fetch, allowed)
    keyword = await index.query_keyword(store.id, text, fetch, allowed)
    if options is not None and ranker == "weighted":
        alpha = options.alpha if options.alpha is not None else DEFAULT_ALPHA
        return fuse_weighted(vector, keyword, alpha)
    impact = options.impact_factor if options is not None else None
    return fuse_rrf([vector, keyword], impact or DEFAULT_IMPACT_FACTOR)
