"""Config fields every vector_io provider shares: where its records live, how much it ingests."""

from __future__ import annotations

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.storage import InlineSqliteKVStore, KVReference


class VectorStoreRecordsConfig(ConfigModel):
    """Where the store, file and batch records live, and how many files index at once."""

    persistence: KVReference | None = Field(
        None,
        description="KV store of the store/file records (`{backend, namespace}`); when unset the "
        "provider keeps them in its own storage (see its page).",
    )
    kvstore: InlineSqliteKVStore | None = Field(
        None,
        description="The older inline form of `persistence` (`{type: sqlite, namespace: null, "
        "db_path: ...}`, as Llama Stack's reference example writes it); accepted as is.",
    )
    ingest_concurrency: int = Field(
        2, ge=1, le=32, description="Files indexed at the same time, per provider."
    )

    @model_validator(mode="after")
    def _not_both_stores(self) -> VectorStoreRecordsConfig:
        if self.persistence is not None and self.kvstore is not None:
            raise ValueError("set persistence or the older kvstore, not both")
        return self
