"""Config of ``inline::sqlite-vec`` (Llama Stack's ``SQLiteVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.vector_stores.config import VectorStoreRecordsConfig


class SQLiteVectorIOConfig(VectorStoreRecordsConfig):
    """Vector stores in one SQLite file: vectors (sqlite-vec), chunks and a full-text index."""

    db_path: str = Field(
        description="SQLite file holding the vectors, chunks and keyword index (`~` expands)."
    )

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "db_path": "${env.SQLITE_STORE_DIR:=~/.corral}/sqlite_vec.db",
            "persistence": {"backend": "kv_default", "namespace": "vector_io::sqlite_vec"},
        }
