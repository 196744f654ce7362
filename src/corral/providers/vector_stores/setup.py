"""What every vector_io provider's factory does the same way: find its KV store, build the engine.

The provider's records live in the KV store its config names: ``persistence``
(``{backend, namespace}``, the current form), the older inline ``kvstore``
(``{type: sqlite, db_path, namespace}``, as Llama Stack's reference example
writes it), or, when the provider allows it, a default file of its own.
"""

from __future__ import annotations

from corral.apis.spec import ProviderDeps, ProviderStartupError
from corral.apis.storage import KVStore
from corral.apis.vector_io.api import VectorIndex
from corral.config.issues import ConfigError
from corral.config.storage import InlineSqliteKVStore, KVReference
from corral.core.routers.files import FILES
from corral.core.routers.inference import INFERENCE
from corral.providers.vector_stores.engine import VectorStores


async def provider_kv(
    deps: ProviderDeps,
    persistence: KVReference | None,
    kvstore: InlineSqliteKVStore | None,
    default_namespace: str,
    fallback_db_path: str | None = None,
) -> KVStore:
    """The KV store of a provider's records."""
    if persistence is not None:
        return deps.storage.kv(persistence)
    if kvstore is not None:
        return await deps.storage.inline_sqlite_kv(
            kvstore.db_path, kvstore.namespace or default_namespace
        )
    if fallback_db_path is None:
        raise ConfigError.single(
            "run config",
            f"vector_io provider {deps.provider_id!r} has no persistence",
            "set persistence: {backend: <a KV backend>, namespace: ...}",
        )
    return await deps.storage.inline_sqlite_kv(fallback_db_path, default_namespace)


async def start_engine(
    deps: ProviderDeps, index: VectorIndex, kv: KVStore, ingest_concurrency: int
) -> VectorStores:
    """Compose the engine with the inference router and the files provider, and start it."""
    engine = VectorStores(
        index,
        kv,
        deps.routers.require(INFERENCE),
        deps.routers.get(FILES),
        provider_id=deps.provider_id,
        ingest_concurrency=ingest_concurrency,
        settings=deps.vector_stores,
    )
    await engine.start()
    return engine


def missing_extra(provider_type: str, extra: str, exc: ImportError) -> ProviderStartupError:
    """The startup error for a provider whose optional packages are not installed."""
    return ProviderStartupError(
        f"{provider_type} needs packages that are not installed ({exc.name or exc}); "
        f"pip install 'corral[{extra}]'"
    )
