"""``inline::sqlite-vec``: vector stores in one SQLite file (the default vector_io provider)."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.vector_io.sqlite_vec.config import SQLiteVectorIOConfig
from corral.providers.vector_stores import VectorStores
from corral.providers.vector_stores.setup import missing_extra, provider_kv, start_engine

SPEC = ProviderSpec(
    api=Api.vector_io,
    provider_type="inline::sqlite-vec",
    config=SQLiteVectorIOConfig,
    description="Exact cosine search with sqlite-vec, keyword search with FTS5 and hybrid "
    "search by reciprocal-rank fusion, all in one SQLite file.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(Api.files,),
    extras=("sqlite-vec",),
)


async def create(config: SQLiteVectorIOConfig, deps: ProviderDeps) -> VectorStores:
    """Open the SQLite file with sqlite-vec loaded and start the engine."""
    try:
        from corral.providers.inline.vector_io.sqlite_vec.index import SqliteVecIndex
    except ImportError as exc:
        raise missing_extra(SPEC.provider_type, "sqlite-vec", exc) from None
    index = SqliteVecIndex(config.db_path)
    await index.open()
    kv = await provider_kv(
        deps, config.persistence, config.kvstore, "vector_io::sqlite_vec", config.db_path
    )
    return await start_engine(deps, index, kv, config.ingest_concurrency)
