"""``inline::localfs``: datasets read from uploads, local files, ``data:`` URIs or inline rows.

CSV, JSONL and Parquet (with pyarrow) are read as streams a page at a time;
rows given inline or appended are kept in a SQL table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.datasetio.localfs.config import LocalfsDatasetIOConfig

if TYPE_CHECKING:
    from corral.providers.inline.datasetio.localfs.provider import LocalfsDatasetIO

SPEC = ProviderSpec(
    api=Api.datasetio,
    provider_type="inline::localfs",
    config=LocalfsDatasetIOConfig,
    description="Datasets from Files API uploads, allowed local folders, data: URIs or inline "
    "rows; CSV, JSONL and Parquet read as streams; appended rows kept in SQL.",
    optional_api_dependencies=(Api.files,),
)

DEFAULT_TABLE = "dataset_rows"


async def create(config: LocalfsDatasetIOConfig, deps: ProviderDeps) -> LocalfsDatasetIO:
    """Open the rows table."""
    from corral.core.routers.files import FILES
    from corral.providers.inline.datasetio.localfs.provider import LocalfsDatasetIO

    sql, table = await deps.storage.sql_or_default(config.store, "datasetio", DEFAULT_TABLE)
    provider = LocalfsDatasetIO(config, sql, table, deps.routers.get(FILES))
    await provider.start()
    return provider
