"""``inline::faiss``: exact inner-product faiss indexes in memory, persisted through a KV store."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.vector_io.faiss.config import FaissVectorIOConfig
from corral.providers.vector_stores import VectorStores
from corral.providers.vector_stores.setup import missing_extra, provider_kv, start_engine

SPEC = ProviderSpec(
    api=Api.vector_io,
    provider_type="inline::faiss",
    config=FaissVectorIOConfig,
    description="Exact cosine search on faiss flat indexes held in memory and rebuilt from a "
    "KV store at startup; keyword search by an in-memory BM25 index; hybrid by rank fusion.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(Api.files,),
    extras=("faiss",),
)


async def create(config: FaissVectorIOConfig, deps: ProviderDeps) -> VectorStores:
    """Load the persisted indexes and start the engine."""
    try:
        from corral.providers.inline.vector_io.faiss.index import FaissIndex
    except ImportError as exc:
        raise missing_extra(SPEC.provider_type, "faiss", exc) from None
    kv = await provider_kv(deps, config.persistence, config.kvstore, "vector_io::faiss")
    index = FaissIndex(kv)
    await index.open()
    return await start_engine(deps, index, kv, config.ingest_concurrency)
