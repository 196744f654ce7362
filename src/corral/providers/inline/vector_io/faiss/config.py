"""Config of ``inline::faiss`` (Llama Stack's ``FaissVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from corral.providers.vector_stores.config import VectorStoreRecordsConfig


class FaissVectorIOConfig(VectorStoreRecordsConfig):
    """In-memory faiss indexes, persisted (vectors, chunks and records) through a KV store."""

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
