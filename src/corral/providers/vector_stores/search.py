"""Ranking a store's chunks for one search: vector, keyword or hybrid.

Hybrid search asks both the vector and the keyword index for `chunk_multiplier`
times more candidates than requested, then fuses the two rankings (`ranking.py`).
"""

from __future__ import annotations

from corral.apis.context import RequestContext
from corral.apis.vector_io.api import ChunkHit, VectorIndex
from corral.apis.vector_io.models import SearchRequest
from corral.apis.vector_io.settings import VectorStoreSettings
from corral.errors import InvalidParameter
from corral.providers.vector_stores.ingest import Embedder
from corral.providers.vector_stores.ranking import fuse_rrf, fuse_weighted
from corral.providers.vector_stores.state import StoreRecord

MAX_FETCH = 500
DEFAULT_RANKERS = (None, "default", "auto")


async def ranked_hits(
    index: VectorIndex,
    embedder: Embedder,
    store: StoreRecord,
    request: SearchRequest,
    text: str,
    allowed: frozenset[str] | None,
    ctx: RequestContext,
    settings: VectorStoreSettings | None = None,
) -> list[ChunkHit]:
    """The store's best chunks for `text`, best first, in the request's search mode.

    Hybrid search fetches ``chunk_multiplier`` times the wanted count from each
    index before fusing; a request without a ranker uses the configured one
    (``chunk_retrieval_params``), and its ``alpha``/``impact_factor`` defaults.
    """
    settings = settings or VectorStoreSettings()
    k = request.max_num_results
    options = request.ranking_options
    ranker = options.ranker if options is not None else None
    if ranker in DEFAULT_RANKERS:
        ranker = settings.ranker
    if request.search_mode == "hybrid" and ranker not in ("rrf", "weighted", "normalized"):
        raise InvalidParameter("ranking_options.ranker", "use 'rrf', 'weighted' or 'normalized'")
    if request.search_mode == "keyword":
        return await index.query_keyword(store.id, text, k, allowed)
    [query] = await embedder.embed(store.embedding_model, [text], store.embedding_dimension, ctx)
    if request.search_mode == "vector":
        return await index.query_vector(store.id, query, k, allowed)
    fetch = min(k * settings.chunk_multiplier, MAX_FETCH)
    vector = await index.query_vector(store.id, query, fetch, allowed)
    keyword = await index.query_keyword(store.id, text, fetch, allowed)
    if ranker in ("weighted", "normalized"):
        alpha = options.alpha if options is not None and options.alpha is not None else None
        # `normalized` is the even mix of the two normalised scores
        default = 0.5 if ranker == "normalized" else settings.weighted_alpha
        return fuse_weighted(vector, keyword, default if alpha is None else alpha)
    impact = options.impact_factor if options is not None else None
    return fuse_rrf([vector, keyword], impact or settings.rrf_impact_factor)
