"""Config of ``inline::localfs`` (Llama Stack's ``LocalfsFilesImplConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import InlineSqliteSqlStore, SqlReference


class LocalfsFilesImplConfig(ConfigModel):
    """Uploaded files on local disk, their metadata in a SQL store."""

    storage_dir: str = Field(
        description="Folder holding the uploaded files (`~` expands; created when missing)."
    )
    metadata_store: SqlReference | InlineSqliteSqlStore = Field(
        description="SQL store of the file records: `{backend, table_name}` on a named SQL "
        "backend, or the older inline `{type: sqlite, db_path}` (table `openai_files`)."
    )
    ttl_secs: int = Field(
        365 * 24 * 3600,
        ge=1,
        description="Default lifetime of an upload in seconds, when the request sets no "
        "`expires_after`; expired files are no longer listed or served.",
    )
    max_file_size_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1,
        description="Largest accepted upload; a bigger one is refused with 413 while it streams.",
    )

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "storage_dir": "${env.FILES_STORAGE_DIR:=~/.corral/files}",
            "metadata_store": {"backend": "sql_default", "table_name": "openai_files"},
            "max_file_size_bytes": 104857600,
        }
