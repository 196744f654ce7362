"""``inline::reference``: the OpenAI Batches API, run inside corral.

Each line goes through the inference router like an online request (model
routing, access_policy as the batch's creator, the creator's quota); state and
per-line results are kept in SQL so a batch survives restarts and is run by
one server at a time (a lease).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.batches.reference.config import ReferenceBatchesConfig

if TYPE_CHECKING:
    from corral.providers.inline.batches.reference.provider import ReferenceBatches

SPEC = ProviderSpec(
    api=Api.batches,
    provider_type="inline::reference",
    config=ReferenceBatchesConfig,
    description="The OpenAI Batches API: JSONL files of chat, completion or embedding requests "
    "run in the background through corral's inference router, with results in the Files API.",
    api_dependencies=(Api.inference, Api.files),
)

DEFAULT_TABLE = "batches"


async def create(config: ReferenceBatchesConfig, deps: ProviderDeps) -> ReferenceBatches:
    """Open the batches tables and start looking for work."""
    from corral.core.routers.files import FILES
    from corral.core.routers.inference import INFERENCE
    from corral.providers.inline.batches.reference.provider import ReferenceBatches
    from corral.providers.inline.batches.reference.store import BatchStore

    sql, table = await deps.storage.sql_or_default(config.store, "batches", DEFAULT_TABLE)
    store = BatchStore(sql, table, deps.access)
    provider = ReferenceBatches(
        config,
        store,
        deps.routers.require(INFERENCE),
        deps.routers.require(FILES),
        deps.quota,
    )
    await provider.start()
    return provider
