"""``inline::localfs``: OpenAI-compatible file storage on the local disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.config.storage import SqlReference
from corral.providers.inline.files.localfs.config import LocalfsFilesImplConfig

if TYPE_CHECKING:
    from corral.providers.inline.files.localfs.files import LocalfsFiles

SPEC = ProviderSpec(
    api=Api.files,
    provider_type="inline::localfs",
    config=LocalfsFilesImplConfig,
    description="Files in a local folder, streamed to disk on upload; metadata in a SQL store.",
)

DEFAULT_TABLE = "openai_files"


async def create(config: LocalfsFilesImplConfig, deps: ProviderDeps) -> LocalfsFiles:
    """Open the metadata table and the storage folder."""
    from corral.providers.inline.files.localfs.files import LocalfsFiles

    ref = config.metadata_store
    if isinstance(ref, SqlReference):
        store, table = deps.storage.sql(ref), ref.table_name
    else:
        store = await deps.storage.inline_sqlite_sql(ref.db_path, DEFAULT_TABLE)
        table = DEFAULT_TABLE
    files = LocalfsFiles(
        store,
        table,
        config.storage_dir,
        ttl_secs=config.ttl_secs,
        max_file_size=config.max_file_size_bytes,
        access=deps.access,
    )
    await files.start()
    return files
