"""``remote::pgvector``: vector stores in PostgreSQL with the pgvector extension."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.apis.storage import KVStore
from corral.providers.remote.vector_io.pgvector.config import PGVectorVectorIOConfig
from corral.providers.vector_stores import VectorStores
from corral.providers.vector_stores.setup import missing_extra, provider_kv, start_engine

SPEC = ProviderSpec(
    api=Api.vector_io,
    provider_type="remote::pgvector",
    config=PGVectorVectorIOConfig,
    description="Exact cosine search with pgvector, keyword search with PostgreSQL full-text "
    "search, hybrid by rank fusion. Runs `CREATE EXTENSION IF NOT EXISTS vector`.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(Api.files,),
    extras=("pgvector",),
)


async def create(config: PGVectorVectorIOConfig, deps: ProviderDeps) -> VectorStores:
    """Connect, create the extension and tables, and start the engine."""
    try:
        from corral.providers.remote.vector_io.pgvector.index import PGVectorIndex
    except ImportError as exc:
        raise missing_extra(SPEC.provider_type, "pgvector", exc) from None
    dsn = {
        "host": config.host,
        "port": config.port,
        "database": config.db,
        "user": config.user,
        "password": config.password,
    }
    index = PGVectorIndex(dsn, config.pool_size, config.text_search_config)
    await index.open()
    kv: KVStore
    if config.persistence is None and config.kvstore is None:
        kv = await index.open_kv("vector_io::pgvector")
    else:
        kv = await provider_kv(deps, config.persistence, config.kvstore, "vector_io::pgvector")
    return await start_engine(deps, index, kv, config.ingest_concurrency)
