"""Config of ``inline::sqlite-vec`` (Llama Stack's ``SQLiteVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.storage import InlineSqliteKVStore, KVReference


class SQLiteVectorIOConfig(ConfigModel):
    """Vector stores in one SQLite file: vectors (sqlite-vec), chunks and a full-text index."""

    db_path: str = Field(
        description="SQLite file holding the vectors, chunks and keyword index (`~` expands)."
    )
    persistence: KVReference | None = Field(
        None,
        description="KV store of the store/file records (`{backend, namespace}`); by default "
        "they live in `db_path` too.",
    )
    kvstore: InlineSqliteKVStore | None = Field(
        None, description="The older inline form of `persistence`: `{type: sqlite, db_path}`."
    )
    ingest_concurrency: int = Field(
        2, ge=1, le=32, description="Files indexed at the same time, per provider."
    )

    @model_validator(mode="after")
    def _one_persistence(self) -> SQLiteVectorIOConfig:
        if self.persistence is not None and self.kvstore is not None:
            raise ValueError("set persistence or the older kvstore, not both")
        return self

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "db_path": "${env.SQLITE_STORE_DIR:=~/.corral}/sqlite_vec.db",
            "persistence": {"backend": "kv_default", "namespace": "vector_io::sqlite_vec"},
        }
