"""Config of ``remote::pgvector`` (Llama Stack's ``PGVectorVectorIOConfig`` field names)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from corral.providers.vector_stores.config import VectorStoreRecordsConfig


class PGVectorVectorIOConfig(VectorStoreRecordsConfig):
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
