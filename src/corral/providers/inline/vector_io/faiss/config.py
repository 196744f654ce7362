"""Config of ``inline::faiss`` (Llama Stack's ``FaissVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.storage import InlineSqliteKVStore, KVReference


class FaissVectorIOConfig(ConfigModel):
    """In-memory faiss indexes, persisted (vectors, chunks and records) through a KV store."""

    persistence: KVReference | None = Field(
        None, description="KV store holding the indexes and records: `{backend, namespace}`."
    )
    kvstore: InlineSqliteKVStore | None = Field(
        None,
        description="The older inline form Llama Stack's reference example writes: "
        "`{type: sqlite, namespace: null, db_path: ...}` (accepted as is).",
    )
    ingest_concurrency: int = Field(
        2, ge=1, le=32, description="Files indexed at the same time, per provider."
    )

    @model_validator(mode="after")
    def _exactly_one_store(self) -> FaissVectorIOConfig:
        if (self.persistence is None) == (self.kvstore is None):
            raise ValueError(
                "set persistence: {backend, namespace} (or the older kvstore: "
                "{type: sqlite, db_path}), exactly one of them"
            )
        return self

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"persistence": {"backend": "kv_default", "namespace": "vector_io::faiss"}}
