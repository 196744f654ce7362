"""Storage section of the run config: named backends and the references to them.

Backends are declared once under ``storage.backends`` (name → config with a
``type``); stores and providers point at them by name with a *reference*:
``{backend, namespace}`` for key-value stores and ``{backend, table_name}`` for
SQL stores. Whether a reference names an existing backend of the right family
is checked by `RunConfig` so the error can name both.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from corral.config.base import ConfigModel

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class KVSqliteBackend(ConfigModel):
    """Key-value store in one SQLite file (WAL mode)."""

    type: Literal["kv_sqlite"] = "kv_sqlite"
    """`kv_sqlite`."""
    db_path: str = Field(description="SQLite file; `~` expands and parent folders are created.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"type": "kv_sqlite", "db_path": "${env.SQLITE_STORE_DIR:=~/.corral}/kvstore.db"}


class KVRedisBackend(ConfigModel):
    """Key-value store in Redis; keys are prefixed by the reference's namespace."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"password", "url"})
    type: Literal["kv_redis"] = "kv_redis"
    """`kv_redis`."""
    host: str = "localhost"
    """Redis host."""
    port: int = 6379
    """Redis port."""
    db: int = 0
    """Redis database number."""
    password: str | None = None
    """Redis password."""
    url: str | None = Field(None, description="redis:// URL; overrides host/port/db/password.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"type": "kv_redis", "host": "${env.REDIS_HOST:=localhost}", "port": 6379}


class KVPostgresBackend(ConfigModel):
    """Key-value store in one PostgreSQL table."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    type: Literal["kv_postgres"] = "kv_postgres"
    """`kv_postgres`."""
    host: str = "localhost"
    """PostgreSQL host."""
    port: int = 5432
    """PostgreSQL port."""
    db: str = "corral"
    """Database name."""
    user: str = "postgres"
    """User name."""
    password: str | None = None
    """Password."""
    table_name: str = Field("corral_kvstore", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Table holding every namespace's keys."""
    pool_size: int = Field(10, ge=1)
    """Maximum pooled connections."""
    ssl_mode: SslMode | None = None
    """TLS to the server, as libpq's `sslmode` (`disable` ... `verify-full`); unset, asyncpg's
    default (`prefer`, or `PGSSLMODE`).
    """
    ca_cert_path: str | None = None
    """CA certificate(s) the server's certificate must chain to (libpq's `sslrootcert`)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "type": "kv_postgres",
            "host": "${env.POSTGRES_HOST:=localhost}",
            "db": "${env.POSTGRES_DB:=corral}",
            "user": "${env.POSTGRES_USER:=postgres}",
            "password": "${env.POSTGRES_PASSWORD:=}",
        }


class KVMongoDBBackend(ConfigModel):
    """Key-value store in a MongoDB collection."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"password", "connection_string"})
    type: Literal["kv_mongodb"] = "kv_mongodb"
    """`kv_mongodb`."""
    host: str = "localhost"
    """MongoDB host."""
    port: int = 27017
    """MongoDB port."""
    db: str = "corral"
    """Database name."""
    user: str | None = None
    """User name."""
    password: str | None = None
    """Password."""
    collection_name: str = "corral_kvstore"
    """Collection holding every namespace's keys."""
    connection_string: str | None = None
    """mongodb:// URI; overrides host/port/user/password."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"type": "kv_mongodb", "host": "localhost", "db": "corral"}


class SqlSqliteBackend(ConfigModel):
    """Relational store in one SQLite file."""

    type: Literal["sql_sqlite"] = "sql_sqlite"
    """`sql_sqlite`."""
    db_path: str
    """SQLite file; `~` expands and parent folders are created."""
    pool_pre_ping: bool = False
    """Accepted for compatibility (a local file's connection cannot drop; corral never pings it).
    """

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"type": "sql_sqlite", "db_path": "${env.SQLITE_STORE_DIR:=~/.corral}/sqlstore.db"}


class SqlPostgresBackend(ConfigModel):
    """Relational store in PostgreSQL, through one pooled engine."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    type: Literal["sql_postgres"] = "sql_postgres"
    """`sql_postgres`."""
    host: str = "localhost"
    """PostgreSQL host."""
    port: int = 5432
    """PostgreSQL port."""
    db: str = "corral"
    """Database name."""
    user: str = "postgres"
    """User name."""
    password: str | None = None
    """Password."""
    pool_size: int = Field(10, ge=1)
    """Connections kept in the pool."""
    max_overflow: int = Field(20, ge=0)
    """Connections opened beyond `pool_size` under load (closed when returned)."""
    pool_recycle: int = Field(-1, ge=-1)
    """Seconds after which a pooled connection is replaced; -1 never."""
    pool_pre_ping: bool = True
    """Check a pooled connection is alive before handing it out."""
    ssl_mode: SslMode | None = None
    """TLS to the server, as libpq's `sslmode` (see kv_postgres)."""
    ca_cert_path: str | None = None
    """CA certificate(s) the server's certificate must chain to."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "type": "sql_postgres",
            "host": "${env.POSTGRES_HOST:=localhost}",
            "db": "${env.POSTGRES_DB:=corral}",
            "user": "${env.POSTGRES_USER:=postgres}",
            "password": "${env.POSTGRES_PASSWORD:=}",
        }


KVBackend = KVSqliteBackend | KVRedisBackend | KVPostgresBackend | KVMongoDBBackend
SqlBackend = SqlSqliteBackend | SqlPostgresBackend
Backend = Annotated[KVBackend | SqlBackend, Field(discriminator="type")]

KV_TYPES = frozenset({"kv_sqlite", "kv_redis", "kv_postgres", "kv_mongodb"})
SQL_TYPES = frozenset({"sql_sqlite", "sql_postgres"})


class KVReference(ConfigModel):
    """A key-value store: a named KV backend plus a namespace that isolates its keys."""

    family: ClassVar[str] = "kv"
    backend: str
    """Name of a KV backend under storage.backends."""
    namespace: str | None = None
    """Key prefix that isolates this store's keys."""


class SqlReference(ConfigModel):
    """A SQL store: a named SQL backend plus the table it owns."""

    family: ClassVar[str] = "sql"
    backend: str
    """Name of a SQL backend under storage.backends."""
    table_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Table to use."""


class InferenceStoreReference(SqlReference):
    """The inference store: a SQL table written through a bounded background queue."""

    max_write_queue_size: int = Field(10000, ge=1)
    """Writes waiting at most; beyond it writes are dropped and counted in the log."""
    num_writers: int = Field(4, ge=1)
    """Background writer tasks."""


class InlineSqliteKVStore(ConfigModel):
    """The older per-provider KV form: a SQLite file of the provider's own.

    Llama Stack's reference example still writes it for ``inline::faiss``
    (``kvstore: {type: sqlite, namespace: null, db_path: ...}``); it is accepted
    as written. The newer form is ``persistence: {backend, namespace}``.
    """

    type: Literal["sqlite"] = "sqlite"
    """`sqlite` (other older inline types are migrated by `corral config migrate`)."""
    db_path: str
    """SQLite file; `~` expands and parent folders are created."""
    namespace: str | None = None
    """Key prefix."""


class InlineSqliteSqlStore(ConfigModel):
    """The older per-provider SQL form: ``{type: sqlite, db_path}`` of the provider's own."""

    type: Literal["sqlite"] = "sqlite"
    """`sqlite`."""
    db_path: str
    """SQLite file; `~` expands and parent folders are created."""


class Stores(ConfigModel):
    """The server's own stores. Each is optional; a missing one falls back as documented."""

    metadata: KVReference | None = None
    """KV store of the resource registry (models, shields, ...); without it they live in memory."""
    inference: InferenceStoreReference | None = None
    """SQL store of chat completions (enables GET /v1/chat/completions)."""
    conversations: SqlReference | None = None
    """SQL store of conversations."""
    prompts: KVReference | None = None
    """KV store of prompts."""
    responses: SqlReference | None = None
    """SQL store of responses."""
    connectors: KVReference | None = None
    """KV store of the connectors registry (`connectors:`); without it the registry lives in
    memory. Either way it is rebuilt from the config at every start.
    """


class StorageConfig(ConfigModel):
    """``storage:``: named backends and the server's stores."""

    backends: dict[str, Backend] = Field(default_factory=dict)
    """Named backends, each opened once and shared by every store that references it."""
    stores: Stores = Field(default_factory=Stores)
    """The server's own stores, each a reference to a backend."""

    @model_validator(mode="before")
    @classmethod
    def _reject_legacy_single_store(cls, data: Any) -> Any:
        # The architecture document once showed `storage: {type: sqlite, db_path: ...}`.
        if isinstance(data, dict) and ("type" in data or "db_path" in data):
            raise ValueError(
                "storage.type/storage.db_path is an older single-store form; declare named "
                "backends under storage.backends and reference them from storage.stores "
                "(run `corral config migrate` to rewrite the file)"
            )
        return data

    def family_of(self, backend: str) -> str | None:
        """``"kv"``, ``"sql"`` or None when no backend has that name."""
        found = self.backends.get(backend)
        if found is None:
            return None
        return "kv" if found.type in KV_TYPES else "sql"
