"""Config of ``remote::pgvector`` (Llama Stack's ``PGVectorVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.storage import InlineSqliteKVStore, KVReference


class PGVectorVectorIOConfig(ConfigModel):
    """Vector stores in PostgreSQL with the pgvector extension."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    host: str = Field("localhost", description="PostgreSQL host.")
    port: int = Field(5432, description="PostgreSQL port.")
    db: str = Field("postgres", description="Database (`CREATE EXTENSION vector` runs in it).")
    user: str = Field("postgres", description="User name (must own the extension or create it).")
    password: str | None = Field(None, description="Password.")
    pool_size: int = Field(10, ge=1, description="Maximum pooled connections.")
    text_search_config: str = Field(
        "english",
        pattern=r"^[a-z_]+$",
        description="PostgreSQL text search configuration for keyword search (e.g. `english`, "
        "`simple`).",
    )
    persistence: KVReference | None = Field(
        None,
        description="KV store of the store/file records (`{backend, namespace}`); by default a "
        "`corral_vector_kv` table in the same database.",
    )
    kvstore: InlineSqliteKVStore | None = Field(
        None, description="The older inline form of `persistence`: `{type: sqlite, db_path}`."
    )
    ingest_concurrency: int = Field(
        2, ge=1, le=32, description="Files indexed at the same time, per provider."
    )

    @model_validator(mode="after")
    def _one_persistence(self) -> PGVectorVectorIOConfig:
        if self.persistence is not None and self.kvstore is not None:
            raise ValueError("set persistence or the older kvstore, not both")
        return self

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "host": "${env.PGVECTOR_HOST:=localhost}",
            "port": "${env.PGVECTOR_PORT:=5432}",
            "db": "${env.PGVECTOR_DB:=postgres}",
            "user": "${env.PGVECTOR_USER:=postgres}",
            "password": "${env.PGVECTOR_PASSWORD:=}",
            "persistence": {"backend": "kv_default", "namespace": "vector_io::pgvector"},
        }
