"""Config of datasetio's ``inline::localfs``: where rows may be read from, where rows are kept."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import KVReference, SqlReference


class LocalfsDatasetIOConfig(ConfigModel):
    """Datasets read from uploads, local files, ``data:`` URIs or inline rows."""

    allowed_paths: list[str] = Field(default_factory=list)
    """Folders whose files may be registered as datasets by local path (`file:///...`); empty:
    no local path is accepted (a client could otherwise read any file the server can)."""
    store: SqlReference | None = None
    """SQL table of rows given inline or appended (default: `dataset_rows` on the first SQL
    backend; in memory without one)."""
    kvstore: KVReference | None = None
    """Accepted for Llama Stack compatibility (it keeps dataset definitions there); corral keeps
    them in the resource registry (`storage.stores.metadata`)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "allowed_paths": ["${env.SQLITE_STORE_DIR:=~/.corral}/datasets"],
            "store": {"backend": "sql_default", "table_name": "dataset_rows"},
        }
